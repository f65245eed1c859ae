import { addMoney, type Money, negate } from './money.ts';
import type { OrderContribution } from './order.ts';

export type EmailMarketingState =
  | 'subscribed'
  | 'not_subscribed'
  | 'unsubscribed'
  | 'pending'
  | 'redacted'
  | 'invalid'
  | 'unknown';

export type ProductStats = { orders: number; units: number };
export type SelectorStats = { orders: number; units: number; firstAt: string | null; lastAt: string | null };
export type FirstOrder = { orderId: string; placedAt: string; selectors: string[] };
export type Address = { countryCode: string | null; provinceCode: string | null; updatedAt: string };

/** How many of a customer's earliest orders keep their contents (for "the Nth order contained X"). */
export const NTH_ORDER_LIMIT = 5;
/** Distinct order tags, discount codes, channels and customer tags kept per customer. */
export const MAX_DISTINCT_VALUES = 100;
/**
 * Distinct products counted per customer: a product first bought beyond this is not tracked on its
 * own (the order still counts, and configured selectors still match it), so the item stays small.
 */
export const MAX_DISTINCT_PRODUCTS = 1_000;

/**
 * Everything Loyalty Loop knows about one customer of one shop, kept as one DynamoDB item.
 * Its size is bounded by distinct products, selectors and capped value sets, never by the
 * number of orders.
 */
export type CustomerAggregate = {
  shop: string;
  customerId: string;
  email: string | null;
  ordersCount: number;
  /** Spend in the currency of the customer's first counted order (conditions compare this). */
  totalSpent: Money | null;
  /**
   * Spend in any other currency, in minor units per currency (a shop that changed its currency):
   * kept apart, never converted or added to `totalSpent`. Absent on items written before it.
   */
  otherCurrencySpent?: Record<string, number>;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  /** Per product id: orders containing it and units bought. */
  products: Record<string, ProductStats>;
  /** Per selector key: orders with a matching line, units, first and last such order. */
  counters: Record<string, SelectorStats>;
  /**
   * The selector keys whose `counters` count every order of the customer: the selectors
   * configured when the customer was first written, and those a reindex counted since. A journey
   * or segment that counts by a selector not listed waits for the reindex (see `countsFor`).
   * Absent on aggregates written before reindexing existed: taken as complete.
   */
  counted?: string[];
  /** The earliest counted orders (at most NTH_ORDER_LIMIT) with the selectors they matched. */
  firstOrders: FirstOrder[];
  /** Orders per order tag, discount code (upper case) and source channel. */
  orderTags: Record<string, number>;
  discountCodes: Record<string, number>;
  channels: Record<string, number>;
  /** Customer tags with the time of their last change (order-insensitive adds and removes). */
  customerTags: Record<string, { present: boolean; at: string }>;
  address: Address | null;
  emailMarketing: { state: EmailMarketingState; updatedAt: string | null };
  /** Incremented on every change; the optimistic-concurrency token and the stage entry id. */
  version: number;
  /**
   * The evaluation time: the latest event time of any change applied (an order's updated_at, a
   * consent's time, a tag change's occurredAt...). Conditions are evaluated at this time. A late,
   * older event never moves it back, so it does not depend on arrival order.
   */
  updatedAt: string;
};

/**
 * The order-derived fields of a customer without counted orders. Everything an order can change is
 * listed here once, so resetting (no orders left, or a rebuild) cannot forget a field.
 */
const noOrders = () => ({
  ordersCount: 0,
  totalSpent: null,
  otherCurrencySpent: {},
  firstOrderAt: null,
  lastOrderAt: null,
  products: {},
  counters: {},
  firstOrders: [],
  orderTags: {},
  discountCodes: {},
  channels: {},
});

export const emptyAggregate = (shop: string, customerId: string, now: string): CustomerAggregate => ({
  shop,
  customerId,
  email: null,
  ...noOrders(),
  customerTags: {},
  address: null,
  emailMarketing: { state: 'unknown', updatedAt: null },
  version: 0,
  updatedAt: now,
});

const earliest = (a: string | null, b: string): string =>
  a === null || Date.parse(b) < Date.parse(a) ? b : a;
const latest = (a: string | null, b: string): string => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

/** Adds to a capped tally: a new key beyond the cap is not tracked; a count reaching 0 is removed. */
const tally = (
  record: Record<string, number>,
  keys: readonly string[],
  sign: 1 | -1,
): Record<string, number> => {
  const next = { ...record };
  for (const key of keys) {
    const before = next[key];
    if (before === undefined && (sign === -1 || Object.keys(next).length >= MAX_DISTINCT_VALUES)) continue;
    const after = (before ?? 0) + sign;
    if (after <= 0) delete next[key];
    else next[key] = after;
  }
  return next;
};

