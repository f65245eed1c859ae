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
  supersedes,
} from './order.ts';

export type OrderChange =
  | { aggregate: CustomerAggregate; order: OrderContribution }
  | 'stale'
  /** The change moves a bound: call again with the customer's other stored orders. */
  | 'needs-other-orders';

/**
 * The effect of one version of an order on its customer: replace the stored contribution if this
 * version is newer, else nothing ('stale'). Delivering versions in any order, any number of
 * times, ends in the same aggregate as delivering the newest once. When taking the old version
 * out moves a bound (see `removalMovesBounds`), the aggregate is rebuilt from `otherOrders`
 * (every other stored order of the customer); without them the answer is 'needs-other-orders'.
 */
export const orderChange = (
  shop: string,
  current: CustomerAggregate | null,
  stored: OrderContribution | undefined,
  facts: OrderFacts,
  options: ContributionOptions,
  now: string,
  otherOrders?: readonly OrderContribution[],
): OrderChange => {
  const next = orderContribution(facts, options);
  if (!supersedes(next, stored)) return 'stale';
  const base = withAddress(
    withEmail(current ?? emptyAggregate(shop, facts.customerId, now), facts.email),
    facts.address,
    facts.updatedAt,
  );
  if (!removalMovesBounds(base, stored, next))
    return { aggregate: replaceContribution(base, stored, next, now), order: next };
  if (!otherOrders) return 'needs-other-orders';
  const others = otherOrders.filter((o) => o.orderId !== next.orderId);
  return { aggregate: rebuildFromOrders(base, [...others, next], now), order: next };
};

/** `orderChange`, fetching the customer's other orders through `loadOtherOrders` only when it must. */
export const orderChangeLoading = async (
  shop: string,
  current: CustomerAggregate | null,
  stored: OrderContribution | undefined,
  facts: OrderFacts,
  options: ContributionOptions,
  now: string,
  loadOtherOrders: () => Promise<readonly OrderContribution[]>,
): Promise<{ aggregate: CustomerAggregate; order: OrderContribution } | 'stale'> => {
  const change = orderChange(shop, current, stored, facts, options, now);
  if (change !== 'needs-other-orders') return change;
  const rebuilt = orderChange(shop, current, stored, facts, options, now, await loadOtherOrders());
  if (rebuilt === 'needs-other-orders')
    throw new Error('orderChange asked again for the orders it was given');
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
