import { assertUnreachable } from '#domain/conditions.ts';
import {
  argumentValue,
  type FieldSelection,
  type GraphqlDocument,
  type Operation,
  type Selection,
} from './graphql-parse.ts';
import { gidType, isRawJson, type JsonObject } from './store.ts';

/**
 * Reading a request's selections: the fields they name once fragments are flattened, their
 * arguments with variables put in, and the objects they select from.
 */

/** Where a selection is read: the document (its fragments) and the request's variables. */
export type Scope = {
  document: GraphqlDocument;
  variables: Record<string, unknown>;
  defaults: Operation['variableDefaults'];
};

/** An argument Shopify would refuse, answered as a GraphQL error on its field. */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** Lists computed per request (an order's line items), served as a connection with the field's paging. */
export const CONNECTIONS = Symbol('connections');
/** Stored nodes all have a GID `id` (the store refuses lines without one). */
export type Node = JsonObject & { id: string };
export type Connected = JsonObject & { [CONNECTIONS]?: Record<string, Node[]> };

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isRawJson(value);

/** The object's GraphQL type: its `__typename`, else the type its GID names. */
export const typenameOf = (value: JsonObject): string | null =>
  typeof value.__typename === 'string' ? value.__typename : gidType(value.id);

export const argsOf = (field: FieldSelection, scope: Scope): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(field.args).map(([name, value]) => [
      name,
      argumentValue(value, scope.variables, scope.defaults),
    ]),
  );

/** Whether a fragment's type condition holds for an object (unknown types: it does). */
const applies = (typeCondition: string | undefined, typename: string | null | undefined): boolean =>
  !typeCondition || !typename || typeCondition === typename;

/** The fields of a selection set, fragments flattened (only those that apply to `typename`, if given). */
export const fieldsOf = (
  selections: readonly Selection[],
  scope: Scope,
  typename?: string | null,
): FieldSelection[] =>
  selections.flatMap((selection) => {
    switch (selection.kind) {
      case 'field':
        return [selection];
      case 'fragment':
        return applies(selection.typeCondition, typename)
          ? fieldsOf(selection.selections, scope, typename)
          : [];
      case 'spread': {
        const fragment = scope.document.fragments[selection.name];
        if (!fragment) throw new ArgumentError(`Fragment ${selection.name} was used, but not defined`);
        return applies(fragment.typeCondition, typename)
          ? fieldsOf(fragment.selections, scope, typename)
          : [];
      }
      default:
        return assertUnreachable(selection);
    }
  });

/** Whether a field of that name is selected anywhere under these selections. */
export const selectsField = (selections: readonly Selection[], scope: Scope, name: string): boolean =>
  fieldsOf(selections, scope).some(
    (field) => field.name === name || selectsField(field.selections, scope, name),
  );

/** A field paged like a connection (`first:` or `last:`). */
export const isConnectionField = (field: FieldSelection): boolean =>
  'first' in field.args || 'last' in field.args;