const byPlacement = (a: FirstOrder, b: FirstOrder) =>
  Date.parse(a.placedAt) - Date.parse(b.placedAt) || a.orderId.localeCompare(b.orderId);

/**
 * Adds spend: to `totalSpent` in its currency (a zero total takes the new one's), else apart in
 * `otherCurrencySpent` — a customer's spend is never converted between currencies.
 */
const withSpend = (
  agg: CustomerAggregate,
  spent: Money,
): Pick<CustomerAggregate, 'totalSpent' | 'otherCurrencySpent'> => {
  const total = agg.totalSpent;
  const others = agg.otherCurrencySpent ?? {};
  if (total === null || total.currency === spent.currency || total.amount === 0)
    return { totalSpent: total === null ? spent : addMoney(total, spent), otherCurrencySpent: others };
  const sum = addMoney({ amount: others[spent.currency] ?? 0, currency: spent.currency }, spent).amount;
  const { [spent.currency]: _gone, ...rest } = others;
  return { totalSpent: total, otherCurrencySpent: sum === 0 ? rest : { ...rest, [spent.currency]: sum } };
};

/** Adds (sign 1) or takes out (sign -1) one order's contribution. */
const applySigned = (agg: CustomerAggregate, c: OrderContribution, sign: 1 | -1): CustomerAggregate => {
  if (!c.counts) return agg;
  const products: Record<string, ProductStats> = { ...agg.products };
  for (const [productId, units] of Object.entries(c.products)) {
    const before = products[productId];
    if (!before && sign === 1 && Object.keys(products).length >= MAX_DISTINCT_PRODUCTS) continue;
    if (!before && sign === -1) continue;
    const after = { orders: (before?.orders ?? 0) + sign, units: (before?.units ?? 0) + sign * units };
    if (after.orders <= 0) delete products[productId];
    else products[productId] = after;
  }
  const counters: Record<string, SelectorStats> = { ...agg.counters };
  for (const [key, units] of Object.entries(c.selectors)) {
    const before = counters[key] ?? { orders: 0, units: 0, firstAt: null, lastAt: null };
    const orders = before.orders + sign;
    if (orders <= 0) delete counters[key];
    else
      counters[key] = {
        orders,
        units: before.units + sign * units,
        // Like the order dates: bounds move outwards only (see the README's limits).
        firstAt: sign === 1 ? earliest(before.firstAt, c.placedAt) : before.firstAt,
        lastAt: sign === 1 ? latest(before.lastAt, c.placedAt) : before.lastAt,
      };
  }
  const firstOrders =
    sign === 1
      ? [
          ...agg.firstOrders.filter((o) => o.orderId !== c.orderId),
          { orderId: c.orderId, placedAt: c.placedAt, selectors: Object.keys(c.selectors).sort() },
        ]
          .sort(byPlacement)
          .slice(0, NTH_ORDER_LIMIT)
      : agg.firstOrders.filter((o) => o.orderId !== c.orderId);
  const spent = sign === 1 ? c.spent : negate(c.spent);
  const ordersCount = agg.ordersCount + sign;
  const shared = {
    ...agg,
    ordersCount,
    products,
    counters,
    firstOrders,
    orderTags: tally(agg.orderTags, c.tags, sign),
    discountCodes: tally(agg.discountCodes, c.discountCodes, sign),
    channels: tally(agg.channels, c.channel ? [c.channel] : [], sign),
  };
  if (ordersCount === 0) {
    // No counted order left: exactly the state of a customer who never ordered.
    return { ...shared, ...noOrders() };
  }
  return {
    ...shared,
    ...withSpend(agg, spent),
    // Dates only move outwards: taking out the earliest or latest of several orders keeps the
    // old bound (recomputing it needs the other orders' dates; see the README's limits).
    firstOrderAt: sign === 1 ? earliest(agg.firstOrderAt, c.placedAt) : agg.firstOrderAt,
    lastOrderAt: sign === 1 ? latest(agg.lastOrderAt, c.placedAt) : agg.lastOrderAt,
  };
};

/**
 * Whether taking `previous` out of the aggregate (to replace it with `next`) moves a bound that
 * the aggregate cannot recompute on its own: the first or last order date, a selection's first
 * or last date, or the list of first orders. Then the order-derived fields must be rebuilt from
 * every stored order (`rebuildFromOrders`), which is exact, instead of updated incrementally.
 */
export const removalMovesBounds = (
  agg: CustomerAggregate,
  previous: OrderContribution | undefined,
  next: OrderContribution,
): boolean => {
  if (!previous?.counts) return false;
  const unchanged =
    next.counts &&
    next.placedAt === previous.placedAt &&
    Object.keys(next.selectors).sort().join() === Object.keys(previous.selectors).sort().join();
  if (unchanged) return false;
  return (
    previous.placedAt === agg.firstOrderAt ||
    previous.placedAt === agg.lastOrderAt ||
    agg.firstOrders.some((o) => o.orderId === previous.orderId) ||
    Object.keys(previous.selectors).some(
      (key) =>
        agg.counters[key]?.firstAt === previous.placedAt || agg.counters[key]?.lastAt === previous.placedAt,
    )
  );
};

