import {
  applyAddress,
  applyConsent,
  applyCustomerTags,
  type ConsentChange,
  type CustomerAggregate,
  emptyAggregate,
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

export type OrderChange = { aggregate: CustomerAggregate; order: OrderContribution } | 'stale';

/**
 * The effect of one version of an order on its customer: replace the stored contribution if this
 * version is newer, else nothing ('stale'). Delivering versions in any order, any number of
 * times, ends in the same aggregate as delivering the newest once.
 */
export const orderChange = (
  shop: string,
  current: CustomerAggregate | null,
  stored: OrderContribution | undefined,
  facts: OrderFacts,
  options: ContributionOptions,
  now: string,
): OrderChange => {
  const next = orderContribution(facts, options);
  if (!supersedes(next, stored)) return 'stale';
  const base = withAddress(
    withEmail(current ?? emptyAggregate(shop, facts.customerId, now), facts.email),
    facts.address,
    facts.updatedAt,
  );
  return { aggregate: replaceContribution(base, stored, next, now), order: next };
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
  const withMail = withEmail(base, update.email);
  const next = update.address
    ? (applyAddress(withMail, update.address, update.at, now) ?? withMail)
    : withMail;
  if (next === base) return null;
  return next.version === base.version ? { ...next, version: base.version + 1, updatedAt: now } : next;
};
