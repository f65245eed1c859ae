import { z } from 'zod';
import type { Address } from './aggregate.ts';
import { SHOP_DOMAIN } from './shop-domain.ts';
import { zoneOfAddress } from './time-zones.ts';
import { DAY_MS, SEND_RECORD_RETENTION_DAYS } from './timing.ts';

const HOUR_MS = 3_600_000;

/** One window of a frequency cap: at most `max` marketing emails per `hours` (or `days`). */
export const CapWindowSchema = z
  .object({
    hours: z.number().positive().optional(),
    days: z.number().positive().optional(),
    max: z
      .number()
      .int()
      .min(1, 'a cap of 0 would send nothing: remove the actions, or the cap (frequencyCap: false)'),
  })
  .strict()
  .superRefine((w, ctx) => {
    if ((w.hours === undefined) === (w.days === undefined))
      ctx.addIssue({ code: 'custom', message: 'give the window in hours or in days (one of them)' });
    const ms = windowMs(w);
    if (ms > (SEND_RECORD_RETENTION_DAYS - 35) * DAY_MS)
      ctx.addIssue({
        code: 'custom',
        message: `a window of at most ${SEND_RECORD_RETENTION_DAYS - 35} days: sends are counted from records kept ${SEND_RECORD_RETENTION_DAYS} days`,
      });
  });
export type CapWindow = z.infer<typeof CapWindowSchema>;
export const windowMs = (w: Pick<CapWindow, 'hours' | 'days'>): number =>
  (w.hours ?? 0) * HOUR_MS + (w.days ?? 0) * DAY_MS;

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24 h)');
/** No email in this local window, e.g. `{ start: '21:00', end: '08:00' }` (it may span midnight). */
export const QuietHoursSchema = z
  .object({ start: Clock, end: Clock })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ' });
export type QuietHours = z.infer<typeof QuietHoursSchema>;

/** Whether a name is an IANA time zone this runtime knows (`Asia/Tokyo`, `America/New_York`, `UTC`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
};
const TimeZone = z.string().refine(isTimeZone, { message: 'an IANA time zone, e.g. Asia/Tokyo' });

/** A shop's sending policy; any field left out takes the deployment's (or the default). */
export const SendPolicySchema = z
  .object({
    /** Marketing emails per customer across every journey; `false`: no cap. */
    frequencyCap: z.union([z.array(CapWindowSchema).min(1), z.literal(false)]).optional(),
    /** No email at night in the customer's time zone; `false`: any hour. */
    quietHours: z.union([QuietHoursSchema, z.literal(false)]).optional(),
    /** The shop's time zone (Shopify's `ianaTimezone`): for customers whose address gives none. */
    timeZone: TimeZone.optional(),
  })
  .strict();
export type SendPolicy = z.infer<typeof SendPolicySchema>;

/** The deployment's policy, with per-shop overrides (`shops['x.myshopify.com']`). */
export const TimingConfigSchema = SendPolicySchema.extend({
  shops: z
    .record(z.string(), SendPolicySchema)
    .superRefine((shops, ctx) => {
      for (const shop of Object.keys(shops))
        if (!SHOP_DOMAIN.test(shop))
          ctx.addIssue({ code: 'custom', path: [shop], message: 'a *.myshopify.com domain' });
    })
    .optional(),
}).strict();
export type TimingConfig = z.infer<typeof TimingConfigSchema>;

export type ResolvedPolicy = { frequencyCap: CapWindow[]; quietHours: QuietHours | null; timeZone: string };

/** The defaults: at most 1 marketing email per 16 hours and 3 per 7 days; none 21:00–08:00. */
export const DEFAULT_POLICY: ResolvedPolicy = {
  frequencyCap: [
    { hours: 16, max: 1 },
    { days: 7, max: 3 },
  ],
  quietHours: { start: '21:00', end: '08:00' },
  timeZone: 'UTC',
};

