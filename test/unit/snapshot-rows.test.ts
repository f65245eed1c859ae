import { describe, expect, it } from 'vitest';
import {
  currentVersions,
  customerSnapshotRows,
  decisionRows,
  EPOCH,
  type FactVersion,
  membershipSpells,
  relativeDays,
} from '#domain/analytics/snapshot-rows.ts';
import { type OrderFacts, orderContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { aggregateFactory, CROISSANT, orderFactory, RUM_BABA } from '../support/factories.ts';

const SHOP = 'bakery-demo.myshopify.com';
const DAY = 86_400_000;

const fact = (version: number, overrides: Partial<OrderFacts>): FactVersion => ({
  version,
  contribution: orderContribution(orderFactory(overrides), journeyConfig),
});

/** Three Rum Baba orders a month apart. */
const rumBabaMonths = [
  fact(1, { orderId: '1', placedAt: '2026-01-01T10:00:00.000Z', updatedAt: '2026-01-01T10:00:00.000Z' }),
  fact(2, { orderId: '2', placedAt: '2026-02-01T10:00:00.000Z', updatedAt: '2026-02-01T10:00:00.000Z' }),
  fact(3, { orderId: '3', placedAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-01T10:00:00.000Z' }),
];

describe('currentVersions', () => {
  it('keeps each order’s version counted last, whatever order the facts come in', () => {
    const v1 = fact(1, { orderId: '9', total: { amount: 480, currency: 'JPY' } });
    const v5 = fact(5, {
      orderId: '9',
      updatedAt: '2026-11-03T00:00:00.000Z',
      total: { amount: 960, currency: 'JPY' },
    });

    expect(currentVersions([v5, v1]).map((c) => c.spent.amount)).toEqual([960]);
    expect(currentVersions([v1, v5]).map((c) => c.spent.amount)).toEqual([960]);
  });
});

describe('customerSnapshotRows', () => {
  it('replays stage spells from the orders, at the times they were placed', () => {
    const rows = customerSnapshotRows(
      { shop: SHOP, customerId: '7001', aggregate: aggregateFactory(), facts: rumBabaMonths },
      journeyConfig,
      '2026-12-01T00:00:00.000Z',
    );

    expect(rows.memberships.filter((m) => m.scope === 'rum-baba-fans')).toEqual([
      {
        customer_id: '7001',
        kind: 'stage',
        scope: 'rum-baba-fans',
        member: 'first-rum-baba',
        position: 1,
        entered_at: '2026-01-01T10:00:00.000Z',
        exited_at: '2026-02-01T10:00:00.000Z',
      },
      {
        customer_id: '7001',
        kind: 'stage',
        scope: 'rum-baba-fans',
        member: 'second-rum-baba',
        position: 2,
        entered_at: '2026-02-01T10:00:00.000Z',
        exited_at: '2026-03-01T10:00:00.000Z',
      },
      {
        customer_id: '7001',
        kind: 'stage',
        scope: 'rum-baba-fans',
        member: 'rum-baba-fan',
        position: 3,
        entered_at: '2026-03-01T10:00:00.000Z',
        exited_at: null,
      },
    ]);
  });

  it('enters a time-based segment when the time passes, with no order to announce it', () => {
    const rows = customerSnapshotRows(
      { shop: SHOP, customerId: '7001', aggregate: aggregateFactory(), facts: rumBabaMonths },
      journeyConfig,
      '2026-12-01T00:00:00.000Z',
    );

    // Lapsing regulars: 3+ orders and none for more than 45 days.
    expect(rows.memberships.filter((m) => m.kind === 'segment')).toEqual([
      expect.objectContaining({
        member: 'lapsing-regulars',
        entered_at: new Date(Date.parse('2026-03-01T10:00:00.000Z') + 45 * DAY + 1).toISOString(),
        exited_at: null,
      }),
    ]);
  });

  it('leaves a spell open as of the snapshot time, and starts nothing after it', () => {
    const rows = customerSnapshotRows(
      { shop: SHOP, customerId: '7001', aggregate: aggregateFactory(), facts: rumBabaMonths },
      journeyConfig,
      '2026-03-15T00:00:00.000Z',
    );

    expect(rows.memberships.filter((m) => m.kind === 'segment')).toEqual([]);
    expect(rows.memberships.filter((m) => m.exited_at === null).map((m) => m.member)).toContain(
      'rum-baba-fan',
    );
  });

  it('writes each order’s current figures: refunds taken off, cancelled and test orders kept but not counted', () => {
    const refunded = fact(2, {
      orderId: '20',
      lines: [RUM_BABA, CROISSANT],
      total: { amount: 800, currency: 'JPY' },
      refunds: [
        {
          refundId: 'r1',
          orderId: '20',
          createdAt: '2026-11-05T00:00:00.000Z',
          amount: { amount: 800, currency: 'JPY' },
          lines: [RUM_BABA, CROISSANT],
        },
      ],
    });
    const rows = customerSnapshotRows(
      {
        shop: SHOP,
        customerId: '7001',
        aggregate: aggregateFactory({ email: null }),
        facts: [
          fact(1, { orderId: '10', cancelled: true }),
          refunded,
          fact(3, { orderId: '30', test: true }),
        ],
      },
      journeyConfig,
      '2026-12-01T00:00:00.000Z',
    );

    expect(rows.customer).toMatchObject({ customer_id: '7001', has_email: false });
    expect(
      rows.orders.map(({ order_id, cancelled, test, net, units, counts }) => ({
        order_id,
        cancelled,
        test,
        net,
        units,
        counts,
      })),
    ).toEqual([
      { order_id: '10', cancelled: true, test: false, net: 480, units: 1, counts: false },
      { order_id: '20', cancelled: false, test: false, net: 0, units: 0, counts: false },
      { order_id: '30', cancelled: false, test: true, net: 480, units: 1, counts: false },
    ]);
    expect(rows.products.map((p) => p.order_id)).toEqual(['10', '30']);
  });

  it('answers a customer without orders: a customer row, no orders, and no spell (every demo stage needs an order)', () => {
    const rows = customerSnapshotRows(
      { shop: SHOP, customerId: '7002', aggregate: aggregateFactory({ customerId: '7002' }), facts: [] },
      journeyConfig,
      '2026-12-01T00:00:00.000Z',
    );

    expect(rows.customer.customer_id).toBe('7002');
    expect(rows.orders).toEqual([]);
    expect(rows.memberships).toEqual([]);
  });
});

describe('decisionRows', () => {
  const entry = (status: string, entryId: number, at: string) => ({
    journeyId: 'rum-baba-fans',
    stageId: 'second-rum-baba',
    entryId,
    at,
    status,
  });

  it('keeps the sent and held-out decisions with their times, and no send that was not decided', () => {
    // Arrange
    const sends = [
      entry('claimed', 4, '2026-02-02T10:00:00.000Z'),
      entry('control', 5, '2026-03-02T10:00:00.123Z'),
      entry('failed', 6, '2026-04-02T10:00:00.000Z'),
      entry('pending', 7, '2026-05-02T10:00:00.000Z'),
      entry('cancelled', 8, '2026-06-02T10:00:00.000Z'),
      entry('skipped', 9, '2026-07-02T10:00:00.000Z'),
    ];

    // Act
    const rows = decisionRows('7001', sends);

    // Assess
    expect(rows).toEqual([
      {
        customer_id: '7001',
        journey_id: 'rum-baba-fans',
        stage_id: 'second-rum-baba',
        entry_id: 4,
        decided_at: '2026-02-02T10:00:00.000Z',
        treated: true,
      },
      {
        customer_id: '7001',
        journey_id: 'rum-baba-fans',
        stage_id: 'second-rum-baba',
        entry_id: 5,
        decided_at: '2026-03-02T10:00:00.123Z',
        treated: false,
      },
    ]);
  });

  it('gives a customer’s snapshot rows their decisions from the feed’s send ledger entries', () => {
    // Arrange
    const feed = {
      shop: SHOP,
      customerId: '7001',
      aggregate: aggregateFactory(),
      facts: rumBabaMonths,
      sends: [
        entry('control', 2, '2026-02-01T10:00:05.000Z'),
        entry('failed', 3, '2026-03-01T10:00:05.000Z'),
      ],
    };

    // Act
    const rows = customerSnapshotRows(feed, journeyConfig, '2026-12-01T00:00:00.000Z');

    // Assess
    expect(rows.decisions).toEqual([
      expect.objectContaining({ entry_id: 2, decided_at: '2026-02-01T10:00:05.000Z', treated: false }),
    ]);
  });

  it('gives no decisions to a customer whose feed has no send ledger entries', () => {
    // Arrange
    const feed = { shop: SHOP, customerId: '7001', aggregate: aggregateFactory(), facts: rumBabaMonths };

    // Act
    const rows = customerSnapshotRows(feed, journeyConfig, '2026-12-01T00:00:00.000Z');

    // Assess
    expect(rows.decisions).toEqual([]);
  });
});

describe('membershipSpells', () => {
  it('starts a spell that holds before any order at the epoch', () => {
    const everyone = {
      journeys: [],
      segments: [
        { id: 'everyone', name: 'Everyone', when: { type: 'ordersCount' as const, count: { min: 0 } } },
      ],
    };

    const spells = membershipSpells(
      { shop: SHOP, customerId: '7003', aggregate: aggregateFactory({ customerId: '7003' }), facts: [] },
      [],
      everyone,
      '2026-12-01T00:00:00.000Z',
    );

    expect(spells).toEqual([
      {
        customer_id: '7003',
        kind: 'segment',
        scope: 'everyone',
        member: 'everyone',
        position: 0,
        entered_at: EPOCH,
        exited_at: null,
      },
    ]);
  });
});

describe('relativeDays', () => {
  it('finds the day counts of relative date conditions anywhere in the definitions', () => {
    expect(relativeDays(journeyConfig)).toContain(45);
  });
});
