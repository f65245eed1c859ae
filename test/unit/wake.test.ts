import { describe, expect, it } from 'vitest';
import type { Journey, Segment } from '#domain/journey.ts';
import { DAY_MS } from '#domain/timing.ts';
import { wakeTime } from '#domain/wake.ts';
import { journeyConfig } from '#journeys/index.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';

const T0 = Date.parse('2026-06-01T09:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const lapsing: Segment = {
  id: 'lapsing',
  name: 'Lapsing',
  when: {
    type: 'all',
    conditions: [
      { type: 'ordersCount', count: { min: 3 } },
      { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
    ],
  },
};
const recent: Journey = {
  id: 'recent',
  name: 'Recent',
  stages: [{ id: 'active', when: { type: 'lastOrderDate', date: { withinLastDays: 14 } } }],
};
const customer = (orders: number, lastOrder: number, evaluatedAt = lastOrder) =>
  aggregateFactory({
    ordersCount: orders,
    firstOrderAt: at(T0 - 100 * DAY_MS),
    lastOrderAt: at(lastOrder),
    counters: rumBabaCounters(orders),
    updatedAt: at(evaluatedAt),
  });

describe('wakeTime: when time alone next moves a customer', () => {
  it('is just after 45 days for a regular who could lapse', () => {
    expect(wakeTime({ journeys: [], segments: [lapsing] }, customer(3, T0))).toBe(at(T0 + 45 * DAY_MS + 1));
  });

  it('is never for a customer whom no time condition can move (too few orders to lapse)', () => {
    expect(wakeTime({ journeys: [], segments: [lapsing] }, customer(2, T0))).toBeNull();
  });

  it('is never once the flip has happened, and the next flip of another condition otherwise', () => {
    const lapsed = customer(3, T0, T0 + 46 * DAY_MS);
    expect(wakeTime({ journeys: [], segments: [lapsing] }, lapsed)).toBeNull();
    // "Ordered within the last 14 days" ends after 14 days: the earliest of the two.
    expect(wakeTime({ journeys: [recent], segments: [lapsing] }, customer(3, T0))).toBe(
      at(T0 + 14 * DAY_MS + 1),
    );
  });

  it("finds the bakery's own time-based definitions: lapsing-regulars for a regular without sandwiches", () => {
    expect(wakeTime(journeyConfig, customer(3, T0))).toBe(at(T0 + 45 * DAY_MS + 1));
  });
});
