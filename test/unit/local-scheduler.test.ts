import { describe, expect, it } from 'vitest';
import type { AsyncInvoker } from '../../local/async-invoker.ts';
import { LocalClock } from '../../local/clock.ts';
import type { LocalFunction } from '../../local/lambda-runtime.ts';
import { LocalScheduler, ratePeriodMs } from '../../local/scheduler.ts';

describe('the local scheduler', () => {
  it('reads rate expressions as EventBridge writes them, and refuses what it cannot run', () => {
    expect(ratePeriodMs('rate(15 minutes)')).toBe(900_000);
    expect(ratePeriodMs('rate(1 hour)')).toBe(3_600_000);
    expect(ratePeriodMs('rate(2 days)')).toBe(172_800_000);
    for (const bad of ['rate(1 minutes)', 'rate(5 minute)', 'cron(0 12 * * ? *)', 'rate(0 hours)'])
      expect(() => ratePeriodMs(bad)).toThrow(/rate\(N unit\)/);
  });

  it('fires a schedule once its period has passed on the local clock, once per jump, with a Scheduled Event', () => {
    const clock = new LocalClock();
    const invoked: unknown[] = [];
    const invoker = {
      invoke: (_fn: LocalFunction, event: unknown) => invoked.push(event),
    } as unknown as AsyncInvoker;
    const fn = {} as LocalFunction;
    const scheduler = new LocalScheduler(
      [{ logicalId: 'Reconcile', expression: 'rate(15 minutes)', functionIds: ['Fn'], enabled: true }],
      new Map([['Fn', fn]]),
      invoker,
      clock,
    );

    expect(scheduler.fireDue()).toBe(0);
    clock.advance(14 * 60);
    expect(scheduler.fireDue()).toBe(0);
    clock.advance(60);
    expect(scheduler.fireDue()).toBe(1);
    expect(scheduler.fireDue()).toBe(0);
    clock.advance(10 * 3600);
    expect(scheduler.fireDue()).toBe(1);

    expect(invoked).toHaveLength(2);
    expect(invoked[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  });
});
