/**
 * Each shop's past as the Admin API stand-in holds it: customers, orders and their line items,
 * kept as the Bulk Operation JSONL lines they were given (served back byte for byte) and as parsed
 * GraphQL objects (served through paged queries). Parsing is lossless: a number beyond 2^53 keeps
 * its digits (`JSON.rawJSON`), so answers carry exactly what was loaded.
 */

export type JsonObject = Record<string, unknown>;

/** One stored object: the JSONL line as given and its parsed form. */
export type StoredLine = { text: string; node: JsonObject };
export type StoredOrder = StoredLine & { lineItems: StoredLine[] };

/** What a history load added or replaced. */
export type LoadCounts = { customers: number; orders: number; lineItems: number };

import { CatalogFile, catalogNodes, type StoredProduct } from './catalog.ts';

/** Node 24's reviver context: the primitive's source text. */
type ReviverContext = { source?: string };
const { rawJSON, isRawJSON } = JSON as unknown as {
  rawJSON: (text: string) => unknown;
  isRawJSON: (value: unknown) => boolean;
};

/** Whether a value is a number kept as its source digits (a scalar, not an object to select from). */
export const isRawJson = (value: unknown): boolean => isRawJSON(value);

/** `JSON.parse` that keeps an integer beyond 2^53 as its exact digits (re-serialised unchanged). */
export const parseLossless = (text: string): unknown =>
  JSON.parse(text, (_key: string, value: unknown, context?: ReviverContext) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
      ? rawJSON(context.source)
      : value,
  );

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/[^/]+$/;

/** The GraphQL type a GID names (`gid://shopify/Order/1` → `Order`), or null. */
export const gidType = (id: unknown): string | null =>
  typeof id === 'string' ? (GID.exec(id)?.[1] ?? null) : null;

const toLine = (input: string | JsonObject, where: string): StoredLine => {
  const text = typeof input === 'string' ? input.trim() : JSON.stringify(input);
  let node: unknown;
  try {
    node = parseLossless(text);
  } catch {
    throw new Error(`${where}: not a JSON object`);
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    throw new Error(`${where}: not a JSON object`);
  if (!gidType((node as JsonObject).id)) throw new Error(`${where}: "id" must be a Shopify GID string`);
  return { text, node: node as JsonObject };
};

/** Drops the bulk-only `__parentId` from a child's node (a paged query's node does not carry it). */
export const withoutParent = ({ __parentId: _parent, ...node }: JsonObject): JsonObject => node;

/** One shop's customers and orders, in the order they were loaded (bulk output order). */
export class ShopData {
  readonly customers = new Map<string, StoredLine>();
  readonly orders = new Map<string, StoredOrder>();
  /** Products with their variants, and the shop's own fields (`shop`), from a catalog file. */
  products = new Map<string, StoredProduct>();
  shop: JsonObject | null = null;

  /** Replaces the shop's products and fields with a catalog's (`catalogNodes`). */
  loadCatalog(catalog: CatalogFile, domain: string): { products: number; variants: number } {
    const { shop, products } = catalogNodes(CatalogFile.parse(catalog), domain);
    this.shop = shop;
    this.products = new Map(products.map((p) => [p.node.id, p]));
    return { products: products.length, variants: products.reduce((n, p) => n + p.variants.length, 0) };
  }

  /**
   * Loads Bulk Operation JSONL: customer lines, order lines (refunds inline) and line-item lines
   * carrying `__parentId` (anywhere after their parent: ungrouped output lists them apart). An id
   * loaded before is replaced; an order given again keeps only the children given with it.
   */
  loadHistory(jsonl: string): LoadCounts {
    const counts: LoadCounts = { customers: 0, orders: 0, lineItems: 0 };
    const children: { line: StoredLine; parentId: string; where: string }[] = [];
    const reloaded = new Set<string>();
    jsonl.split(/\r?\n/).forEach((raw, index) => {
      if (!raw.trim()) return;
      const where = `line ${index + 1}`;
      const line = toLine(raw, where);
      const parentId = line.node.__parentId;
      if (typeof parentId === 'string') {
        children.push({ line, parentId, where });
        return;
      }
      switch (gidType(line.node.id)) {
        case 'Customer':
          this.customers.set(line.node.id as string, line);
          counts.customers++;
          return;
        case 'Order':
          this.orders.set(line.node.id as string, { ...line, lineItems: [] });
          reloaded.add(line.node.id as string);
          counts.orders++;
          return;
        default:
          throw new Error(`${where}: ${String(line.node.id)} is neither a customer nor an order`);
      }
    });
    for (const { line, parentId, where } of children) {
      const order = this.orders.get(parentId);
      if (gidType(line.node.id) !== 'LineItem' || !order)
        throw new Error(`${where}: a child line must be a LineItem of a loaded order (${parentId})`);
      if (!reloaded.has(parentId))
        order.lineItems = order.lineItems.filter((l) => l.node.id !== line.node.id);
      order.lineItems.push(line);
      counts.lineItems++;
    }
    return counts;
  }

  /** Adds (or replaces) a customer: a bulk customer line, as text or object. */
  addCustomer(customer: string | JsonObject): JsonObject {
    const line = toLine(customer, 'customer');
    if (gidType(line.node.id) !== 'Customer') throw new Error('customer: id must be a Customer GID');
    this.customers.set(line.node.id as string, line);
    return line.node;
  }

  /**
   * Adds (or replaces, with all its line items) an order: a bulk order line and its line items
   * (`__parentId` is added when missing, so the JSONL served stays Shopify's).
   */
  addOrder(order: string | JsonObject, lineItems: readonly (string | JsonObject)[] = []): JsonObject {
    const line = toLine(order, 'order');
    const orderId = line.node.id as string;
    if (gidType(orderId) !== 'Order') throw new Error('order: id must be an Order GID');
    const items = lineItems.map((item, i) => {
      const parsed = toLine(item, `line item ${i + 1}`);
      if (gidType(parsed.node.id) !== 'LineItem')
        throw new Error(`line item ${i + 1}: id must be a LineItem GID`);
      if (parsed.node.__parentId === undefined)
        return toLine({ ...parsed.node, __parentId: orderId }, 'line item');
      if (parsed.node.__parentId !== orderId)
        throw new Error(`line item ${i + 1}: __parentId is not ${orderId}`);
      return parsed;
    });
    this.orders.set(orderId, { ...line, lineItems: items });
    return line.node;
  }

  /** Changes some fields of a stored customer (its JSONL line follows). */
  updateCustomer(id: string, fields: JsonObject): JsonObject | null {
    const stored = this.customers.get(id);
    if (!stored) return null;
    return this.addCustomer({ ...stored.node, ...fields });
  }
}

/** Every shop's data, created on first use. */
export class ShopStore {
  private readonly shops = new Map<string, ShopData>();

  of(shop: string): ShopData {
    let data = this.shops.get(shop);
    if (!data) {
      data = new ShopData();
      this.shops.set(shop, data);
    }
    return data;
  }
}
