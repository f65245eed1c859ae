import { describe, expect, it } from 'vitest';
import { formatPath } from '#domain/journey-config.ts';
import {
  capDecision,
  customerZone,
  DEFAULT_POLICY,
  policyFor,
  quietUntil,
  TimingConfigSchema,
} from '#domain/send-policy.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

describe('frequency cap', () => {
  const now = at('2026-11-10T12:00:00Z');

  it('lets an email through while every window has room', () => {
    expect(capDecision(DEFAULT_POLICY.frequencyCap, [now - 17 * HOUR, now - 3 * DAY], now)).toEqual({
      capped: false,
    });
  });

  it('caps the second email within 16 hours, free again 16 hours after the first', () => {
    expect(capDecision(DEFAULT_POLICY.frequencyCap, [now - 2 * HOUR], now)).toEqual({
      capped: true,
      window: { hours: 16, max: 1 },
      freeAt: now + 14 * HOUR + 1,
    });
  });

  it('caps the fourth email within 7 days, free again when the oldest of the three leaves the window', () => {
    const sent = [now - 20 * HOUR, now - 3 * DAY, now - 6 * DAY];
    expect(capDecision(DEFAULT_POLICY.frequencyCap, sent, now)).toEqual({
      capped: true,
      window: { days: 7, max: 3 },
      freeAt: now + DAY + 1,
    });
  });

  it.each([
    [
      { frequencyCap: [{ hours: 16, max: 0 }] },
      'frequencyCap[0].max: a cap of 0 would send nothing: remove the actions, or the cap (frequencyCap: false)',
    ],
    [{ frequencyCap: [{ max: 2 }] }, 'frequencyCap[0]: give the window in hours or in days (one of them)'],
    [
      { frequencyCap: [{ days: 400, max: 2 }] },
      'frequencyCap[0]: a window of at most 365 days: sends are counted from records kept 400 days',
    ],
    [{ quietHours: { start: '21:00', end: '8:00' } }, 'quietHours.end: a time of day as HH:MM (24 h)'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone: an IANA time zone, e.g. Asia/Tokyo'],
    [{ shops: { 'bakery.example.com': {} } }, 'shops.bakery.example.com: a *.myshopify.com domain'],
  ])('refuses %j with a clear message', (config, problem) => {
    const parsed = TimingConfigSchema.safeParse(config);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${formatPath(i.path).slice(1)}: ${i.message}`)).toContain(
      problem,
    );
  });

  it('takes a shop its overrides, else the deployment, else the defaults', () => {
    const config = {
      quietHours: { start: '22:00', end: '07:00' },
      shops: { 'a.myshopify.com': { frequencyCap: false as const, timeZone: 'Asia/Tokyo' } },
    };
    expect(policyFor(config, 'a.myshopify.com')).toEqual({
      frequencyCap: [],
      quietHours: { start: '22:00', end: '07:00' },
      timeZone: 'Asia/Tokyo',
    });
    expect(policyFor(config, 'b.myshopify.com', 'Europe/Paris')).toEqual({
      ...DEFAULT_POLICY,
      quietHours: { start: '22:00', end: '07:00' },
      timeZone: 'Europe/Paris',
    });
  });
});

describe('quiet hours in the customer time zone', () => {
  const quiet = { start: '21:00', end: '08:00' };

  it('holds an email due at 3 a.m. in Tokyo until 8 a.m. there, and lets one at noon go', () => {
    expect(quietUntil(quiet, 'Asia/Tokyo', at('2026-11-10T18:00:00Z'))).toBe(at('2026-11-10T23:00:00Z'));
    expect(quietUntil(quiet, 'Asia/Tokyo', at('2026-11-10T03:00:00Z'))).toBe(at('2026-11-10T03:00:00Z'));
  });

  it('holds an email due at 22:00 until 08:00 the next morning', () => {
    expect(quietUntil(quiet, 'Europe/Paris', at('2026-11-10T21:00:00Z'))).toBe(at('2026-11-11T07:00:00Z'));
  });

  it('opens the window at 08:00 local across the daylight-saving changes (New York, March and November)', () => {
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. 08:00 EDT is 12:00 UTC (13:00 the day before).
    expect(quietUntil(quiet, 'America/New_York', at('2026-03-08T06:30:00Z'))).toBe(
      at('2026-03-08T12:00:00Z'),
    );
    expect(quietUntil(quiet, 'America/New_York', at('2026-03-07T06:30:00Z'))).toBe(
      at('2026-03-07T13:00:00Z'),
    );
    // 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST. 08:00 EST is 13:00 UTC.
    expect(quietUntil(quiet, 'America/New_York', at('2026-11-01T05:30:00Z'))).toBe(
      at('2026-11-01T13:00:00Z'),
    );
  });

  it('does nothing without quiet hours', () => {
    expect(quietUntil(null, 'Asia/Tokyo', at('2026-11-10T18:00:00Z'))).toBe(at('2026-11-10T18:00:00Z'));
  });

  it.each([
    [{ countryCode: 'JP', provinceCode: 'JP-13' }, 'Asia/Tokyo'],
    [{ countryCode: 'US', provinceCode: 'CA' }, 'America/Los_Angeles'],
    [{ countryCode: 'US', provinceCode: 'NY' }, 'America/New_York'],
    [{ countryCode: 'AU', provinceCode: 'WA' }, 'Australia/Perth'],
    [{ countryCode: 'ZZ', provinceCode: null }, 'Europe/Paris'],
    [null, 'Europe/Paris'],
  ])('finds the zone of the address %j (else the shop’s)', (address, zone) => {
    const full = address ? { ...address, updatedAt: '2026-01-01T00:00:00Z' } : null;
    expect(customerZone(full, 'Europe/Paris')).toBe(zone);
  });
});
