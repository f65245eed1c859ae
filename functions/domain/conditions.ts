import { z } from 'zod';
import { type CustomerAggregate, hasCustomerTag, NTH_ORDER_LIMIT } from './aggregate.ts';
import { type ProductSelector, selectorKey } from './order.ts';

/** An inclusive integer range; a missing bound is open. */
export const CountRange = z
  .object({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() })
  .strict()
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'min must not exceed max',
  });
export type CountRange = z.infer<typeof CountRange>;

/** An amount range in minor units of one currency (JPY 480 is 480; USD 4.80 is 480). */
export const AmountRange = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in upper case'),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
  })
  .strict()
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'min must not exceed max',
  })
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'give min, max or both' });
export type AmountRange = z.infer<typeof AmountRange>;

const Days = z.number().int().positive().max(36_500);
/**
 * When something happened, relative to the evaluation time or absolute:
 * `{ withinLastDays: 14 }`, `{ moreThanDaysAgo: 60 }`, `{ after: ISO, before: ISO }` (either bound).
 */
export const DateCondition = z.union([
  z.object({ withinLastDays: Days }).strict(),
  z.object({ moreThanDaysAgo: Days }).strict(),
  z
    .object({
      after: z.iso.datetime({ offset: true }).optional(),
      before: z.iso.datetime({ offset: true }).optional(),
    })
    .strict()
    .refine((d) => d.after !== undefined || d.before !== undefined, { message: 'give after, before or both' })
    .refine(
      (d) => d.after === undefined || d.before === undefined || Date.parse(d.after) < Date.parse(d.before),
      {
        message: 'after must be earlier than before',
      },
    ),
]);
export type DateCondition = z.infer<typeof DateCondition>;

const ids = z.array(z.string().min(1)).min(1);
export const ProductSelectorSchema = z
  .object({ productIds: ids, variantIds: ids, skus: ids, vendors: ids, titles: ids })
  .partial()
  .strict()
  .refine((s) => Object.values(s).some((v) => v !== undefined), {
    message: 'select at least one product field',
  });

export const EMAIL_MARKETING_STATES = [
  'subscribed',
  'not_subscribed',
  'unsubscribed',
  'pending',
  'redacted',
  'invalid',
  'unknown',
] as const;

const values = z.array(z.string().min(1)).min(1);

/** A condition over one customer's aggregate, evaluated at a given time. */
export type Condition =
  | { type: 'ordersCount'; count: CountRange }
  | { type: 'totalSpent'; amount: AmountRange }
  | { type: 'averageOrderValue'; amount: AmountRange }
  | {
      type: 'ordersContaining';
      products: ProductSelector;
      count?: CountRange;
      units?: CountRange;
      lastOrder?: DateCondition;
    }
  | { type: 'nthOrderContains'; n: number; products: ProductSelector }
  | { type: 'firstOrderDate'; date: DateCondition }
  | { type: 'lastOrderDate'; date: DateCondition }
  | { type: 'orderTag'; tags: string[]; count?: CountRange }
  | { type: 'customerTag'; tags: string[] }
  | { type: 'emailMarketing'; states: (typeof EMAIL_MARKETING_STATES)[number][] }
  | { type: 'address'; countryCodes?: string[]; provinceCodes?: string[] }
  | { type: 'discountCode'; codes: string[]; count?: CountRange }
  | { type: 'channel'; channels: string[]; count?: CountRange }
  | { type: 'all'; conditions: Condition[] }
  | { type: 'any'; conditions: Condition[] }
  | { type: 'not'; condition: Condition };

export type ConditionType = Condition['type'];

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('ordersCount'), count: CountRange }).strict(),
    z.object({ type: z.literal('totalSpent'), amount: AmountRange }).strict(),
    z.object({ type: z.literal('averageOrderValue'), amount: AmountRange }).strict(),
    z
      .object({
        type: z.literal('ordersContaining'),
        products: ProductSelectorSchema,
        count: CountRange.optional(),
        units: CountRange.optional(),
        lastOrder: DateCondition.optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('nthOrderContains'),
        n: z.number().int().min(1).max(NTH_ORDER_LIMIT),
        products: ProductSelectorSchema,
      })
      .strict(),
    z.object({ type: z.literal('firstOrderDate'), date: DateCondition }).strict(),
    z.object({ type: z.literal('lastOrderDate'), date: DateCondition }).strict(),
    z.object({ type: z.literal('orderTag'), tags: values, count: CountRange.optional() }).strict(),
    z.object({ type: z.literal('customerTag'), tags: values }).strict(),
    z
      .object({ type: z.literal('emailMarketing'), states: z.array(z.enum(EMAIL_MARKETING_STATES)).min(1) })
      .strict(),
    z
      .object({
        type: z.literal('address'),
        countryCodes: z
          .array(z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in upper case'))
          .min(1)
          .optional(),
        provinceCodes: values.optional(),
      })
      .strict()
      .refine((a) => a.countryCodes !== undefined || a.provinceCodes !== undefined, {
        message: 'give countryCodes, provinceCodes or both',
      }),
    z.object({ type: z.literal('discountCode'), codes: values, count: CountRange.optional() }).strict(),
    z.object({ type: z.literal('channel'), channels: values, count: CountRange.optional() }).strict(),
    z.object({ type: z.literal('all'), conditions: z.array(ConditionSchema) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(ConditionSchema) }).strict(),
    z.object({ type: z.literal('not'), condition: ConditionSchema }).strict(),
  ]),
);

