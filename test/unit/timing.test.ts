import { describe, expect, it } from 'vitest';
import { type Journey, sendCancellations, sendDecision } from '#domain/journey.ts';
import { definitionProblems } from '#domain/journey-config.ts';
import {
  DAY_MS,
  dueTime,
  IntervalHistogram,
  reentryRefusal,
  resolveDelay,
  type ShopIntervals,
} from '#domain/timing.ts';
import { templates } from '#journeys/templates.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';

const RUM_BABA = { productIds: ['8001000000001', '8001000000008'] };
const journeyWith = (action: Record<string, unknown>): unknown => ({
  id: 'timed',
  name: 'Timed',
  stages: [
    { id: 'once', when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 1, max: 1 } }, action },
  ],
});
const problemsOf = (action: Record<string, unknown>) =>
  definitionProblems('journey', journeyWith({ type: 'email', template: 'rum-baba-coupon', ...action }), {
    templates,
  }).problems;

describe('delays in the journey language', () => {
  it.each([
    [{ after: { days: 14 } }],
    [{ after: { days: 0.5 } }],
    [{ after: { percentile: 40, of: 'repurchase-interval', fallback: { days: 14 } } }],
    [
      {
        after: { percentile: 40, of: 'repurchase-interval', minSample: 100, fallback: { days: 14 } },
        exitOnOrder: true,
      },
    ],
  ])('accepts %j', (action) => {
    expect(problemsOf(action)).toEqual([]);
  });

  it.each([
    [
      { after: { percentile: 40, of: 'repurchase-interval' } },
      '.stages[0].action.after.fallback: a percentile delay needs a fallback delay (fallback: { days: N }) for a shop with too little data',
    ],
    [
      { after: { days: 400 } },
      '.stages[0].action.after.days: at most 365 days: a pending send is kept 400 days',
    ],
    [
      { after: { percentile: 40, of: 'repurchase-interval', fallback: { days: 500 } } },
      '.stages[0].action.after.fallback.days: at most 365 days: a pending send is kept 400 days',
    ],
    [
      { after: { percentile: 0, of: 'repurchase-interval', fallback: { days: 1 } } },
      '.stages[0].action.after.percentile: Too small: expected number to be >=1',
    ],
    [
      { after: { days: 3, percentile: 40 } },
      '.stages[0].action.after: give either days or a percentile, not both',
    ],
    [
      { after: {} },
      '.stages[0].action.after: give days ({ days: 14 }) or a percentile ({ percentile: 40, of: "repurchase-interval", fallback: { days: 14 } })',
    ],
  ])('refuses %j with a clear message', (action, problem) => {
    expect(problemsOf(action)).toEqual([problem]);
  });
});

describe('resolveDelay', () => {
  const intervals: ShopIntervals = {
    computedAt: '2026-11-01T00:00:00.000Z',
    byOrder: {
      '1': { sample: 40, percentileDays: Array.from({ length: 99 }, (_, i) => i + 1) },
      '2': { sample: 5, percentileDays: Array.from({ length: 99 }, () => 3) },
    },
  };
  const percentile = { percentile: 40, of: 'repurchase-interval' as const, fallback: { days: 14 } };

  it('takes a fixed delay as it is', () => {
    expect(resolveDelay({ days: 2.5 }, null, 1)).toEqual({ ms: 2.5 * DAY_MS, source: 'fixed' });
    expect(resolveDelay(undefined, null, 1)).toEqual({ ms: 0, source: 'fixed' });
  });

  it("takes a percentile from the shop's intervals for the customer's order number", () => {
    expect(resolveDelay(percentile, intervals, 1)).toEqual({
      ms: 40 * DAY_MS,
      source: 'percentile',
      sample: 40,
    });
  });

  it('falls back when too few customers came back, or the shop has no intervals yet', () => {
    expect(resolveDelay(percentile, intervals, 2)).toEqual({
      ms: 14 * DAY_MS,
      source: 'fallback',
      sample: 5,
    });
    expect(resolveDelay({ ...percentile, minSample: 41 }, intervals, 1)).toMatchObject({
      source: 'fallback',
    });
    expect(resolveDelay(percentile, null, 1)).toEqual({ ms: 14 * DAY_MS, source: 'fallback', sample: 0 });
  });
});

describe('dueTime', () => {
  const enteredAt = '2026-11-02T00:00:00.000Z';
  const entered = Date.parse(enteredAt);

  it('is the delay after the entry, or the settle window after now, whichever is later', () => {
    expect(dueTime({ enteredAt, delayMs: DAY_MS, now: entered + 60_000, settleMs: 600_000 })).toBe(
      entered + DAY_MS,
    );
    expect(dueTime({ enteredAt, delayMs: 0, now: entered + 60_000, settleMs: 600_000 })).toBe(
      entered + 660_000,
    );
    // An entry received late (a webhook a day late) is not sent before its settle window either.
    expect(dueTime({ enteredAt, delayMs: DAY_MS, now: entered + 2 * DAY_MS, settleMs: 600_000 })).toBe(
      entered + 2 * DAY_MS + 600_000,
    );
  });
});

