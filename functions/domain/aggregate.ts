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

/**
 * Everything Loyalty Loop knows about one customer of one shop, kept as one DynamoDB item.
 * Its size is bounded by the number of distinct products bought, not by the number of orders.
 */
export type CustomerAggregate = {
  shop: string;
  customerId: string;
  email: string | null;
  ordersCount: number;
  totalSpent: Money | null;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  /** Per product id: orders containing it and units bought. */
  products: Record<string, ProductStats>;
  /** Per selector key: orders containing at least one matching line. */
  counters: Record<string, number>;
  emailMarketing: { state: EmailMarketingState; updatedAt: string | null };
  /** Incremented on every change; the optimistic-concurrency token and the stage entry id. */
  version: number;
  updatedAt: string;
};

export const emptyAggregate = (shop: string, customerId: string, now: string): CustomerAggregate => ({
  shop,
  customerId,
  email: null,
  ordersCount: 0,
  totalSpent: null,
  firstOrderAt: null,
  lastOrderAt: null,
  products: {},
  counters: {},
  emailMarketing: { state: 'unknown', updatedAt: null },
  version: 0,
  updatedAt: now,
});

const earliest = (a: string | null, b: string): string =>
  a === null || Date.parse(b) < Date.parse(a) ? b : a;
const latest = (a: string | null, b: string): string => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

const addTo = (record: Record<string, number>, key: string, delta: number): void => {
  const next = (record[key] ?? 0) + delta;
  if (next === 0) delete record[key];
  else record[key] = next;
};

/** Adds (sign 1) or takes out (sign -1) one order's contribution. */
const applySigned = (agg: CustomerAggregate, c: OrderContribution, sign: 1 | -1): CustomerAggregate => {
  if (!c.counts) return agg;
  const products: Record<string, ProductStats> = { ...agg.products };
  for (const [productId, units] of Object.entries(c.products)) {
    const before = products[productId] ?? { orders: 0, units: 0 };
    const after = { orders: before.orders + sign, units: before.units + sign * units };
    if (after.orders <= 0) delete products[productId];
    else products[productId] = after;
  }
  const counters = { ...agg.counters };
  for (const key of c.counters) addTo(counters, key, sign);
  const spent = sign === 1 ? c.spent : negate(c.spent);
  const totalSpent = agg.totalSpent === null ? spent : addMoney(agg.totalSpent, spent);
  const ordersCount = agg.ordersCount + sign;
  if (ordersCount === 0) {
    // No counted order left: exactly the state of a customer who never ordered.
    return {
      ...agg,
      ordersCount,
      totalSpent: null,
      products,
      counters,
      firstOrderAt: null,
      lastOrderAt: null,
    };
  }
  return {
    ...agg,
    ordersCount,
    totalSpent,
    products,
    counters,
    // Dates only move outwards: taking out the earliest or latest of several orders keeps the
    // old bound (recomputing it needs the other orders' dates; see the README's limits).
    firstOrderAt: sign === 1 ? earliest(agg.firstOrderAt, c.placedAt) : agg.firstOrderAt,
    lastOrderAt: sign === 1 ? latest(agg.lastOrderAt, c.placedAt) : agg.lastOrderAt,
  };
};

/**
 * Replaces an order's previous contribution (if any) with its new one. Applying the same pair
 * twice is prevented by the caller (`supersedes`); the result does not depend on arrival order.
 */
export const replaceContribution = (
  agg: CustomerAggregate,
  previous: OrderContribution | undefined,
  next: OrderContribution,
  now: string,
): CustomerAggregate => {
  const without = previous ? applySigned(agg, previous, -1) : agg;
  return { ...applySigned(without, next, 1), version: agg.version + 1, updatedAt: now };
};

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
  return {
    ...agg,
    email,
    emailMarketing: { state: change.state, updatedAt: change.updatedAt ?? known },
    version: agg.version + 1,
    updatedAt: now,
  };
};

export const withEmail = (agg: CustomerAggregate, email: string | null): CustomerAggregate =>
  email && !agg.email ? { ...agg, email } : agg;