/**
 * Replaces an order's previous contribution (if any) with its new one. Applying the same pair
 * twice is prevented by the caller (`supersedes`); the result does not depend on arrival order
 * (when `removalMovesBounds`, use `rebuildFromOrders` instead).
 */
export const replaceContribution = (
  agg: CustomerAggregate,
  previous: OrderContribution | undefined,
  next: OrderContribution,
  now: string,
): CustomerAggregate => {
  const without = previous ? applySigned(agg, previous, -1) : agg;
  return {
    ...applySigned(without, next, 1),
    version: agg.version + 1,
    updatedAt: latest(agg.updatedAt, now),
  };
};

/**
 * The aggregate with every order-derived field recomputed from all of the customer's orders
 * (in the order they were placed). Customer fields (email, consent, tags, address) are kept.
 */
export const rebuildFromOrders = (
  agg: CustomerAggregate,
  orders: readonly OrderContribution[],
  now: string,
): CustomerAggregate => {
  const reset: CustomerAggregate = { ...agg, ...noOrders() };
  const placed = [...orders].sort(
    (a, b) => Date.parse(a.placedAt) - Date.parse(b.placedAt) || a.orderId.localeCompare(b.orderId),
  );
  return {
    ...placed.reduce((acc, order) => applySigned(acc, order, 1), reset),
    version: agg.version + 1,
    updatedAt: latest(agg.updatedAt, now),
  };
};

/** The next version of a changed aggregate; its evaluation time never moves back. */
export const bump = (agg: CustomerAggregate, now: string): CustomerAggregate => ({
  ...agg,
  version: agg.version + 1,
  updatedAt: latest(agg.updatedAt, now),
});

export type ConsentChange = { state: EmailMarketingState; updatedAt: string | null; email: string | null };

/** Applies a consent update unless a newer one is already recorded. Returns null when nothing changes. */
export const applyConsent = (
  agg: CustomerAggregate,
  change: ConsentChange,
  now: string,
): CustomerAggregate | null => {
  const known = agg.emailMarketing.updatedAt;
  if (known !== null && change.updatedAt !== null && Date.parse(change.updatedAt) < Date.parse(known))
    return null;
  const email = change.email ?? agg.email;
  if (agg.emailMarketing.state === change.state && known === change.updatedAt && email === agg.email)
    return null;
  return bump(
    { ...agg, email, emailMarketing: { state: change.state, updatedAt: change.updatedAt ?? known } },
    now,
  );
};

export type TagChange = { tags: readonly string[]; present: boolean; at: string };

/**
 * Adds or removes customer tags. Each tag keeps the time of its last change, so an add and a
 * remove arriving out of order end as the later one says, and an add and a remove of the same time
 * end removed in either order. Returns null when nothing changes.
 */
export const applyCustomerTags = (
  agg: CustomerAggregate,
  change: TagChange,
  now: string,
): CustomerAggregate | null => {
  const customerTags = { ...agg.customerTags };
  let changed = false;
  for (const raw of change.tags) {
    const tag = raw.trim();
    if (!tag) continue;
    const known = customerTags[tag];
    // The later change wins; at the same time a removal wins, whichever arrived first.
    const knownAt = known ? Date.parse(known.at) : Number.NEGATIVE_INFINITY;
    const at = Date.parse(change.at);
    if (known && (knownAt > at || (knownAt === at && (!known.present || change.present)))) continue;
    if (!known && Object.keys(customerTags).length >= MAX_DISTINCT_VALUES) continue;
    customerTags[tag] = { present: change.present, at: change.at };
    changed = true;
  }
  return changed ? bump({ ...agg, customerTags }, now) : null;
};

/** The aggregate with a newer default address, or unchanged (no version bump: callers bump once). */
export const withAddress = (
  agg: CustomerAggregate,
  address: { countryCode: string | null; provinceCode: string | null } | null,
  at: string,
): CustomerAggregate => {
  if (!address || (agg.address && Date.parse(agg.address.updatedAt) >= Date.parse(at))) return agg;
  if (agg.address?.countryCode === address.countryCode && agg.address?.provinceCode === address.provinceCode)
    return agg;
  return { ...agg, address: { ...address, updatedAt: at } };
};

export const withEmail = (agg: CustomerAggregate, email: string | null): CustomerAggregate =>
  email && !agg.email ? { ...agg, email } : agg;

/** Whether the customer currently carries a tag. */
export const hasCustomerTag = (agg: CustomerAggregate, tag: string): boolean =>
  agg.customerTags[tag]?.present === true;
