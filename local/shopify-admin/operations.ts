import type { BulkLine, BulkOperations } from './bulk.ts';
import {
  type FieldSelection,
  type GraphqlDocument,
  GraphqlSyntaxError,
  parseGraphql,
} from './graphql-parse.ts';
import { connection } from './paging.ts';
import { searchPredicate, UnsupportedSearch } from './search-query.ts';
import {
  ArgumentError,
  argsOf,
  CONNECTIONS,
  type Connected,
  fieldsOf,
  isObject,
  type Node,
  type Scope,
  selectsField,
} from './selection.ts';
import { gidType, type JsonObject, type ShopData, type StoredOrder, withoutParent } from './store.ts';
import type { WebhookSubscriptions } from './webhook-subscriptions.ts';

/**
 * The root fields the Admin API stand-in answers, each a resolver from arguments to a value that
 * `graphql.ts` then cuts down to the selected fields.
 * Queries: `orders`, `customers` (paged: `first`/`after`/`last`/`before`, `query:` search,
 * `sortKey`, `reverse`), `order(id:)`, `customer(id:)`, `node(id:)`, `currentBulkOperation`,
 * `bulkOperation(id:)`, `webhookSubscriptions`. Mutations: `bulkOperationRunQuery`,
 * `webhookSubscriptionCreate`, `webhookSubscriptionDelete`, `customerEmailMarketingConsentUpdate`.
 */

/** What an operation can read and change: one shop's data and services. */
export type AdminContext = {
  shop: string;
  apiVersion: string;
  now: () => number;
  data: ShopData;
  bulk: BulkOperations;
  webhooks: WebhookSubscriptions;
};

export type Resolver = (args: Record<string, unknown>, context: AdminContext) => unknown;

/** An order as a paged query serves it: the order line, its line items a connection (`lineItems(first:)`). */
const orderNode = (stored: StoredOrder): Connected => ({
  ...stored.node,
  [CONNECTIONS]: { lineItems: stored.lineItems.map((item) => withoutParent(item.node) as Node) },
});

/** A sort value that orders as a string: an instant in UTC ISO form. */
const instant = (value: unknown): string => {
  const at = Date.parse(String(value ?? ''));
  return Number.isNaN(at) ? '' : new Date(at).toISOString();
};

const SORT_KEYS: Record<string, (node: JsonObject) => string> = {
  ID: () => '',
  UPDATED_AT: (node) => instant(node.updatedAt),
  CREATED_AT: (node) => instant(node.createdAt),
  PROCESSED_AT: (node) => instant(node.processedAt),
};

const sortKeyOf = (sortKey: unknown, allowed: readonly string[]) => {
  const key = typeof sortKey === 'string' ? sortKey : 'ID';
  const sortValue = SORT_KEYS[key];
  if (!allowed.includes(key) || !sortValue)
    throw new ArgumentError(`sortKey ${key} is not supported by the local stand-in (${allowed.join(', ')})`);
  return sortValue;
};

const searchOf = (args: Record<string, unknown>) =>
  searchPredicate(typeof args.query === 'string' ? args.query : undefined);

const pagedNodes = (nodes: JsonObject[], args: Record<string, unknown>, sortKeys: readonly string[]) =>
  connection((nodes as Node[]).filter(searchOf(args)), args, sortKeyOf(args.sortKey, sortKeys));

/** Which lines a bulk query on `orders` or `customers` returns (children after their parent). */
const bulkLines = (root: FieldSelection, scope: Scope, data: ShopData, grouped: boolean): BulkLine[] => {
  const matches = searchOf(argsOf(root, scope));
  if (root.name === 'customers')
    return [...data.customers.values()]
      .filter((line) => matches(line.node as Node))
      .map((line) => ({ text: line.text, child: false }));
  const orders = [...data.orders.values()].filter((order) => matches(order.node as Node));
  // Line items are a connection: lines of their own, and only when the query selects them.
  const withItems = selectsField(root.selections, scope, 'lineItems');
  const parent = (order: StoredOrder): BulkLine => ({ text: order.text, child: false });
  const children = (order: StoredOrder): BulkLine[] =>
    withItems ? order.lineItems.map((item) => ({ text: item.text, child: true })) : [];
  return grouped
    ? orders.flatMap((order) => [parent(order), ...children(order)])
    : [...orders.map(parent), ...orders.flatMap(children)];
};

