import { z } from 'zod';

export const DAY_MS = 86_400_000;

/**
 * How long a send record (pending, sent, cancelled, skipped) is kept in the table. A delay must
 * end well inside it: a pending send outliving its record could never be found again.
 */
export const SEND_RECORD_RETENTION_DAYS = 400;
/** The longest delay a stage's email may have. */
export const MAX_DELAY_DAYS = 365;
/** The fewest returning customers a percentile delay is taken from, unless the stage says more. */
export const DEFAULT_MIN_SAMPLE = 30;
/** Repurchase intervals are kept per order number 1…INTERVAL_ORDERS (the last covers "and later"). */
export const INTERVAL_ORDERS = 4;

const Days = z
  .number()
  .nonnegative()
  .refine((days) => days <= MAX_DELAY_DAYS, {
    message: `at most ${MAX_DELAY_DAYS} days: a pending send is kept ${SEND_RECORD_RETENTION_DAYS} days`,
  });

/**
 * When a stage's email goes out, counted from the stage entry: a fixed `{ days }` (fractions
 * allowed: 0.5 is 12 hours), or `{ percentile, of: 'repurchase-interval', fallback: { days } }`, the
 * day by which that share of the shop's returning customers had placed their next order (from
 * their current order number to the next), with `fallback` while fewer than `minSample` did.
 */
export const DelaySchema = z
  .object({
    days: Days.optional(),
    percentile: z.number().int().min(1).max(99).optional(),
    of: z.literal('repurchase-interval').optional(),
    minSample: z.number().int().min(1).optional(),
    fallback: z.object({ days: Days }).strict().optional(),
  })
  .strict()
  .superRefine((delay, ctx) => {
    const issue = (message: string, path: string[] = []) => ctx.addIssue({ code: 'custom', path, message });
    if (delay.days !== undefined) {
      if (delay.percentile !== undefined || delay.of !== undefined || delay.fallback !== undefined)
        issue('give either days or a percentile, not both');
      return;
    }
    if (delay.percentile === undefined) {
      issue(
        'give days ({ days: 14 }) or a percentile ({ percentile: 40, of: "repurchase-interval", fallback: { days: 14 } })',
      );
      return;
    }
    if (delay.of === undefined)
      issue('a percentile delay names its distribution: of: "repurchase-interval"', ['of']);
    if (delay.fallback === undefined)
      issue(
        'a percentile delay needs a fallback delay (fallback: { days: N }) for a shop with too little data',
        ['fallback'],
      );
  });
export type Delay = z.infer<typeof DelaySchema>;

/**
 * Whether a stage's email goes out again when the customer enters the stage again (after leaving
 * it, e.g. a cancelled order): `every-entry` (the default), `once` (the first email ever for this
 * stage, however often it is entered), or `{ oncePerDays: N }` (not if one went out in the last N
 * days). Judged at the due time from the stage's earlier sends.
 */
export const ReentrySchema = z.union([
  z.enum(['every-entry', 'once']),
  z.object({ oncePerDays: Days.refine((d) => d > 0, { message: 'at least some days' }) }).strict(),
]);
export type Reentry = z.infer<typeof ReentrySchema>;

/** Why an email may not go out again under the stage's re-entry policy, or null when it may. */
export const reentryRefusal = (
  reentry: Reentry | undefined,
  earlierSentAt: readonly number[],
  now: number,
): string | null => {
  if (reentry === undefined || reentry === 'every-entry' || earlierSentAt.length === 0) return null;
  if (reentry === 'once') return 'sent once already for this stage (re-entry: once)';
  const last = Math.max(...earlierSentAt);
  return now - last < reentry.oncePerDays * DAY_MS
    ? `sent for this stage within ${reentry.oncePerDays} days (re-entry: once per ${reentry.oncePerDays} days)`
    : null;
};

/** One order number's repurchase intervals: how many came back, and the day each percentile 1…99 was reached. */
export type IntervalDistribution = { sample: number; percentileDays: number[] };
/** A shop's repurchase intervals by order number ("1": 1st → 2nd), as the analytics refresh last computed them. */
export type ShopIntervals = { computedAt: string; byOrder: Record<string, IntervalDistribution> };

