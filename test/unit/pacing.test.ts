import { describe, expect, it } from 'vitest';
import type { EmailAction } from '#domain/journey.ts';
import { pace, withStackTiming } from '../../functions/action/pacing.ts';
import { aggregateFactory } from '../support/factories.ts';

const HOUR = 3_600_000;
const send = {
  shop: 'bakery-demo.myshopify.com',
  customerId: '7001',
  journeyId: 'j',
  stageId: 's',
  entryId: 2,
};
const action: EmailAction = { type: 'email', template: 't' };
const tokyo = aggregateFactory({
  address: { countryCode: 'JP', provinceCode: null, updatedAt: '2026-01-01T00:00:00Z' },
});
const noon = Date.parse('2026-11-10T03:00:00Z'); // 12:00 in Tokyo
const sentAt = (times: number[]) => ({ sentSince: async () => times });

describe('pace: quiet hours and the frequency cap, once the re-check has passed', () => {
  it('lets an email go at noon with room in the cap', async () => {
    expect(
      await pace({ pending: sentAt([]), timing: {} }, send, { action, customer: tokyo, now: noon }),
    ).toEqual({
      go: true,
    });
  });

  it('holds an email due at 3 a.m. in the customer’s zone until 8 a.m. there', async () => {
    const night = Date.parse('2026-11-10T18:00:00Z'); // 03:00 in Tokyo
    expect(
      await pace({ pending: sentAt([]), timing: {} }, send, { action, customer: tokyo, now: night }),
    ).toEqual({
      go: false,
      outcome: 'held',
      until: '2026-11-10T23:00:00.000Z',
      reason: 'quiet hours 21:00–08:00 in Asia/Tokyo',
    });
  });

  it('skips a capped email, or holds it until the cap has room when the stage defers', async () => {
    const deps = { pending: sentAt([noon - 2 * HOUR]), timing: {} };
    expect(await pace(deps, send, { action, customer: tokyo, now: noon })).toEqual({
      go: false,
      outcome: 'skipped',
      reason: 'frequency cap: 1 per 16 h',
    });
    expect(
      await pace(deps, send, { action: { ...action, onCap: 'defer' }, customer: tokyo, now: noon }),
    ).toEqual({
      go: false,
      outcome: 'held',
      until: new Date(noon + 14 * HOUR + 1).toISOString(),
      reason: 'frequency cap: 1 per 16 h',
    });
  });

  it('takes the stack’s policy over the journeys’, shop by shop', () => {
    const merged = withStackTiming(
      {
        quietHours: { start: '22:00', end: '07:00' },
        shops: { 'a.myshopify.com': { timeZone: 'Asia/Tokyo' } },
      },
      JSON.stringify({ frequencyCap: false, shops: { 'b.myshopify.com': { quietHours: false } } }),
    );
    expect(merged).toEqual({
      quietHours: { start: '22:00', end: '07:00' },
      frequencyCap: false,
      shops: { 'a.myshopify.com': { timeZone: 'Asia/Tokyo' }, 'b.myshopify.com': { quietHours: false } },
    });
  });
});
