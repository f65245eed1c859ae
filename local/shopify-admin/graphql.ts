import {
  type FieldSelection,
  type GraphqlDocument,
  GraphqlSyntaxError,
  type Operation,
  parseGraphql,
  type Selection,
} from './graphql-parse.ts';
import { type AdminContext, MUTATIONS, QUERIES, type Resolver } from './operations.ts';
import { connection, PagingError } from './paging.ts';
import { UnsupportedSearch } from './search-query.ts';
import {
  ArgumentError,
  argsOf,
  CONNECTIONS,
  type Connected,
  fieldsOf,
  isConnectionField,
  isObject,
  type Scope,
  typenameOf,
} from './selection.ts';
import type { JsonObject } from './store.ts';

/**
 * Runs a GraphQL request against the stand-in: the root field's resolver (`operations.ts`) gives
 * a value, which is cut down to the fields the request selected (aliases and fragments honoured).
 * Cost follows Shopify's rules: scalars 0, objects 1, connections 2 + n × their nodes' cost (n is
 * `first`/`last` for the requested cost, the nodes returned for the actual cost), mutations 10.
 */

export type GraphqlError = { message: string; path?: string[]; extensions?: Record<string, unknown> };

/** A request read and checked: the operation to run and its variables. */
export type PreparedRequest = {
  document: GraphqlDocument;
  operation: Operation;
  variables: Record<string, unknown>;
};

export type Execution = { data: JsonObject | undefined; errors: GraphqlError[]; actualCost: number };

/** Fields that only wrap a connection's content and cost nothing themselves. */
const WRAPPERS = new Set(['edges', 'pageInfo']);
const MUTATION_COST = 10;

/** Reads the request body's `query`, `variables` and `operationName`; errors are GraphQL errors. */
export const prepareRequest = (body: unknown): PreparedRequest | { errors: GraphqlError[] } => {
  const request = isObject(body) ? body : {};
  if (typeof request.query !== 'string' || !request.query.trim())
    return { errors: [{ message: 'No query string was present' }] };
  let document: GraphqlDocument;
  try {
    document = parseGraphql(request.query);
  } catch (error) {
    if (error instanceof GraphqlSyntaxError)
      return { errors: [{ message: `Parse error: ${error.message}` }] };
    throw error;
  }
  const name = typeof request.operationName === 'string' ? request.operationName : undefined;
  const operation = name ? document.operations.find((o) => o.name === name) : document.operations[0];
  if (!operation) return { errors: [{ message: `No operation named "${name}"` }] };
  if (!name && document.operations.length > 1)
    return { errors: [{ message: 'An operation name is required when the document has several' }] };
  return { document, operation, variables: isObject(request.variables) ? request.variables : {} };
};

const scopeOf = (request: PreparedRequest): Scope => ({
  document: request.document,
  variables: request.variables,
  defaults: request.operation.variableDefaults,
});

const selectionCost = (selections: readonly Selection[], scope: Scope): number =>
  fieldsOf(selections, scope).reduce((sum, field) => {
    if (field.selections.length === 0) return sum;
    const children = selectionCost(field.selections, scope);
    if (isConnectionField(field)) {
      const args = argsOf(field, scope);
      const size = Number(args.first ?? args.last ?? 0);
      return sum + 2 + (Number.isFinite(size) ? size : 0) * children;
    }
    return sum + (WRAPPERS.has(field.name) ? 0 : 1) + children;
  }, 0);

/** The cost Shopify would ask the bucket for before running the request. */
export const requestedCost = (request: PreparedRequest): number => {
  const scope = scopeOf(request);
  try {
    if (request.operation.type === 'mutation')
      return MUTATION_COST * fieldsOf(request.operation.selections, scope).length;
    return selectionCost(request.operation.selections, scope);
  } catch (error) {
    if (error instanceof ArgumentError) return 0; // answered when the request runs
    throw error;
  }
};

type Projection = Scope & { actualCost: number; charge: boolean };

/** Merges a fragment's answer into the object's (same field selected twice: both parts kept). */
const mergeAnswers = (into: JsonObject, from: JsonObject): void => {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    if (isObject(existing) && isObject(value)) mergeAnswers(existing, value);
    else into[key] = value;
  }
};

/** Cuts a value down to the selected fields, adding the actual cost of what it returns. */
const project = (value: unknown, selections: readonly Selection[], projection: Projection): unknown => {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => project(item, selections, projection));
  if (!isObject(value)) return value;
  const answer: JsonObject = {};
  for (const field of fieldsOf(selections, projection, typenameOf(value)))
    mergeAnswers(answer, {
      [field.alias ?? field.name]: projectField(value as Connected, field, projection),
    });
  return answer;
};

/** One field of an object: stored as given, or a computed list paged with the field's arguments. */
const projectField = (parent: Connected, field: FieldSelection, projection: Projection): unknown => {
  if (field.name === '__typename') return typenameOf(parent);
  const listed = parent[CONNECTIONS]?.[field.name];
  const raw = listed ? connection(listed, argsOf(field, projection)) : parent[field.name];
  if (field.selections.length === 0 || raw === null || raw === undefined) return raw ?? null;
  const isConnection = listed !== undefined || isConnectionField(field);
  if (projection.charge && isConnection) projection.actualCost += 2;
  const perObject = isConnection || WRAPPERS.has(field.name) ? 0 : 1;
  const one = (item: unknown) => {
    if (projection.charge && isObject(item)) projection.actualCost += perObject;
    return project(item, field.selections, projection);
  };
  return Array.isArray(raw) ? raw.map(one) : one(raw);
};

/** Runs a prepared request against the shop: `data` (absent when the request does not validate) and errors. */
export const execute = (request: PreparedRequest, context: AdminContext): Execution => {
  const isMutation = request.operation.type === 'mutation';
  // A mutation costs its flat 10 whatever its payload selects.
  const projection: Projection = { ...scopeOf(request), actualCost: 0, charge: !isMutation };
  const resolvers = isMutation ? MUTATIONS : QUERIES;
  const rootType = isMutation ? 'Mutation' : 'QueryRoot';
  let roots: FieldSelection[];
  try {
    roots = fieldsOf(request.operation.selections, projection);
  } catch (error) {
    if (error instanceof ArgumentError)
      return { data: undefined, errors: [{ message: error.message }], actualCost: 0 };
    throw error;
  }
  const unknown = roots.filter((field) => field.name !== '__typename' && !resolvers[field.name]);
  if (unknown.length)
    return {
      data: undefined,
      errors: unknown.map((field) => ({
        message: `Field '${field.name}' doesn't exist on type '${rootType}'`,
        path: [request.operation.type, field.name],
        extensions: { code: 'undefinedField', typeName: rootType, fieldName: field.name },
      })),
      actualCost: 0,
    };
  const data: JsonObject = {};
  const errors: GraphqlError[] = [];
  for (const field of roots) {
    const key = field.alias ?? field.name;
    if (field.name === '__typename') {
      data[key] = rootType;
      continue;
    }
    try {
      const resolve = resolvers[field.name] as Resolver;
      data[key] = projectField(
        { [field.name]: resolve(argsOf(field, projection), context) },
        field,
        projection,
      );
      if (isMutation) projection.actualCost += MUTATION_COST;
    } catch (error) {
      if (
        !(
          error instanceof ArgumentError ||
          error instanceof PagingError ||
          error instanceof UnsupportedSearch
        )
      )
        throw error;
      data[key] = null;
      errors.push({ message: error.message, path: [key] });
    }
  }
  return { data, errors, actualCost: projection.actualCost };
};
