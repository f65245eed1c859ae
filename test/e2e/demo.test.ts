import { describe, expect, it } from 'vitest';
import { actionStages } from '#domain/journey.ts';
import { journeyConfig } from '#journeys/index.ts';
import { runDemo } from '../../scripts/demo.ts';
import { useLocalStack } from '../support/local-stack.ts';

// The demo runs as `npm start` does: the settle window and the journeys' own pacing (cap, quiet hours).
const local = useLocalStack({ context: { 'loyaltyLoop:settleMinutes': 10, 'loyaltyLoop:timing': {} } });

describe('npm run demo', () => {
  it('drives the journeys, plays the timing scenes, emails only subscribers and never twice per stage entry', {
    timeout: 600_000,
  }, async () => {
    const summary = await runDemo(local.stack.url, { customers: 12, weeks: 3, seed: 11 });

    const placed = Object.values(summary.stages['rum-baba-fans'] ?? {}).reduce((a, b) => a + b, 0);
    expect(placed).toBe(12);
    expect(summary.redeliveries).toBeGreaterThan(0);
    expect(summary.emailsSent).toBeGreaterThan(0);
    const emails = (await (await fetch(`${local.stack.url}/_local/emails`)).json()) as { to: string[] }[];
    const perAddress = new Map<string, number>();
    for (const email of emails) for (const to of email.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    expect(Math.max(...perAddress.values())).toBeLessThanOrEqual(actionStages(journeyConfig.journeys).length);
    expect(summary.emailsSent).toBe(Object.values(summary.emailsBySubject).reduce((a, b) => a + b, 0));

    const { timing } = summary;
    // A delayed coupon: due days after the purchase, sent then (not before).
    expect(
      Date.parse(timing?.delayedCoupon.dueAt ?? '') - Date.parse(timing?.delayedCoupon.boughtAt ?? ''),
    ).toBeGreaterThan(86_400_000);
    expect(Date.parse(timing?.delayedCoupon.sentAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(timing?.delayedCoupon.dueAt ?? ''),
    );
    // A reminder entered by time alone, 45 days after the last order, then sent.
    expect(Date.parse(timing?.lapsingReminder.enteredAt ?? '')).toBe(
      Date.parse(timing?.lapsingReminder.lastOrderAt ?? '') + 45 * 86_400_000 + 1,
    );
    expect(timing?.lapsingReminder.sentAt).not.toBeNull();
    // Two stages entered at once: one email, the other stopped by the frequency cap and recorded.
    expect(timing?.capped.sent).toHaveLength(1);
    expect(timing?.capped.skipped).toEqual([
      { stage: expect.any(String), reason: 'frequency cap: 1 per 16 h' },
    ]);
    // An order at 02:00 in Tokyo: its email held by quiet hours, sent at 08:00 there.
    expect(timing?.heldAtNight.heldReason).toBe('quiet hours 21:00–08:00 in Asia/Tokyo');
    expect(new Date(timing?.heldAtNight.sentAt ?? '').toISOString().slice(11, 13)).toBe('23'); // 08:00 JST
    // The holdout report answers for the Savarin coupon's stage.
    expect(timing?.holdouts).toMatchObject({ report: 'holdouts' });
  });
});
