import { type Money, money, toMinorUnits } from './money.ts';

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
  /** The refunds this version of the order lists (Shopify's `refunds`). */
  refunds?: RefundFacts[];
};

/** One refund of an order: money returned and units taken back. Refunds never change once made. */
export type RefundFacts = {
  refundId: string;
  orderId: string;
  /** When the refund was made (ISO 8601 UTC). */
  createdAt: string;
  /** Money returned (successful refund transactions); null when no money moved (a restock only). */
  amount: Money | null;
  /**
   * Amounts returned in transactions without a currency (Shopify may send `currency: null`), as
   * decimals: they are in the order's currency, converted when the refund meets its order.
   */
  inOrderCurrency?: string[];
  /** The refunded lines, with the refunded quantity. */
  lines: OrderLine[];
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
  /** Why an order does not count. Absent on orders that count, and on items stored before it. */
  excluded?: 'cancelled' | 'test';
  placedAt: string;
  spent: Money;
  /** Units per product id in this order. */
  products: Record<string, number>;
  /** Per selector key (see `selectorKey`) this order has a line for: the units of matching lines. */
  selectors: Record<string, number>;
  tags: string[];
  discountCodes: string[];
  channel: string | null;
  /** The version's own figures before refunds: a refund learnt later is taken off these again. */
  gross: Figures;
  /**
   * The order's lines (those with units), kept so that a selector configured later can count this
   * order again (`recount`, a reindex). Absent on orders stored before lines were kept, and on
   * orders of more than `MAX_KEPT_LINES` lines.
   */
  lines?: OrderLine[];
  /** Every refund of the order known so far (by id, sorted), whichever webhook brought it. */
  refunds: RefundContribution[];
};

/** What an order or a refund counts: money, units per product, units per selector. */
export type Figures = { spent: Money; products: Record<string, number>; selectors: Record<string, number> };

/** What one refund takes back from its order's contribution. */
export type RefundContribution = {
  refundId: string;
  spent: Money | null;
  /** Decimals in the order's currency (see `RefundFacts.inOrderCurrency`). */
  inOrderCurrency?: string[];
  products: Record<string, number>;
  selectors: Record<string, number>;
  /** The refunded lines (see `OrderContribution.lines`). */
  lines?: OrderLine[];
};

export type ContributionOptions = {
  /** The product selectors the configured journeys and segments count orders by. */
  selectors: readonly ProductSelector[];
  /** Count orders flagged `test: true` (default false). */
  countTestOrders?: boolean;
};

const distinct = (values: readonly string[]): string[] =>
  [...new Set(values.map((v) => v.trim()).filter(Boolean))].sort();

/**
 * Lines an order or refund keeps for a later recount, at most: an order item stays far below
 * DynamoDB's 400 KB whatever the order (one with thousands of lines keeps none, and is counted
 * again from its product ids alone; see `recount`).
 */
export const MAX_KEPT_LINES = 250;

/** The lines a contribution keeps (see `OrderContribution.lines`): those with units, only the fields a selector can match. */
const keptLines = (lines: readonly OrderLine[]): { lines?: OrderLine[] } => {
  const kept = lines.filter((line) => line.quantity > 0);
  if (kept.length > MAX_KEPT_LINES) return {};
  return {
    lines: kept.map(({ productId, variantId, sku, vendor, title, quantity }) => ({
      productId,
      variantId,
      sku,
      vendor,
      title,
      quantity,
    })),
  };
};

/** Units of matching lines per selector key (a selector with no matching units is left out). */
export const selectorUnits = (
  lines: readonly OrderLine[],
  selectors: readonly ProductSelector[],
): Record<string, number> => {
  const units: Record<string, number> = {};
  for (const selector of selectors) {
    const n = lines
      .filter((line) => line.quantity > 0 && lineMatches(line, selector))
      .reduce((sum, line) => sum + line.quantity, 0);
    if (n > 0) units[selectorKey(selector)] = n;
  }
  return units;
};

/** Units per product id and per selector key of some lines (an order's, or a refund's). */
const unitsOf = (lines: readonly OrderLine[], options: ContributionOptions) => {
  const products: Record<string, number> = {};
  for (const line of lines) {
    if (line.productId === null || line.quantity <= 0) continue;
    products[line.productId] = (products[line.productId] ?? 0) + line.quantity;
  }
  return { products, selectors: selectorUnits(lines, options.selectors) };
};

