import { type Money, money } from './money.ts';

/** One order line, normalised from the Shopify payload. Ids are strings: Shopify ids exceed 2^53 in GraphQL form. */
export type OrderLine = {
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  vendor: string | null;
  title: string;
  quantity: number;
};

/** The facts of one order that Loyalty Loop keeps, independent of the webhook topic that carried them. */
export type OrderFacts = {
  orderId: string;
  customerId: string;
  email: string | null;
  /** When the customer placed the order (ISO 8601 UTC). Stable across updates. */
  placedAt: string;
  /** Shopify's `updated_at` (ISO 8601 UTC): the newest version of an order wins. */
  updatedAt: string;
  total: Money;
  lines: OrderLine[];
  cancelled: boolean;
  test: boolean;
  /** Order tags as the merchant set them. */
  tags: string[];
  /** Discount codes applied to the order. */
  discountCodes: string[];
  /** Shopify's `source_name`: web, pos, shopify_draft_order, an app's id... */
  channel: string | null;
  /** The customer's default address as the order carried it. */
  address: { countryCode: string | null; provinceCode: string | null } | null;
};

/**
 * Which order lines a condition counts. Every listed field narrows by "any of"; fields combine
 * with "or", so `{ productIds: ['1'], skus: ['X'] }` matches a line of product 1 or with SKU X.
 */
export type ProductSelector = {
  productIds?: readonly string[];
  variantIds?: readonly string[];
  skus?: readonly string[];
  vendors?: readonly string[];
  titles?: readonly string[];
};

export const lineMatches = (line: OrderLine, selector: ProductSelector): boolean =>
  (line.productId !== null && (selector.productIds?.includes(line.productId) ?? false)) ||
  (line.variantId !== null && (selector.variantIds?.includes(line.variantId) ?? false)) ||
  (line.sku !== null && (selector.skus?.includes(line.sku) ?? false)) ||
  (line.vendor !== null && (selector.vendors?.includes(line.vendor) ?? false)) ||
  (selector.titles?.includes(line.title) ?? false);

/** A stable key for a selector, so the same selector in two journeys shares one counter. */
export const selectorKey = (selector: ProductSelector): string => {
  const parts: string[] = [];
  for (const field of ['productIds', 'variantIds', 'skus', 'vendors', 'titles'] as const) {
    const values = selector[field];
    if (values && values.length > 0) parts.push(`${field}=${[...new Set(values)].sort().join(',')}`);
  }
  return parts.join(';');
};

/**
 * What one order adds to its customer's aggregate. It is stored with the order so that a newer
 * version of the order, a cancellation or a refund can take exactly this back out again.
 */
export type OrderContribution = {
  orderId: string;
  updatedAt: string;
  /** False for cancelled and test orders: they are remembered but add nothing. */
  counts: boolean;
  placedAt: string;
  spent: Money;
  /** Units per product id in this order. */
  products: Record<string, number>;
  /** Per selector key (see `selectorKey`) this order has a line for: the units of matching lines. */
  selectors: Record<string, number>;
  tags: string[];
  discountCodes: string[];
  channel: string | null;
};

export type ContributionOptions = {
  /** The product selectors the configured journeys and segments count orders by. */
  selectors: readonly ProductSelector[];
  /** Count orders flagged `test: true` (default false). */
  countTestOrders?: boolean;
};

const distinct = (values: readonly string[]): string[] =>
  [...new Set(values.map((v) => v.trim()).filter(Boolean))].sort();

export const orderContribution = (order: OrderFacts, options: ContributionOptions): OrderContribution => {
  const products: Record<string, number> = {};
  for (const line of order.lines) {
    if (line.productId === null || line.quantity <= 0) continue;
    products[line.productId] = (products[line.productId] ?? 0) + line.quantity;
  }
  const selectors: Record<string, number> = {};
  for (const selector of options.selectors) {
    const units = order.lines
      .filter((line) => line.quantity > 0 && lineMatches(line, selector))
      .reduce((n, l) => n + l.quantity, 0);
    if (units > 0) selectors[selectorKey(selector)] = units;
  }
  return {
    orderId: order.orderId,
    updatedAt: order.updatedAt,
    counts: !order.cancelled && (options.countTestOrders === true || !order.test),
    placedAt: order.placedAt,
    spent: money(order.total.amount, order.total.currency),
    products,
    selectors,
    tags: distinct(order.tags),
    discountCodes: distinct(order.discountCodes.map((c) => c.toUpperCase())),
    channel: order.channel,
  };
};

/** True when `incoming` should replace `stored`: Shopify's newest `updated_at` wins; equal is a replay. */
export const supersedes = (
  incoming: { updatedAt: string },
  stored: { updatedAt: string } | undefined,
): boolean => stored === undefined || Date.parse(incoming.updatedAt) > Date.parse(stored.updatedAt);