/** A shop's policy: its overrides, else the deployment's, else the defaults (`fallbackZone`: the stack's). */
export const policyFor = (
  config: TimingConfig | undefined,
  shop: string,
  fallbackZone?: string,
): ResolvedPolicy => {
  const layers = [config?.shops?.[shop], config].filter((p): p is SendPolicy => p !== undefined);
  const pick = <K extends keyof SendPolicy>(key: K) => layers.find((p) => p[key] !== undefined)?.[key];
  const cap = pick('frequencyCap');
  const quiet = pick('quietHours');
  return {
    frequencyCap: cap === false ? [] : (cap ?? DEFAULT_POLICY.frequencyCap),
    quietHours: quiet === false ? null : (quiet ?? DEFAULT_POLICY.quietHours),
    timeZone: pick('timeZone') ?? fallbackZone ?? DEFAULT_POLICY.timeZone,
  };
};

export type CapDecision = { capped: false } | { capped: true; window: CapWindow; freeAt: number };

/**
 * Whether one more email now would break the cap, given when this customer's earlier emails were
 * sent; if so, the first window it breaks and when every window has room again.
 */
export const capDecision = (
  windows: readonly CapWindow[],
  sentAt: readonly number[],
  now: number,
): CapDecision => {
  const recent = [...sentAt].sort((a, b) => b - a);
  let broken: CapWindow | null = null;
  let freeAt = now;
  for (const window of windows) {
    const span = windowMs(window);
    const inWindow = recent.filter((t) => t > now - span);
    if (inWindow.length < window.max) continue;
    broken ??= window;
    // Room again once the max-th most recent leaves the window.
    freeAt = Math.max(freeAt, (inWindow[window.max - 1] ?? now) + span + 1);
  }
  return broken ? { capped: true, window: broken, freeAt } : { capped: false };
};

export const describeWindow = (w: CapWindow): string =>
  `${w.max} per ${w.hours !== undefined ? `${w.hours} h` : `${w.days} days`}`;

/** The local wall-clock parts of an instant in a time zone. */
const wallClock = (ms: number, zone: string) => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
  return parts;
};

/** The zone's offset from UTC at an instant, in ms. */
const offsetAt = (ms: number, zone: string): number => {
  const p = wallClock(ms, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
};

/** The instant a local wall-clock time happens in a zone (a time skipped by a DST change: just after it). */
const instantOf = (zone: string, y: number, m: number, d: number, h: number, min: number): number => {
  const wall = Date.UTC(y, m - 1, d, h, min);
  const first = wall - offsetAt(wall, zone);
  return wall - offsetAt(first, zone);
};

const hm = (clock: string): [number, number] => [Number(clock.slice(0, 2)), Number(clock.slice(3, 5))];
const minutesOf = (clock: string) => hm(clock)[0] * 60 + hm(clock)[1];

/**
 * When an email due at `now` may go out under quiet hours in `zone`: `now` outside them, else the
 * end of the quiet window (the next local `end`), so a held email is sent then, never dropped.
 */
export const quietUntil = (quiet: QuietHours | null, zone: string, now: number): number => {
  if (!quiet) return now;
  const local = wallClock(now, zone);
  const minute = local.hour * 60 + local.minute;
  const [start, end] = [minutesOf(quiet.start), minutesOf(quiet.end)];
  const quietNow = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!quietNow) return now;
  // The end is later today, or (past midnight's start) tomorrow.
  const days = start > end && minute >= start ? 1 : 0;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  const until = instantOf(
    zone,
    day.getUTCFullYear(),
    day.getUTCMonth() + 1,
    day.getUTCDate(),
    ...hm(quiet.end),
  );
  return Math.max(until, now);
};

/** The customer's time zone: from their address (country, and province where a country has several), else the shop's. */
export const customerZone = (address: Address | null, shopZone: string): string =>
  zoneOfAddress(address?.countryCode ?? null, address?.provinceCode ?? null) ?? shopZone;
