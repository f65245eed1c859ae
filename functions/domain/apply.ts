import {
  applyConsent,
  applyCustomerTags,
  bump,
  type ConsentChange,
  type CustomerAggregate,
  emptyAggregate,
  rebuildFromOrders,
  removalMovesBounds,
  replaceContribution,
  type TagChange,
  withAddress,
  withEmail,
} from './aggregate.ts';
import {
  type ContributionOptions,
  type OrderContribution,
  type OrderFacts,
  orderContribution,
  type RefundContribution,
  refundContribution,
  supersedes,
  withRefund,
} from './order.ts';

export type OrderChange =
  | { aggregate: CustomerAggregate; order: OrderContribution }
  | 'stale'
  /** The change moves a bound: call again with the customer's other stored orders. */
  | 'needs-other-orders';

/**
 * Replaces an order's stored contribution with `next`: incrementally, or, when taking the old one
 * out moves a bound (see `removalMovesBounds`), by rebuilding from `otherOrders` (every other
 * stored order of the customer); without them the answer is 'needs-other-orders'.
 */
const replaceOrder = (
  base: CustomerAggregate,
  stored: OrderContribution | undefined,
  next: OrderContribution,
  now: string,
  otherOrders: readonly OrderContribution[] | undefined,
): OrderChange => {
  if (!removalMovesBounds(base, stored, next))
    return { aggregate: replaceContribution(base, stored, next, now), order: next };
  if (!otherOrders) return 'needs-other-orders';
  const others = otherOrders.filter((o) => o.orderId !== next.orderId);
  return { aggregate: rebuildFromOrders(base, [...others, next], now), order: next };
};

/**
 * The effect of one version of an order on its customer: replace the stored contribution if this
 * version is newer, else nothing ('stale'). Delivering versions in any order, any number of
 * times, ends in the same aggregate as delivering the newest once. Refunds known before
 * (`parkedRefunds`, or those of the stored version) stay taken off.
 */
export type OrderVersion = {
  shop: string;
  current: CustomerAggregate | null;
  stored: OrderContribution | undefined;
  facts: OrderFacts;
  options: ContributionOptions;
  /** The evaluation time of the change. */
  now: string;
  /** Refunds of this order that arrived before the customer was known (`refunds/create`). */
  parkedRefunds?: readonly RefundContribution[];
};

export const orderChange = (
  { shop, current, stored, facts, options, now, parkedRefunds = [] }: OrderVersion,
  otherOrders?: readonly OrderContribution[],
): OrderChange => {
  if (stored && !supersedes(facts, stored)) {
    // An older version can still carry a refund the stored one lacks (refunds are never undone).
    const missing = (facts.refunds ?? [])
      .map((r) => refundContribution(r, options))
      .concat(parkedRefunds)
      .filter((r) => !stored.refunds.some((known) => known.refundId === r.refundId));
    return missing.length > 0 ? refundChange(current, stored, missing, now, otherOrders) : 'stale';
  }
  const next = orderContribution(facts, options, [...(stored?.refunds ?? []), ...parkedRefunds]);
  const base = withAddress(
    withEmail(current ?? emptyAggregate(shop, facts.customerId, now), facts.email),
    facts.address,
    facts.updatedAt,
  );
  return replaceOrder(base, stored, next, now, otherOrders);
};

/**
 * The effect of refunds on a stored order: taken off its contribution once each, in any order
 * and any number of deliveries. 'stale' when every refund is already known or the order is not.
 */
export const refundChange = (
  current: CustomerAggregate | null,
  stored: OrderContribution | undefined,
  refunds: readonly RefundContribution[],
  now: string,
  otherOrders?: readonly OrderContribution[],
): OrderChange => {
  if (!current || !stored) return 'stale';
  const next = refunds.reduce<OrderContribution | null>((c, r) => (c && withRefund(c, r)) ?? c, stored);
  if (next === null || next === stored) return 'stale';
  return replaceOrder(current, stored, next, now, otherOrders);
};

/** Computes a change, fetching the customer's other orders through `loadOtherOrders` only when it must. */
export const withOtherOrders = async (
  change: (otherOrders?: readonly OrderContribution[]) => OrderChange,
  loadOtherOrders: () => Promise<readonly OrderContribution[]>,
): Promise<{ aggregate: CustomerAggregate; order: OrderContribution } | 'stale'> => {
  const first = change();
  if (first !== 'needs-other-orders') return first;
  const rebuilt = change(await loadOtherOrders());
  if (rebuilt === 'needs-other-orders') throw new Error('a change asked again for the orders it was given');
  return rebuilt;
};

export const consentChange = (
  shop: string,
  customerId: string,
  current: CustomerAggregate | null,
  change: ConsentChange,
  now: string,
): CustomerAggregate | null => applyConsent(current ?? emptyAggregate(shop, customerId, now), change, now);

export const tagsChange = (
  shop: string,
  customerId: string,
  current: CustomerAggregate | null,
  change: TagChange,
  now: string,
): CustomerAggregate | null =>
  applyCustomerTags(current ?? emptyAggregate(shop, customerId, now), change, now);

export const customerChange = (
  shop: string,
  customerId: string,
  current: CustomerAggregate | null,
  update: {
    email: string | null;
    address: { countryCode: string | null; provinceCode: string | null } | null;
    at: string;
  },
  now: string,
): CustomerAggregate | null => {
  const base = current ?? emptyAggregate(shop, customerId, now);
  const next = withAddress(withEmail(base, update.email), update.address, update.at);
  return next === base ? null : bump(next, now);
};

/**
 * Time passing (the sweep's tick): the same customer, evaluated at `at` — a time condition ("no
 * order for 45 days") may hold now. A new version, so the change is seen and its moves have an
 * entry id; an older `at` never moves the evaluation time back.
 */
export const clockChange = (current: CustomerAggregate, at: string): CustomerAggregate => bump(current, at);