export type ResolvedDelay = {
  ms: number;
  /** Where the delay came from: the stage's days, the shop's distribution, or the fallback. */
  source: 'fixed' | 'percentile' | 'fallback';
  /** For a percentile delay: the returning customers it was taken from (or too few). */
  sample?: number;
};

/** The order number whose interval a customer with `ordersCount` orders is in (1…INTERVAL_ORDERS). */
export const intervalOrder = (ordersCount: number): number =>
  Math.min(Math.max(ordersCount, 1), INTERVAL_ORDERS);

/** A stage's delay for a customer with `ordersCount` orders, in milliseconds. */
export const resolveDelay = (
  delay: Delay | undefined,
  intervals: ShopIntervals | null,
  ordersCount: number,
): ResolvedDelay => {
  if (!delay) return { ms: 0, source: 'fixed' };
  if (delay.days !== undefined) return { ms: Math.round(delay.days * DAY_MS), source: 'fixed' };
  const distribution = intervals?.byOrder[String(intervalOrder(ordersCount))];
  const sample = distribution?.sample ?? 0;
  const day = distribution?.percentileDays[(delay.percentile ?? 50) - 1];
  if (day === undefined || sample < (delay.minSample ?? DEFAULT_MIN_SAMPLE))
    return { ms: Math.round((delay.fallback?.days ?? 0) * DAY_MS), source: 'fallback', sample };
  return { ms: Math.round(day * DAY_MS), source: 'percentile', sample };
};

/**
 * When a stage entry's email is due: its delay after the entry, and never sooner than the settle
 * window after now — webhooks arrive out of order, and the re-check at the due time sees the
 * deliveries that were still on their way.
 */
export const dueTime = (input: {
  enteredAt: string;
  delayMs: number;
  now: number;
  settleMs: number;
}): number => Math.max(Date.parse(input.enteredAt) + input.delayMs, input.now + input.settleMs);

/** Interval histograms count whole hours up to this many days (longer intervals count in the last bucket). */
const HISTOGRAM_DAYS = MAX_DELAY_DAYS;
const BUCKETS = HISTOGRAM_DAYS * 24 + 1;

/**
 * A shop's repurchase intervals as histograms in whole hours, per order number (1: 1st → 2nd …,
 * INTERVAL_ORDERS: that one and later): fed customer by customer during an analytics refresh,
 * in memory independent of the number of customers.
 */
export class IntervalHistogram {
  private readonly counts = new Map<number, Uint32Array>();

  /** A customer's counted orders, by the time each was placed (any order). */
  addCustomer(placedAt: readonly string[]): void {
    const times = placedAt.map((at) => Date.parse(at)).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const order = intervalOrder(i);
      let counts = this.counts.get(order);
      if (!counts) {
        counts = new Uint32Array(BUCKETS);
        this.counts.set(order, counts);
      }
      const hours = Math.floor(((times[i] ?? 0) - (times[i - 1] ?? 0)) / 3_600_000);
      const bucket = Math.min(hours, BUCKETS - 1);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
  }

  /** The distributions: per order number, how many came back and the day each percentile was reached. */
  intervals(computedAt: string): ShopIntervals {
    const byOrder: Record<string, IntervalDistribution> = {};
    for (const [order, counts] of [...this.counts].sort(([a], [b]) => a - b)) {
      const sample = counts.reduce((n, c) => n + c, 0);
      const days: number[] = [];
      let seen = 0;
      let bucket = 0;
      for (let p = 1; p <= 99; p++) {
        const rank = Math.max(1, Math.ceil((p / 100) * sample));
        while (seen + (counts[bucket] ?? 0) < rank) seen += counts[bucket++] ?? 0;
        days.push(bucket / 24);
      }
      byOrder[String(order)] = { sample, percentileDays: days };
    }
    return { computedAt, byOrder };
  }
}
