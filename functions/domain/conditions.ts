import { z } from 'zod';
import type { CustomerAggregate } from './aggregate.ts';
import { type ProductSelector, selectorKey } from './order.ts';

/** An inclusive integer range; a missing bound is open. */
export const CountRange = z
  .object({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() })
  .strict()
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'min must not exceed max',
  });
export type CountRange = z.infer<typeof CountRange>;

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

/**
 * A condition over one customer's aggregate. The minimal form of the spine; the full language
 * (dates, tags, nth order, geography...) extends this union.
 */
export type Condition =
  | { type: 'ordersCount'; count: CountRange }
  | { type: 'ordersContaining'; products: ProductSelector; count: CountRange }
  | { type: 'emailMarketing'; states: (typeof EMAIL_MARKETING_STATES)[number][] }
  | { type: 'all'; conditions: Condition[] }
  | { type: 'any'; conditions: Condition[] }
  | { type: 'not'; condition: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('ordersCount'), count: CountRange }).strict(),
    z
      .object({ type: z.literal('ordersContaining'), products: ProductSelectorSchema, count: CountRange })
      .strict(),
    z
      .object({ type: z.literal('emailMarketing'), states: z.array(z.enum(EMAIL_MARKETING_STATES)).min(1) })
      .strict(),
    z.object({ type: z.literal('all'), conditions: z.array(ConditionSchema) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(ConditionSchema) }).strict(),
    z.object({ type: z.literal('not'), condition: ConditionSchema }).strict(),
  ]),
);

export const assertUnreachable = (x: never): never => {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
};

const inRange = (n: number, r: CountRange): boolean =>
  (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);

/** Evaluates a condition in O(size of the condition), whatever the customer's history. */
export const evaluate = (condition: Condition, agg: CustomerAggregate): boolean => {
  switch (condition.type) {
    case 'ordersCount':
      return inRange(agg.ordersCount, condition.count);
    case 'ordersContaining':
      return inRange(agg.counters[selectorKey(condition.products)] ?? 0, condition.count);
    case 'emailMarketing':
      return condition.states.includes(agg.emailMarketing.state);
    case 'all':
      return condition.conditions.every((c) => evaluate(c, agg));
    case 'any':
      return condition.conditions.some((c) => evaluate(c, agg));
    case 'not':
      return !evaluate(condition.condition, agg);
    default:
      return assertUnreachable(condition);
  }
};

/** Every product selector a condition counts by: the aggregate keeps one counter for each. */
export const selectorsOf = (condition: Condition): ProductSelector[] => {
  switch (condition.type) {
    case 'ordersContaining':
      return [condition.products];
    case 'all':
    case 'any':
      return condition.conditions.flatMap(selectorsOf);
    case 'not':
      return selectorsOf(condition.condition);
    case 'ordersCount':
    case 'emailMarketing':
      return [];
    default:
      return assertUnreachable(condition);
  }
};
