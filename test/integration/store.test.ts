import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { encodeState } from '#adapters/store/aggregate-item.ts';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { aggregateKey, orderKey } from '#adapters/store/keys.ts';
import { QUARANTINE_COPY_LIMIT, Quarantine } from '#adapters/store/quarantine.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { orderChange } from '#domain/apply.ts';
import type { OrderFacts } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { aggregateOfOrders, orderFactory, RUM_BABA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const local = useDynamoDbLocal();

/** A fresh table per test and the stores on it. */
const freshTable = async () => {
  const t = await local.freshTable();
  const pepper = async () => TEST_PEPPER;
  return { table: t, applyPath: new ApplyPath(t, journeyConfig, pepper), customers: new CustomerRecords(t) };
};

const applyOrder = async (applyPath: ApplyPath, order: OrderFacts) =>
  (await applyPath.apply(SHOP, { type: 'order', order })).status;

/** What a `refunds/create` webhook applies: parked with the order, taken off once the customer is known. */
const applyRefund = async (applyPath: ApplyPath, orderId: string, refundId: string, amount: number) =>
  (
    await applyPath.apply(SHOP, {
      type: 'refund',
      refund: {
        refundId,
        orderId,
        createdAt: '2026-11-05T00:00:00.000Z',
        amount: { amount, currency: 'JPY' },
        lines: [{ ...RUM_BABA, quantity: 1 }],
      },
    })
  ).status;

const itemCount = async (name: string) =>
  (await local.db.client.send(new ScanCommand({ TableName: name, Select: 'COUNT' }))).Count;

describe('the apply path and the store modules on DynamoDB Local', () => {
  it('applies an order once, whatever the number of deliveries', async () => {
    const { applyPath, customers, table: t } = await freshTable();

    expect(await applyOrder(applyPath, orderFactory())).toBe('applied');
    expect(await applyOrder(applyPath, orderFactory())).toBe('duplicate');
    expect(await applyOrder(applyPath, orderFactory({ updatedAt: '2026-11-01T00:00:00.000Z' }))).toBe(
      'stale',
    );

    expect(await customers.getAggregate(SHOP, '7001')).toMatchObject({ ordersCount: 1, version: 1 });
    // No de-duplication marker: the aggregate, the order, the order's link and the fact of its one
    // applied version (a redelivery writes no second fact).
    expect(await itemCount(t.name)).toBe(4);
  });

  it('replaces an order with its newer version and ignores the older one arriving late', async () => {
    const { applyPath, customers } = await freshTable();
    const v2 = orderFactory({
      updatedAt: '2026-11-03T00:00:00.000Z',
      total: { amount: 960, currency: 'JPY' },
    });
    expect(await applyOrder(applyPath, v2)).toBe('applied');
    expect(await applyOrder(applyPath, orderFactory())).toBe('stale');
    expect(await customers.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 960, currency: 'JPY' },
    });
  });

  it('recomputes the first order date exactly when the earliest of several orders is cancelled', async () => {
    const { applyPath, customers } = await freshTable();
    const early = orderFactory({
      orderId: '1',
      placedAt: '2026-10-01T00:00:00.000Z',
      updatedAt: '2026-10-01T00:00:00.000Z',
    });
    const late = orderFactory({
      orderId: '2',
      placedAt: '2026-10-05T00:00:00.000Z',
      updatedAt: '2026-10-05T00:00:00.000Z',
    });
    await applyOrder(applyPath, early);
    await applyOrder(applyPath, late);
    expect(
      await applyOrder(applyPath, { ...early, cancelled: true, updatedAt: '2026-10-06T00:00:00.000Z' }),
    ).toBe('applied');
    expect(await customers.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 1,
      firstOrderAt: '2026-10-05T00:00:00.000Z',
      lastOrderAt: '2026-10-05T00:00:00.000Z',
      firstOrders: [{ orderId: '2', placedAt: '2026-10-05T00:00:00.000Z' }],
    });
  });

  it('takes a refund off once, whether it arrives before, after or while its order is applied', async () => {
    const { applyPath, customers } = await freshTable();
    const orders = Array.from({ length: 20 }, (_, i) =>
      orderFactory({
        orderId: String(500 + i),
        lines: [{ ...RUM_BABA, quantity: 2 }],
        total: { amount: 960, currency: 'JPY' },
      }),
    );
    // Refunds of the first five arrive before their orders; the rest race them; all are redelivered.
    for (const order of orders.slice(0, 5))
      expect(await applyRefund(applyPath, order.orderId, `R${order.orderId}`, 480)).toBe('parked');
    await Promise.all(
      orders.flatMap((order) => [
        applyOrder(applyPath, order),
        applyRefund(applyPath, order.orderId, `R${order.orderId}`, 480),
      ]),
    );
    for (const order of orders) await applyRefund(applyPath, order.orderId, `R${order.orderId}`, 480);
    const aggregate = await customers.getAggregate(SHOP, '7001');
    expect(aggregate).toMatchObject({ ordersCount: 20, totalSpent: { amount: 20 * 480, currency: 'JPY' } });
    expect(aggregate?.products['8001000000001']).toEqual({ orders: 20, units: 20 });
  });

  it('loses nothing when 20 webhooks for one customer arrive at once', async () => {
    const { applyPath, customers } = await freshTable();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => applyOrder(applyPath, orderFactory({ orderId: String(100 + i) }))),
    );
    expect(outcomes.every((o) => o === 'applied')).toBe(true);
    expect(await customers.listOrders(SHOP, '7001')).toHaveLength(20);
    expect(await customers.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 20,
      version: 20,
      totalSpent: { amount: 9600 },
    });
  });

  it('writes nothing for a consent replay', async () => {
    const { applyPath, table: t } = await freshTable();
    const consent = {
      state: 'subscribed' as const,
      updatedAt: '2026-11-01T00:00:00.000Z',
      email: 'a@example.com',
    };
    const apply = async () =>
      (await applyPath.apply(SHOP, { type: 'consent', customerId: '7001', consent })).status;

    expect(await apply()).toBe('applied');
    expect(await apply()).toBe('unchanged');

    expect(await itemCount(t.name)).toBe(1); // the aggregate only
  });

  it('completes the order item a writer left undone after committing the aggregate', async () => {
    const { applyPath, customers, table: t } = await freshTable();
    const first = orderFactory({ orderId: '1' });
    const change = orderChange({
      shop: SHOP,
      current: null,
      stored: undefined,
      facts: first,
      options: journeyConfig,
      now: first.updatedAt,
    });
    if (typeof change === 'string') throw new Error(change);
    // A writer died after its one commit point: the aggregate, with the order's contribution pending.
    const state = { aggregate: change.aggregate, pendingOrder: { version: 1, contribution: change.order } };
    await t.doc.send(
      new PutCommand({
        TableName: t.name,
        Item: { ...aggregateKey(SHOP, '7001'), kind: 'aggregate', version: 1, state: encodeState(state) },
      }),
    );

    // Its redelivery applies nothing twice, and leaves the order item written.
    expect(await applyOrder(applyPath, first)).toBe('duplicate');
    const { Item } = await t.doc.send(
      new GetCommand({ TableName: t.name, Key: orderKey(SHOP, '7001', '1') }),
    );
    expect(Item?.contribution).toEqual(change.order);
    // Another order of the customer counts both.
    expect(await applyOrder(applyPath, orderFactory({ orderId: '2' }))).toBe('applied');
    expect(await customers.getAggregate(SHOP, '7001')).toMatchObject({ ordersCount: 2, version: 2 });
    expect((await customers.listOrders(SHOP, '7001')).map((o) => o.orderId).sort()).toEqual(['1', '2']);
  });

  const SEND = { shop: SHOP, customerId: '7001', journeyId: 'j', stageId: 's', entryId: 1 };

  it('lets exactly one of ten concurrent senders claim a stage entry', async () => {
    const ledger = new SendLedger((await freshTable()).table);

    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.claim(SEND, `req-${i}`, '2026-11-24T00:00:00.000Z')),
    );

    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'taken')).toHaveLength(9);
  });

  it('refuses a claim while one stands, and allows one after its release', async () => {
    const ledger = new SendLedger((await freshTable()).table);

    expect(await ledger.claim(SEND, 'req-1', '2026-11-24T00:00:00.000Z')).toBe('claimed');
    expect(await ledger.claim(SEND, 'req-2', '2026-11-24T00:00:00.500Z')).toBe('taken');
    // Only the claimant releases its claim.
    await ledger.release(SEND, 'req-2', 'not mine', '2026-11-24T00:00:01.000Z');
    expect(await ledger.claim(SEND, 'req-3', '2026-11-24T00:00:01.000Z')).toBe('taken');
    await ledger.release(SEND, 'req-1', 'Throttling', '2026-11-24T00:00:01.000Z');
    expect(await ledger.claim(SEND, 'req-2', '2026-11-24T00:00:02.000Z')).toBe('claimed');
  });

  it('answers a retried claim or release whose first answer was lost as the first one did', async () => {
    const ledger = new SendLedger((await freshTable()).table);
    const claim = (claimant: string) => ledger.claim(SEND, claimant, '2026-11-24T00:00:00.000Z');

    expect(await claim('req-1')).toBe('claimed');
    // The SDK retrying req-1's request after a lost answer: still req-1's claim; another invocation's is not.
    expect(await claim('req-1')).toBe('claimed');
    expect(await claim('req-2')).toBe('taken');
    await ledger.release(SEND, 'req-1', 'SES timeout', '2026-11-24T00:00:01.000Z');
    await ledger.release(SEND, 'req-1', 'SES timeout', '2026-11-24T00:00:01.000Z');
    expect(await claim('req-2')).toBe('claimed');
  });

  it('keeps a customer with 10,000 orders well under the 400 KB item limit', async () => {
    const { customers, table: t } = await freshTable();
    const products = ['8001000000001', '8001000000002', '8001000000003', '8001000000005', '8001000000008'];
    const orders = Array.from({ length: 10_000 }, (_, i) =>
      orderFactory({
        orderId: String(1_000_000 + i),
        placedAt: new Date(Date.parse('2020-01-01T00:00:00Z') + i * 3_600_000).toISOString(),
        updatedAt: new Date(Date.parse('2020-01-01T00:00:00Z') + i * 3_600_000).toISOString(),
        lines: [{ ...RUM_BABA, productId: products[i % products.length] ?? null, quantity: 1 + (i % 3) }],
        tags: [`campaign-${i % 500}`, 'web'],
        discountCodes: [`CODE-${i}`],
        channel: i % 7 === 0 ? 'pos' : 'web',
      }),
    );
    const aggregate = aggregateOfOrders(orders, { shop: SHOP, now: '2026-11-24T00:00:00.000Z' });
    if (!aggregate) throw new Error('no aggregate');
    const item = {
      ...aggregateKey(SHOP, '7001'),
      kind: 'aggregate',
      version: 1,
      state: encodeState({ aggregate, pendingOrder: null }),
    };

    const json = Buffer.byteLength(JSON.stringify(marshall(aggregate, { removeUndefinedValues: true })));
    const stored = Buffer.byteLength(JSON.stringify(marshall(item)));
    // DynamoDB Local enforces the real limit: the item must be accepted, and read back whole.
    await t.doc.send(new PutCommand({ TableName: t.name, Item: item }));
    const readBack = await customers.getAggregate(SHOP, '7001');

    expect(aggregate.ordersCount).toBe(10_000);
    expect(json).toBeLessThan(40 * 1024); // a tenth of DynamoDB's limit, even uncompressed
    expect(readBack?.ordersCount).toBe(10_000);
    console.info(
      `aggregate of a 10,000-order customer: ${json} bytes as DynamoDB JSON, item ${stored} bytes stored`,
    );
  });

  it('quarantines a payload with its headers, its copy capped', async () => {
    const { table: t } = await freshTable();
    const quarantine = new Quarantine(t);
    const entry = {
      shop: SHOP,
      topic: 'orders/create',
      reason: 'no line items',
      headers: { 'x-shopify-topic': 'orders/create' },
      bodySha256: 'ab',
      triggeredAt: '2026-11-24T00:00:00.000Z',
      receivedAt: '2026-11-24T00:00:00.000Z',
    };

    await quarantine.put({ ...entry, eventId: 'q1', copy: '{"id":1}', bodyBytes: 8 });
    await quarantine.put({ ...entry, eventId: 'q2', copy: 'x'.repeat(500_000), bodyBytes: 500_000 });
    await quarantine.put({ ...entry, eventId: 'q3', copy: null, bodyBytes: 1 });

    const listed = await quarantine.list(SHOP);
    expect(listed.map((q) => [q.eventId, q.copy?.length ?? null, q.complete])).toEqual([
      ['q1', 8, true],
      ['q2', QUARANTINE_COPY_LIMIT, false],
      ['q3', null, false],
    ]);
    const { Items } = await local.db.client.send(new ScanCommand({ TableName: t.name }));
    expect(Items?.[0]).toMatchObject({ kind: { S: 'quarantine' }, reason: { S: 'no line items' } });
  });
});
