import type { AsyncInvoker } from './async-invoker.ts';
import type { LocalClock } from './clock.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, type ScheduleSpec, TemplateError } from './template.ts';

const UNITS: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

/** The period of an EventBridge `rate(N unit)` expression, in ms (cron expressions are not run locally). */
export const ratePeriodMs = (expression: string): number => {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  const [, value = '', unit = ''] = match ?? [];
  const n = Number(value);
  if (!match || n < 1 || (n === 1) !== !unit.endsWith('s'))
    throw new TemplateError(`the local stack runs rate(N unit) schedules only, not "${expression}"`);
  return n * (UNITS[unit] ?? 0) * 1000;
};

type Running = { spec: ScheduleSpec; period: number; next: number; targets: LocalFunction[] };

/**
 * The template's schedules on the local clock: each fires its targets asynchronously (as
 * EventBridge does, with a `Scheduled Event`) once a period has passed — in real time, or at once
 * when `POST /_local/advance-time` moves the clock past it. Slots passed in one jump fire once
 * (the scheduled jobs catch up from their own watermarks).
 */
export class LocalScheduler {
  private readonly running: Running[];
  private readonly invoker: AsyncInvoker;
  private readonly clock: LocalClock;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    specs: readonly ScheduleSpec[],
    functions: Map<string, LocalFunction>,
    invoker: AsyncInvoker,
    clock: LocalClock,
  ) {
    this.invoker = invoker;
    this.clock = clock;
    this.running = specs
      .filter((spec) => spec.enabled)
      .map((spec) => {
        const period = ratePeriodMs(spec.expression);
        const targets = spec.functionIds.map((id) => {
          const fn = functions.get(id);
          if (!fn)
            throw new TemplateError(`schedule ${spec.logicalId} targets ${id}, which is not a function`);
          return fn;
        });
        return { spec, period, next: clock.now() + period, targets };
      });
  }

  /** Checks the clock every few seconds, so schedules fire in real time too. */
  start(intervalMs = 5_000): void {
    if (this.running.length === 0) return;
    this.timer = setInterval(() => this.fireDue(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Fires every schedule whose time has come (once each); how many fired. */
  fireDue(): number {
    const now = this.clock.now();
    let fired = 0;
    for (const schedule of this.running) {
      if (schedule.next > now) continue;
      const slot = schedule.next + Math.floor((now - schedule.next) / schedule.period) * schedule.period;
      schedule.next = slot + schedule.period;
      const event = {
        version: '0',
        id: `${schedule.spec.logicalId}-${slot}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: LOCAL_ACCOUNT,
        time: new Date(slot).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: LOCAL_REGION,
        resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${schedule.spec.logicalId}`],
        detail: {},
      };
      for (const target of schedule.targets) this.invoker.invoke(target, event);
      fired++;
    }
    return fired;
  }
}