export const refundContribution = (
  refund: RefundFacts,
  options: ContributionOptions,
): RefundContribution => ({
  refundId: refund.refundId,
  spent: refund.amount ? money(refund.amount.amount, refund.amount.currency) : null,
  ...(refund.inOrderCurrency?.length ? { inOrderCurrency: refund.inOrderCurrency } : {}),
  ...unitsOf(refund.lines, options),
  ...keptLines(refund.lines),
});

/** `units` minus `taken`, keeping only what stays positive. */
const subtractUnits = (units: Record<string, number>, taken: Record<string, number>) => {
  const left: Record<string, number> = {};
  for (const [key, n] of Object.entries(units)) {
    const rest = n - (taken[key] ?? 0);
    if (rest > 0) left[key] = rest;
  }
  return left;
};

/**
 * The figures an order counts once its refunds are taken off: spend never below zero, products
 * and selections without units left drop out (a fully refunded rum baba is not a rum baba bought).
 * A refund in another currency than the order's takes back units, not money.
 */
export const net = (gross: Figures, refunds: readonly RefundContribution[]): Figures => {
  let spent = gross.spent.amount;
  const products: Record<string, number> = {};
  const selectors: Record<string, number> = {};
  for (const refund of refunds) {
    if (refund.spent?.currency === gross.spent.currency) spent -= refund.spent.amount;
    for (const decimal of refund.inOrderCurrency ?? []) spent -= toMinorUnits(decimal, gross.spent.currency);
    for (const [key, n] of Object.entries(refund.products)) products[key] = (products[key] ?? 0) + n;
    for (const [key, n] of Object.entries(refund.selectors)) selectors[key] = (selectors[key] ?? 0) + n;
  }
  return {
    spent: money(Math.max(0, spent), gross.spent.currency),
    products: subtractUnits(gross.products, products),
    selectors: subtractUnits(gross.selectors, selectors),
  };
};

/** The union of two refund lists by id (refunds are immutable), sorted by id. */
const unionRefunds = (a: readonly RefundContribution[], b: readonly RefundContribution[]) =>
  [...new Map([...a, ...b].map((r) => [r.refundId, r])).values()].sort((x, y) =>
    x.refundId.localeCompare(y.refundId),
  );

/**
 * What one version of an order adds to its customer: its own figures less every refund known,
 * whether listed in the version or learnt from `refunds/create` webhooks (`knownRefunds`).
 */
export const orderContribution = (
  order: OrderFacts,
  options: ContributionOptions,
  knownRefunds: readonly RefundContribution[] = [],
): OrderContribution => {
  const gross = { spent: money(order.total.amount, order.total.currency), ...unitsOf(order.lines, options) };
  const refunds = unionRefunds(
    (order.refunds ?? []).map((r) => refundContribution(r, options)),
    knownRefunds,
  );
  const counts = !order.cancelled && (options.countTestOrders === true || !order.test);
  return {
    orderId: order.orderId,
    updatedAt: order.updatedAt,
    counts,
    ...(counts ? {} : { excluded: order.cancelled ? ('cancelled' as const) : ('test' as const) }),
    placedAt: order.placedAt,
    ...net(gross, refunds),
    tags: distinct(order.tags),
    discountCodes: distinct(order.discountCodes.map((c) => c.toUpperCase())),
    channel: order.channel,
    gross,
    refunds,
    ...keptLines(order.lines),
  };
};

/** The contribution with one more refund taken off; null when the refund is already known. */
export const withRefund = (
  contribution: OrderContribution,
  refund: RefundContribution,
): OrderContribution | null => {
  if (contribution.refunds.some((r) => r.refundId === refund.refundId)) return null;
  const refunds = unionRefunds(contribution.refunds, [refund]);
  return { ...contribution, ...net(contribution.gross, refunds), refunds };
};

/** True when `incoming` should replace `stored`: Shopify's newest `updated_at` wins; equal is a replay. */
export const supersedes = (
  incoming: { updatedAt: string },
  stored: { updatedAt: string } | undefined,
): boolean => stored === undefined || Date.parse(incoming.updatedAt) > Date.parse(stored.updatedAt);