export const assertUnreachable = (x: never): never => {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
};

const DAY_MS = 86_400_000;
const AT_LEAST_ONE: CountRange = { min: 1 };

const inRange = (n: number, r: CountRange): boolean =>
  (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);

const inAmount = (amount: number, currency: string | undefined, r: AmountRange): boolean =>
  currency === r.currency &&
  (r.min === undefined || amount >= r.min) &&
  (r.max === undefined || amount <= r.max);

/** A date condition on a moment that may not exist (never ordered): a missing moment never matches. */
export const dateMatches = (at: string | null, d: DateCondition, now: number): boolean => {
  if (at === null) return false;
  const t = Date.parse(at);
  if ('withinLastDays' in d) return t <= now && now - t <= d.withinLastDays * DAY_MS;
  if ('moreThanDaysAgo' in d) return now - t > d.moreThanDaysAgo * DAY_MS;
  return (
    (d.after === undefined || t > Date.parse(d.after)) && (d.before === undefined || t < Date.parse(d.before))
  );
};

const sumOf = (record: Record<string, number>, keys: readonly string[]) =>
  keys.reduce((n, k) => n + (record[k] ?? 0), 0);

/**
 * Evaluates a condition at time `now` (epoch ms) in O(size of the condition): every input is a
 * bounded field of the aggregate, whatever the customer's history.
 */
export const evaluate = (condition: Condition, agg: CustomerAggregate, now: number): boolean => {
  switch (condition.type) {
    case 'ordersCount':
      return inRange(agg.ordersCount, condition.count);
    case 'totalSpent':
      return inAmount(
        agg.totalSpent?.amount ?? 0,
        agg.totalSpent?.currency ?? condition.amount.currency,
        condition.amount,
      );
    case 'averageOrderValue':
      return (
        agg.ordersCount > 0 &&
        agg.totalSpent !== null &&
        inAmount(
          Math.round(agg.totalSpent.amount / agg.ordersCount),
          agg.totalSpent.currency,
          condition.amount,
        )
      );
    case 'ordersContaining': {
      const stats = agg.counters[selectorKey(condition.products)];
      return (
        inRange(stats?.orders ?? 0, condition.count ?? (condition.units ? {} : AT_LEAST_ONE)) &&
        inRange(stats?.units ?? 0, condition.units ?? {}) &&
        (condition.lastOrder === undefined || dateMatches(stats?.lastAt ?? null, condition.lastOrder, now))
      );
    }
    case 'nthOrderContains':
      return agg.firstOrders[condition.n - 1]?.selectors.includes(selectorKey(condition.products)) ?? false;
    case 'firstOrderDate':
      return dateMatches(agg.firstOrderAt, condition.date, now);
    case 'lastOrderDate':
      return dateMatches(agg.lastOrderAt, condition.date, now);
    case 'orderTag':
      return inRange(sumOf(agg.orderTags, condition.tags), condition.count ?? AT_LEAST_ONE);
    case 'customerTag':
      return condition.tags.some((tag) => hasCustomerTag(agg, tag));
    case 'emailMarketing':
      return condition.states.includes(agg.emailMarketing.state);
    case 'address':
      return (
        (condition.countryCodes === undefined ||
          condition.countryCodes.includes(agg.address?.countryCode ?? '')) &&
        (condition.provinceCodes === undefined ||
          condition.provinceCodes.includes(agg.address?.provinceCode ?? ''))
      );
    case 'discountCode':
      return inRange(
        sumOf(
          agg.discountCodes,
          condition.codes.map((c) => c.toUpperCase()),
        ),
        condition.count ?? AT_LEAST_ONE,
      );
    case 'channel':
      return inRange(sumOf(agg.channels, condition.channels), condition.count ?? AT_LEAST_ONE);
    case 'all':
      return condition.conditions.every((c) => evaluate(c, agg, now));
    case 'any':
      return condition.conditions.some((c) => evaluate(c, agg, now));
    case 'not':
      return !evaluate(condition.condition, agg, now);
    default:
      return assertUnreachable(condition);
  }
};

/** Every product selector a condition counts by: the aggregate keeps one counter for each. */
export const selectorsOf = (condition: Condition): ProductSelector[] => {
  switch (condition.type) {
    case 'ordersContaining':
    case 'nthOrderContains':
      return [condition.products];
    case 'all':
    case 'any':
      return condition.conditions.flatMap(selectorsOf);
    case 'not':
      return selectorsOf(condition.condition);
    case 'ordersCount':
    case 'totalSpent':
    case 'averageOrderValue':
    case 'firstOrderDate':
    case 'lastOrderDate':
    case 'orderTag':
    case 'customerTag':
    case 'emailMarketing':
    case 'address':
    case 'discountCode':
    case 'channel':
      return [];
    default:
      return assertUnreachable(condition);
  }
};