describe('IntervalHistogram', () => {
  const day = (n: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + n * DAY_MS).toISOString();

  it('gives, per order number, how many came back and the nearest-rank percentiles in hours', () => {
    const histogram = new IntervalHistogram();
    // 1st → 2nd after 1, 3, 7 and 10 days; 2nd → 3rd after 2 days; the 4th and later share a bucket.
    histogram.addCustomer([day(0), day(10)]);
    histogram.addCustomer([day(7), day(0)]);
    histogram.addCustomer([day(0), day(3), day(5), day(6), day(6.5)]);
    histogram.addCustomer([day(0), day(1)]);
    histogram.addCustomer([day(0)]);

    const { byOrder } = histogram.intervals('2026-02-01T00:00:00.000Z');

    expect(Object.keys(byOrder)).toEqual(['1', '2', '3', '4']);
    expect(byOrder['1']?.sample).toBe(4);
    // Nearest rank over [1, 3, 7, 10]: p1–p25 → 1, p26–p50 → 3, p51–p75 → 7, p76–p99 → 10.
    const p = byOrder['1']?.percentileDays ?? [];
    expect([p[0], p[24], p[25], p[49], p[50], p[74], p[75], p[98]]).toEqual([1, 1, 3, 3, 7, 7, 10, 10]);
    expect(byOrder['2']).toEqual({ sample: 1, percentileDays: Array(99).fill(2) });
    expect(byOrder['4']).toEqual({ sample: 1, percentileDays: Array(99).fill(0.5) });
  });

  it('counts an interval longer than a year in its last bucket', () => {
    const histogram = new IntervalHistogram();
    histogram.addCustomer([day(0), day(500)]);

    expect(histogram.intervals('x').byOrder['1']?.percentileDays[0]).toBe(365);
  });
});

describe('exit checks of a delayed send', () => {
  const journey = {
    id: 'timed',
    name: 'Timed',
    stages: [
      {
        id: 'once',
        when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 1, max: 1 } },
        action: { type: 'email', template: 'rum-baba-coupon', after: { days: 14 }, exitOnOrder: true },
      },
      {
        id: 'twice',
        when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 2 } },
        action: { type: 'email', template: 'rum-baba-serving-ideas' },
      },
    ],
  } as Journey;
  const customer = (orders: number, lastOrderAt: string) =>
    aggregateFactory({
      email: 'ann@example.com',
      ordersCount: orders,
      lastOrderAt,
      counters: rumBabaCounters(orders === 0 ? 0 : 1),
      emailMarketing: { state: 'subscribed', updatedAt: null },
    });

  it('cancels a send whose customer ordered since entering a stage that exits on an order', () => {
    const ordered = customer(2, '2026-11-05T00:00:00.000Z');
    expect(sendDecision(journey, 'once', ordered, '2026-11-02T00:00:00.000Z')).toEqual({
      send: false,
      reason: 'customer ordered since entering the stage',
      outcome: 'cancelled',
    });
    expect(sendDecision(journey, 'once', ordered, '2026-11-05T00:00:00.000Z')).toMatchObject({ send: true });
  });

  it('lists the sends a change cancels: a stage left, and an order in a stage that exits on one', () => {
    const before = customer(1, '2026-11-02T00:00:00.000Z');
    const orderedOther = customer(2, '2026-11-05T00:00:00.000Z');
    expect(sendCancellations([journey], before, orderedOther, [])).toEqual([
      {
        journeyId: 'timed',
        stageId: 'once',
        reason: 'customer ordered',
        enteredBefore: '2026-11-05T00:00:00.000Z',
      },
    ]);
    const moved = [
      { journeyId: 'timed', from: 'once', to: 'twice', entryId: 3, occurredAt: '2026-11-05T00:00:00.000Z' },
    ];
    expect(sendCancellations([journey], before, orderedOther, moved)).toEqual([
      { journeyId: 'timed', stageId: 'once', reason: 'customer left the stage' },
    ]);
    expect(sendCancellations([journey], before, before, [])).toEqual([]);
  });
});

describe('re-entry policy', () => {
  const now = Date.parse('2026-11-10T00:00:00Z');

  it.each([
    [undefined, [now - DAY_MS], null],
    ['every-entry' as const, [now - DAY_MS], null],
    ['once' as const, [], null],
    ['once' as const, [now - 300 * DAY_MS], 'sent once already for this stage (re-entry: once)'],
    [
      { oncePerDays: 30 },
      [now - 29 * DAY_MS],
      'sent for this stage within 30 days (re-entry: once per 30 days)',
    ],
    [{ oncePerDays: 30 }, [now - 31 * DAY_MS], null],
  ])('%j with earlier sends %j → %s', (reentry, earlier, refusal) => {
    expect(reentryRefusal(reentry, earlier, now)).toBe(refusal);
  });

  it.each([
    [{ reentry: 'twice' }, '.stages[0].action.reentry'],
    [{ reentry: { oncePerDays: 0 } }, '.stages[0].action.reentry.oncePerDays: at least some days'],
    [{ reentry: { oncePerDays: 500 } }, '.stages[0].action.reentry.oncePerDays: at most 365 days'],
  ])('refuses %j', (action, problem) => {
    expect(problemsOf(action).join('\n')).toContain(problem);
  });
});
