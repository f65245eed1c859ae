import { describe, expect, it } from 'vitest';
import { type FeedCustomer, type FeedTally, readFeed } from '#adapters/store/feed.ts';
import { customerPk, FACT_SK_PREFIX } from '#adapters/store/keys.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import { queryPartition, type StoreTable } from '#adapters/store/table.ts';
import { TransitionFacts } from '#adapters/store/transition-facts.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { currentVersions } from '#domain/analytics/snapshot-rows.ts';
import type { ShopifyChange } from '#domain/change.ts';
import type { OrderFacts } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { CROISSANT, orderFactory, RUM_BABA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const local = useDynamoDbLocal();
const pepper = async () => TEST_PEPPER;

const orderChange = (order: OrderFacts): ShopifyChange => ({ type: 'order', order });

/** A customer's history: a first order, a second one later updated, refunded in part, and a cancelled third. */
const history = (customerId: string): ShopifyChange[] => [
  orderChange(orderFactory({ customerId, orderId: `${customerId}1`, lines: [RUM_BABA] })),
  orderChange(
    orderFactory({
      customerId,
      orderId: `${customerId}2`,
      placedAt: '2026-11-10T00:00:00.000Z',
      updatedAt: '2026-11-10T00:00:00.000Z',
      lines: [RUM_BABA, CROISSANT],
      total: { amount: 800, currency: 'JPY' },
    }),
  ),
  orderChange(
    orderFactory({
      customerId,
      orderId: `${customerId}2`,
      placedAt: '2026-11-10T00:00:00.000Z',
      updatedAt: '2026-11-11T00:00:00.000Z',
      lines: [RUM_BABA, CROISSANT],
      total: { amount: 800, currency: 'JPY' },
      refunds: [
        {
          refundId: `${customerId}r`,
          orderId: `${customerId}2`,
          createdAt: '2026-11-11T00:00:00.000Z',
          amount: { amount: 320, currency: 'JPY' },
          lines: [{ ...CROISSANT, quantity: 1 }],
        },
      ],
    }),
  ),
  orderChange(
    orderFactory({
      customerId,
      orderId: `${customerId}3`,
      placedAt: '2026-11-20T00:00:00.000Z',
      updatedAt: '2026-11-21T00:00:00.000Z',
      cancelled: true,
    }),
  ),
];

const factKeys = async (table: StoreTable, customerId: string) =>
  (await queryPartition(table, customerPk(SHOP, customerId), { skPrefix: FACT_SK_PREFIX })).map(
    (item) => item.sk,
  );

const feedOf = async (table: StoreTable) => {
  const tally: FeedTally = { items: 0, suppressions: 0, pages: 0 };
  const customers: FeedCustomer[] = [];
  for await (const customer of readFeed(table, SHOP, tally)) customers.push(customer);
  return { customers, tally };
};

describe('the fact log', () => {
  it('records each applied version of an order once, however often a webhook is delivered', async () => {
    const table = await local.freshTable();
    const applyPath = new ApplyPath(table, journeyConfig, pepper);

    for (let delivery = 0; delivery < 3; delivery++)
      for (const change of history('71')) await applyPath.apply(SHOP, change);

    // Four versions applied (an order, a second one and its update with a refund, a cancelled third).
    expect(await factKeys(table, '71')).toHaveLength(4);
  });

  it('gains nothing from a backfill of history the webhooks already applied', async () => {
    const table = await local.freshTable();
    const applyPath = new ApplyPath(table, journeyConfig, pepper);
    for (const change of history('72')) await applyPath.apply(SHOP, change);
    const before = await factKeys(table, '72');

    await applyPath.applyMany(SHOP, history('72'), { silent: true });
    await applyPath.applyMany(SHOP, history('72'), { silent: true });

    expect(await factKeys(table, '72')).toEqual(before);
  });

  it('ends with the same current orders whether history came as webhooks or as a backfill', async () => {
    const webhooks = await local.freshTable();
    const backfill = await local.freshTable();
    for (const change of history('73'))
      await new ApplyPath(webhooks, journeyConfig, pepper).apply(SHOP, change);
    await new ApplyPath(backfill, journeyConfig, pepper).applyMany(SHOP, history('73'), { silent: true });

    const current = async (table: StoreTable) => {
      const [customer] = (await feedOf(table)).customers;
      return currentVersions(customer?.facts ?? [])
        .map(({ orderId, counts, spent, products }) => ({ orderId, counts, spent, products }))
        .sort((a, b) => a.orderId.localeCompare(b.orderId));
    };
    expect(await current(backfill)).toEqual(await current(webhooks));
    expect(await current(webhooks)).toEqual([
      {
        orderId: '731',
        counts: true,
        spent: { amount: 480, currency: 'JPY' },
        products: { '8001000000001': 1 },
      },
      {
        orderId: '732',
        counts: true,
        spent: { amount: 480, currency: 'JPY' },
        products: { '8001000000001': 1 },
      },
      {
        orderId: '733',
        counts: false,
        spent: { amount: 480, currency: 'JPY' },
        products: { '8001000000001': 1 },
      },
    ]);
  });

  it('answers a shop’s feed one customer at a time: aggregate, order and move facts, sends; suppressions apart', async () => {
    const table = await local.freshTable();
    const applyPath = new ApplyPath(table, journeyConfig, pepper);
    const customerIds = ['81', '82', '83', '84', '85'];
    for (const id of customerIds) for (const change of history(id)) await applyPath.apply(SHOP, change);
    await applyPath.apply('other-shop.myshopify.com', history('86')[0] as ShopifyChange);
    await new SendLedger(table).claim(
      { shop: SHOP, customerId: '82', journeyId: 'rum-baba-fans', stageId: 'first-rum-baba', entryId: 1 },
      'request-1',
      '2026-11-02T00:00:01.000Z',
    );
    await new SuppressionList(table, pepper).suppress(
      SHOP,
      'bounced@example.com',
      '2026-11-03T00:00:00.000Z',
    );
    const move = {
      shop: SHOP,
      customerId: '83',
      version: 2,
      stages: [
        {
          journeyId: 'rum-baba-fans',
          from: 'first-rum-baba',
          to: 'second-rum-baba',
          entryId: 2,
          occurredAt: '2026-11-10T00:00:00.000Z',
        },
      ],
      segments: [],
      silent: false,
    };
    // Recorded twice, as a redelivered stream record would: one fact.
    await new TransitionFacts(table).record(move);
    await new TransitionFacts(table).record(move);

    const { customers, tally } = await feedOf(table);

    expect(customers.map((c) => c.customerId).sort()).toEqual(customerIds);
    for (const customer of customers) {
      expect(customer.aggregate?.customerId).toBe(customer.customerId);
      expect(customer.facts).toHaveLength(4);
    }
    expect(customers.find((c) => c.customerId === '82')?.sends).toMatchObject([
      { journeyId: 'rum-baba-fans', stageId: 'first-rum-baba', entryId: 1, status: 'claimed' },
    ]);
    expect(customers.find((c) => c.customerId === '83')?.transitions).toEqual([
      {
        kind: 'stage',
        scope: 'rum-baba-fans',
        from: 'first-rum-baba',
        to: 'second-rum-baba',
        at: '2026-11-10T00:00:00.000Z',
        silent: false,
      },
    ]);
    expect(tally.suppressions).toBe(1);
    expect(tally.items).toBe(5 * (1 + 4) + 1 + 1 + 1);
  });
});