const runBulkQuery: Resolver = (args, context) => {
  const invalid = (message: string) => ({
    bulkOperation: null,
    userErrors: [{ field: ['query'], message: `Invalid bulk query: ${message}`, code: 'INVALID' }],
  });
  const query = typeof args.query === 'string' ? args.query : '';
  let document: GraphqlDocument;
  try {
    document = parseGraphql(query);
  } catch (error) {
    if (error instanceof GraphqlSyntaxError) return invalid(error.message);
    throw error;
  }
  const operation = document.operations[0];
  const scope: Scope = { document, variables: {}, defaults: {} };
  const roots = operation?.type === 'query' ? fieldsOf(operation.selections, scope) : [];
  const root = roots[0];
  if (roots.length !== 1 || !root) return invalid('a bulk query selects exactly one top-level field');
  if (root.name !== 'orders' && root.name !== 'customers')
    return invalid(`the local stand-in runs bulk queries on orders or customers, not ${root.name}`);
  // Shopify groups children under their parent by default before 2026-01, not from 2026-01 on.
  const grouped = typeof args.groupObjects === 'boolean' ? args.groupObjects : context.apiVersion < '2026-01';
  let lines: BulkLine[];
  try {
    lines = bulkLines(root, scope, context.data, grouped);
  } catch (error) {
    if (error instanceof UnsupportedSearch) return invalid(error.message);
    throw error;
  }
  return context.bulk.run(context.shop, query, lines, context.apiVersion);
};

const updateConsent: Resolver = (args, context) => {
  const input = isObject(args.input) ? args.input : {};
  const customerId = typeof input.customerId === 'string' ? input.customerId : '';
  // With customers loaded the shop knows exactly who exists; without, any well-formed id does.
  const known =
    context.data.customers.size > 0
      ? context.data.customers.has(customerId)
      : /^gid:\/\/shopify\/Customer\/\d+$/.test(customerId);
  if (!known)
    return {
      customer: null,
      userErrors: [{ field: ['input', 'customerId'], message: 'Customer not found', code: 'INVALID' }],
    };
  const consent = isObject(input.emailMarketingConsent) ? input.emailMarketingConsent : {};
  const at = new Date(context.now()).toISOString();
  const updated = context.data.updateCustomer(customerId, {
    emailMarketingConsent: {
      marketingState: consent.marketingState ?? null,
      marketingOptInLevel: consent.marketingOptInLevel ?? null,
      consentUpdatedAt: consent.consentUpdatedAt ?? at,
    },
    updatedAt: at,
  });
  return { customer: updated ?? { id: customerId }, userErrors: [] };
};

const nodeById = (id: unknown, context: AdminContext): unknown => {
  if (typeof id !== 'string') return null;
  switch (gidType(id)) {
    case 'Order': {
      const order = context.data.orders.get(id);
      return order ? orderNode(order) : null;
    }
    case 'Customer':
      return context.data.customers.get(id)?.node ?? null;
    case 'BulkOperation':
      return context.bulk.poll(context.shop, id);
    case 'WebhookSubscription':
      return context.webhooks.find(context.shop, id);
    default:
      return null;
  }
};

/** A lookup by id that answers null for an id of another type (as Shopify's typed queries do). */
const byIdOf =
  (type: string): Resolver =>
  (args, context) =>
    gidType(args.id) === type ? nodeById(args.id, context) : null;

export const QUERIES: Record<string, Resolver> = {
  orders: (args, { data }) =>
    pagedNodes([...data.orders.values()].map(orderNode), args, [
      'ID',
      'UPDATED_AT',
      'CREATED_AT',
      'PROCESSED_AT',
    ]),
  customers: (args, { data }) =>
    pagedNodes(
      [...data.customers.values()].map((line) => line.node),
      args,
      ['ID', 'UPDATED_AT', 'CREATED_AT'],
    ),
  products: (args, { data }) =>
    pagedNodes(
      [...data.products.values()].map((p) => ({ ...p.node, [CONNECTIONS]: { variants: p.variants } })),
      args,
      ['ID'],
    ),
  shop: (_args, { data, shop }) => data.shop ?? { name: shop, myshopifyDomain: shop },
  order: byIdOf('Order'),
  customer: byIdOf('Customer'),
  bulkOperation: byIdOf('BulkOperation'),
  node: (args, context) => nodeById(args.id, context),
  currentBulkOperation: (args, { bulk, shop }) =>
    (args.type ?? 'QUERY') === 'QUERY' ? bulk.current(shop) : null,
  webhookSubscriptions: (args, { webhooks, shop }) =>
    connection(webhooks.list(shop, Array.isArray(args.topics) ? args.topics.map(String) : undefined), args),
};

export const MUTATIONS: Record<string, Resolver> = {
  bulkOperationRunQuery: runBulkQuery,
  webhookSubscriptionCreate: (args, { webhooks, shop, apiVersion }) =>
    webhooks.create(
      shop,
      args.topic,
      isObject(args.webhookSubscription) ? args.webhookSubscription : {},
      apiVersion,
    ),
  webhookSubscriptionDelete: (args, { webhooks, shop }) => webhooks.delete(shop, args.id),
  customerEmailMarketingConsentUpdate: updateConsent,
};
