import type { CustomerAggregate } from './aggregate.ts';
import { assertUnreachable, type Condition, type DateCondition, evaluate } from './conditions.ts';
import { currentStage, evaluatedAt, type Journey, type Segment } from './journey.ts';
import { selectorKey } from './order.ts';
import { DAY_MS } from './timing.ts';

export type TimedDefinitions = { journeys: readonly Journey[]; segments: readonly Segment[] };

const relativeDays = (date: DateCondition): number | null =>
  'withinLastDays' in date ? date.withinLastDays : 'moreThanDaysAgo' in date ? date.moreThanDaysAgo : null;

/**
 * The times at which a relative date condition can change its answer with no change to the
 * customer: "within the last N days" of t turns false, and "more than N days ago" true, just after
 * t + N days; "within" of a t still ahead turns true at t.
 */
function* flipTimes(condition: Condition, agg: CustomerAggregate): Generator<number> {
  const around = function* (at: string | null | undefined, date: DateCondition) {
    const days = relativeDays(date);
    if (days === null || !at) return;
    const t = Date.parse(at);
    yield t;
    yield t + days * DAY_MS + 1;
  };
  switch (condition.type) {
    case 'firstOrderDate':
      yield* around(agg.firstOrderAt, condition.date);
      return;
    case 'lastOrderDate':
      yield* around(agg.lastOrderAt, condition.date);
      return;
    case 'ordersContaining':
      if (condition.lastOrder)
        yield* around(agg.counters[selectorKey(condition.products)]?.lastAt, condition.lastOrder);
      return;
    case 'all':
    case 'any':
      for (const c of condition.conditions) yield* flipTimes(c, agg);
      return;
    case 'not':
      yield* flipTimes(condition.condition, agg);
      return;
    case 'ordersCount':
    case 'totalSpent':
    case 'averageOrderValue':
    case 'nthOrderContains':
    case 'orderTag':
    case 'customerTag':
    case 'emailMarketing':
    case 'address':
    case 'discountCode':
    case 'channel':
      return;
    default:
      assertUnreachable(condition);
  }
}

/** Where the customer stands at `at`: a stage per journey and the segments they are in. */
const standing = (definitions: TimedDefinitions, agg: CustomerAggregate, at: number): string =>
  JSON.stringify([
    definitions.journeys.map((journey) => currentStage(journey, agg, at)?.id ?? null),
    definitions.segments.filter((segment) => evaluate(segment.when, agg, at)).map((segment) => segment.id),
  ]);

/**
 * The next time the passing of time alone moves this customer — into or out of a journey stage or
 * a segment — after their evaluation time; null when it never does (no relative date condition
 * can change where they stand). The sweep re-evaluates them then.
 */
export const wakeTime = (definitions: TimedDefinitions, agg: CustomerAggregate): string | null => {
  const now = evaluatedAt(agg);
  const conditions = [
    ...definitions.journeys.flatMap((journey) => journey.stages.map((stage) => stage.when)),
    ...definitions.segments.map((segment) => segment.when),
  ];
  const candidates = [...new Set(conditions.flatMap((c) => [...flipTimes(c, agg)]))]
    .filter((t) => t > now)
    .sort((a, b) => a - b);
  if (candidates.length === 0) return null;
  const here = standing(definitions, agg, now);
  const next = candidates.find((t) => standing(definitions, agg, t) !== here);
  return next === undefined ? null : new Date(next).toISOString();
};

/** The wake time of a configuration that has journeys or segments (else: never). */
export const wakeTimeOf =
  (definitions: Partial<TimedDefinitions>) =>
  (agg: CustomerAggregate): string | null =>
    definitions.journeys || definitions.segments
      ? wakeTime({ journeys: definitions.journeys ?? [], segments: definitions.segments ?? [] }, agg)
      : null;
