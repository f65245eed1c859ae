import { describe, expect, it } from 'vitest';
import { simulateCustomer, type TimelineEntry } from '#domain/simulate.ts';
import { journeyConfig } from '#journeys/index.ts';

// Journey tests as a merchant writes them: a customer's timeline in, stages and emails out.
const RUM_BABA = { productId: '8001000000001' };
const GIFT_BOX = { productId: '8001000000008' };
const SANDWICH = { productId: '8001000000002' };
const CROISSANT = { productId: '8001000000003' };
const day = (n: number) => new Date(Date.parse('2026-09-01T08:00:00Z') + n * 86_400_000).toISOString();
const sent = (timeline: TimelineEntry[]) =>
  simulateCustomer(journeyConfig, timeline)
    .actions.filter((a) => a.sent)
    .map(
      (a) =>
        `${a.at.slice(0, 10)} ${a.journeyId}/${a.stageId}: ${a.template}${a.coupon ? ` (${a.coupon})` : ''}`,
    );

describe('Rum Baba Fans', () => {
  it('sends the coupon after the first Rum Baba, serving ideas after the second, the pre-sale after the third', () => {
    expect(
      sent([
        { at: day(0), consent: 'subscribed' },
        { at: day(1), order: { lines: [CROISSANT] } },
        { at: day(3), order: { lines: [RUM_BABA, CROISSANT] } },
        { at: day(12), order: { lines: [{ ...RUM_BABA, quantity: 3 }] } },
        { at: day(30), order: { lines: [GIFT_BOX] } },
        { at: day(40), order: { lines: [RUM_BABA] } },
      ]),
    ).toEqual([
      '2026-09-04 rum-baba-fans/first-rum-baba: rum-baba-coupon (RUMBABA-AGAIN)',
      '2026-09-13 rum-baba-fans/second-rum-baba: rum-baba-serving-ideas',
      '2026-10-01 rum-baba-fans/rum-baba-fan: rum-baba-presale (FAN-GIFTBOX)',
    ]);
  });

  it('counts an order with both Rum Baba products once', () => {
    const { stages } = simulateCustomer(journeyConfig, [
      { at: day(1), order: { lines: [RUM_BABA, GIFT_BOX] } },
    ]);
    expect(stages['rum-baba-fans']).toBe('first-rum-baba');
  });

  it('moves a customer back down when an order is cancelled, and the re-entry is a new entry with its own email', () => {
    const result = simulateCustomer(journeyConfig, [
      { at: day(0), consent: 'subscribed' },
      { at: day(1), order: { id: 'a', lines: [RUM_BABA] } },
      { at: day(2), order: { id: 'b', lines: [RUM_BABA] } },
      { at: day(3), order: { id: 'b', lines: [RUM_BABA], cancelled: true, placedAt: day(2) } },
      { at: day(9), order: { id: 'c', lines: [RUM_BABA] } },
    ]);
    expect(result.entered.map((e) => `${e.stageId}#${e.entryId}`)).toEqual([
      'first-rum-baba#2',
      'second-rum-baba#3',
      'first-rum-baba#4',
      'second-rum-baba#5',
    ]);
    expect(result.exited.map((e) => e.stageId)).toEqual([
      'first-rum-baba',
      'second-rum-baba',
      'first-rum-baba',
    ]);
    expect(result.actions.filter((a) => a.sent)).toHaveLength(4);
  });

  it('sends nothing before consent, and consent arriving later sends nothing retroactively', () => {
    const result = simulateCustomer(journeyConfig, [
      { at: day(1), order: { lines: [RUM_BABA] } },
      { at: day(2), consent: 'subscribed' },
      { at: day(9), order: { lines: [RUM_BABA] } },
    ]);
    expect(result.actions.map((a) => [a.stageId, a.sent, a.reason ?? ''])).toEqual([
      ['first-rum-baba', false, 'email marketing state is unknown'],
      ['second-rum-baba', true, ''],
    ]);
  });
});

describe('Morning Regulars', () => {
  it('offers a second visit after the first sandwich, and a pairing to a weekly regular', () => {
    expect(
      sent([
        { at: day(0), consent: 'subscribed' },
        { at: day(1), order: { lines: [SANDWICH] } },
        { at: day(6), order: { lines: [SANDWICH] } },
        { at: day(12), order: { lines: [SANDWICH, CROISSANT] } },
      ]),
    ).toEqual([
      '2026-09-02 morning-regulars/first-sandwich: morning-second-visit (MORNING-AGAIN)',
      '2026-09-13 morning-regulars/weekly-regular: morning-croissant-pairing (CROISSANT-PAIR)',
    ]);
  });

  it('is not a weekly regular when the last sandwich is more than 14 days old, and becomes one again on return', () => {
    const result = simulateCustomer(journeyConfig, [
      { at: day(0), consent: 'subscribed' },
      { at: day(1), order: { lines: [SANDWICH] } },
      { at: day(3), order: { lines: [SANDWICH] } },
      { at: day(5), order: { lines: [SANDWICH] } },
      { at: day(30), tick: true },
      { at: day(31), order: { lines: [SANDWICH] } },
    ]);
    const moves = [
      ...result.entered.map((e) => `${e.at.slice(0, 10)} +${e.stageId}`),
      ...result.exited.map((e) => `${e.at.slice(0, 10)} -${e.stageId}`),
    ]
      // The morning-regulars journey's own stages (win-back's `regular` too counts these orders).
      .filter((m) => m.includes('sandwich') || m.includes('weekly-regular'))
      .sort();
    expect(moves).toEqual([
      '2026-09-02 +first-sandwich',
      '2026-09-04 -first-sandwich',
      '2026-09-06 +weekly-regular',
      '2026-10-01 -weekly-regular',
      '2026-10-02 +weekly-regular',
    ]);
    expect(result.actions.filter((a) => a.stageId === 'weekly-regular' && a.sent)).toHaveLength(2);
  });
});

describe('Lapsing regulars (segment)', () => {
  it('takes in a customer with 3+ orders once 45 days pass without an order, and lets them out on the next order', () => {
    const result = simulateCustomer(journeyConfig, [
      { at: day(1), order: { lines: [CROISSANT] } },
      { at: day(5), order: { lines: [CROISSANT] } },
      { at: day(9), order: { lines: [CROISSANT] } },
      { at: day(50), tick: true },
      { at: day(55), tick: true },
      { at: day(60), order: { lines: [CROISSANT] } },
    ]);
    expect(result.segments).toEqual([
      { at: day(55), segmentId: 'lapsing-regulars', entered: true },
      { at: day(60), segmentId: 'lapsing-regulars', entered: false },
    ]);
    expect(result.inSegments).toEqual([]);
  });
});
