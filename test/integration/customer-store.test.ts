import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerStore } from '#adapters/customer-store.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { consentChange, orderChange, refundChange, withOtherOrders } from '#domain/apply.ts';
import { refundContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { DynamoDbLocal } from '../../local/dynamodb.ts';
import { orderFactory, RUM_BABA } from '../support/factories.ts';

const SHOP = 'bakery-demo.myshopify.com';
let db: DynamoDbLocal;
let store: CustomerStore;
let table = 0;

/** A fresh table per test, shaped as the CustomerStore construct declares it. */
const freshStore = async () => {
  const name = `customers-${++table}`;
  await db.createTable({
    logicalId: name,
    name,
    keySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    attributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    streamViewType: 'NEW_AND_OLD_IMAGES',
    ttlAttribute: 'expiresAt',
  });
  return {
    name,
    store: new CustomerStore(
      DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } }),
      name,
    ),
  };
};

const applyOrder = (s: CustomerStore, eventId: string, facts: ReturnType<typeof orderFactory>) =>
  s.apply(
    { shop: SHOP, eventId, topic: 'orders/create' },
    facts.customerId,
    facts.orderId,
    (current, stored, others, parkedRefunds) =>
      withOtherOrders(
        (otherOrders) =>
          orderChange(
            {
              shop: SHOP,
              current,
              stored,
              facts,
              options: journeyConfig,
              now: '2026-11-24T00:00:00.000Z',
              parkedRefunds,
            },
            otherOrders,
          ),
        others,
      ),
    1_800_000_000,
  );

/** What the ingest function does with `refunds/create`: park with the order, apply once the customer is known. */
const applyRefund = async (
  s: CustomerStore,
  eventId: string,
  orderId: string,
  refundId: string,
  amount: number,
) => {
  const refund = refundContribution(
    {
      refundId,
      orderId,
      createdAt: '2026-11-05T00:00:00.000Z',
      amount: { amount, currency: 'JPY' },
      lines: [{ ...RUM_BABA, quantity: 1 }],
    },
    journeyConfig,
  );
  const customerId = await s.parkRefund(SHOP, orderId, refund);
  if (customerId === null) return 'parked';
  return s.apply(
    { shop: SHOP, eventId, topic: 'refunds/create' },
    customerId,
    orderId,
    (current, stored, others) =>
      withOtherOrders((o) => refundChange(current, stored, [refund], '2026-11-05T00:00:00.000Z', o), others),
    1_800_000_000,
  );
};

beforeAll(async () => {
  db = await DynamoDbLocal.start();
});
afterAll(() => db?.stop());

describe('CustomerStore on DynamoDB Local', () => {
  it('applies an order once, whatever the number of deliveries', async () => {
    ({ store } = await freshStore());
    expect(await applyOrder(store, 'evt-1', orderFactory())).toBe('applied');
    expect(await applyOrder(store, 'evt-1', orderFactory())).toBe('duplicate');
    expect(await applyOrder(store, 'evt-2', orderFactory())).toBe('stale');
    expect(await store.getAggregate(SHOP, '7001')).toMatchObject({ ordersCount: 1, version: 1 });
  });

  it('replaces an order with its newer version and ignores the older one arriving late', async () => {
    ({ store } = await freshStore());
    const v2 = orderFactory({
      updatedAt: '2026-11-03T00:00:00.000Z',
      total: { amount: 960, currency: 'JPY' },
    });
    expect(await applyOrder(store, 'evt-v2', v2)).toBe('applied');
    expect(await applyOrder(store, 'evt-v1', orderFactory())).toBe('stale');
    expect(await store.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 960, currency: 'JPY' },
    });
  });

  it('recomputes the first order date exactly when the earliest of several orders is cancelled', async () => {
    ({ store } = await freshStore());
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
    await applyOrder(store, 'e1', early);
    await applyOrder(store, 'e2', late);
    expect(
      await applyOrder(store, 'e3', { ...early, cancelled: true, updatedAt: '2026-10-06T00:00:00.000Z' }),
    ).toBe('applied');
    expect(await store.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 1,
      firstOrderAt: '2026-10-05T00:00:00.000Z',
      lastOrderAt: '2026-10-05T00:00:00.000Z',
      firstOrders: [{ orderId: '2', placedAt: '2026-10-05T00:00:00.000Z' }],
    });
  });

  it('takes a refund off once, whether it arrives before, after or while its order is applied', async () => {
    ({ store } = await freshStore());
    const orders = Array.from({ length: 20 }, (_, i) =>
      orderFactory({
        orderId: String(500 + i),
        lines: [{ ...RUM_BABA, quantity: 2 }],
        total: { amount: 960, currency: 'JPY' },
      }),
    );
    // Refunds of the first five arrive before their orders; the rest race them; all are redelivered.
    for (const order of orders.slice(0, 5))
      expect(await applyRefund(store, `r-${order.orderId}`, order.orderId, `R${order.orderId}`, 480)).toBe(
        'parked',
      );
    await Promise.all(
      orders.flatMap((order) => [
        applyOrder(store, `o-${order.orderId}`, order),
        applyRefund(store, `r-${order.orderId}`, order.orderId, `R${order.orderId}`, 480),
      ]),
    );
    for (const order of orders)
      await applyRefund(store, `r2-${order.orderId}`, order.orderId, `R${order.orderId}`, 480);
    const aggregate = await store.getAggregate(SHOP, '7001');
    expect(aggregate).toMatchObject({ ordersCount: 20, totalSpent: { amount: 20 * 480, currency: 'JPY' } });
    expect(aggregate?.products['8001000000001']).toEqual({ orders: 20, units: 20 });
  });

  it('loses nothing when 20 webhooks for one customer arrive at once', async () => {
    ({ store } = await freshStore());
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        applyOrder(store, `evt-${i}`, orderFactory({ orderId: String(100 + i) })),
      ),
    );
    expect(outcomes.every((o) => o === 'applied')).toBe(true);
    expect(await store.getAggregate(SHOP, '7001')).toMatchObject({
      ordersCount: 20,
      version: 20,
      totalSpent: { amount: 9600 },
    });
  });

  it('writes nothing but the marker for a consent replay', async () => {
    const { name, store: s } = await freshStore();
    const change = {
      state: 'subscribed' as const,
      updatedAt: '2026-11-01T00:00:00.000Z',
      email: 'a@example.com',
    };
    const apply = (eventId: string) =>
      s.apply(
        { shop: SHOP, eventId, topic: 'customers/email_marketing_consent_update' },
        '7001',
        null,
        (current) => {
          const aggregate = consentChange(SHOP, '7001', current, change, '2026-11-24T00:00:00.000Z');
          return aggregate ? { aggregate } : null;
        },
        1_800_000_000,
      );
    expect(await apply('c1')).toBe('applied');
    expect(await apply('c2')).toBe('unchanged');
    const { Count } = await db.client.send(new ScanCommand({ TableName: name, Select: 'COUNT' }));
    expect(Count).toBe(3); // two markers and one aggregate
  });

  it('lets exactly one of ten concurrent senders claim a stage entry', async () => {
    ({ store } = await freshStore());
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.claimSend(
          {
            shop: SHOP,
            customerId: '7001',
            journeyId: 'rum-baba-fans',
            stageId: 'first-rum-baba',
            entryId: 2,
          },
          `req-${i}`,
          '2026-11-24T00:00:00.000Z',
        ),
      ),
    );
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'in-flight')).toHaveLength(9);
  });

  const SEND = { shop: SHOP, customerId: '7001', journeyId: 'j', stageId: 's', entryId: 1 };

  it('refuses a claim after a send, and allows one after a failure', async () => {
    ({ store } = await freshStore());
    expect(await store.claimSend(SEND, 'req-1', '2026-11-24T00:00:00.000Z')).toBe('claimed');
    await store.finishSend(SEND, 'req-1', {
      status: 'failed',
      reason: 'Throttling',
      at: '2026-11-24T00:00:01.000Z',
    });
    expect(await store.claimSend(SEND, 'req-2', '2026-11-24T00:00:01.000Z')).toBe('claimed');
    // Only the claimant finishes its claim.
    await expect(
      store.finishSend(SEND, 'req-1', { status: 'sent', messageId: 'm', at: '2026-11-24T00:00:02.000Z' }),
    ).rejects.toThrow();
    await store.finishSend(SEND, 'req-2', { status: 'sent', messageId: 'm', at: '2026-11-24T00:00:02.000Z' });
    expect(await store.claimSend(SEND, 'req-3', '2026-11-24T00:00:03.000Z')).toBe('already-sent');
  });

  it('answers a retried claim or finish whose first answer was lost as the first one did', async () => {
    ({ store } = await freshStore());
    const claim = (claimant: string) => store.claimSend(SEND, claimant, '2026-11-24T00:00:00.000Z');
    expect(await claim('req-1')).toBe('claimed');
    // The SDK retrying req-1's request after a lost answer: still req-1's claim; another invocation's is not.
    expect(await claim('req-1')).toBe('claimed');
    expect(await claim('req-2')).toBe('in-flight');
    const sent = { status: 'sent' as const, messageId: 'm-1', at: '2026-11-24T00:00:02.000Z' };
    await store.finishSend(SEND, 'req-1', sent);
    await store.finishSend(SEND, 'req-1', sent);
    await expect(store.finishSend(SEND, 'req-1', { ...sent, messageId: 'm-2' })).rejects.toThrow();
    expect(await claim('req-1')).toBe('already-sent');
  });

  it('keeps a customer with 10,000 orders well under the 400 KB item limit', async () => {
    const { store: s } = await freshStore();
    let aggregate: CustomerAggregate | null = null;
    const products = ['8001000000001', '8001000000002', '8001000000003', '8001000000005', '8001000000008'];
    for (let i = 0; i < 10_000; i++) {
      const facts = orderFactory({
        orderId: String(1_000_000 + i),
        placedAt: new Date(Date.parse('2020-01-01T00:00:00Z') + i * 3_600_000).toISOString(),
        updatedAt: new Date(Date.parse('2020-01-01T00:00:00Z') + i * 3_600_000).toISOString(),
        lines: [{ ...RUM_BABA, productId: products[i % products.length] ?? null, quantity: 1 + (i % 3) }],
        tags: [`campaign-${i % 500}`, 'web'],
        discountCodes: [`CODE-${i}`],
        channel: i % 7 === 0 ? 'pos' : 'web',
      });
      const change = orderChange({
        shop: SHOP,
        current: aggregate,
        stored: undefined,
        facts,
        options: journeyConfig,
        now: '2026-11-24T00:00:00.000Z',
      });
      if (typeof change === 'string') throw new Error(`unexpected ${change}`);
      aggregate = change.aggregate;
    }
    if (!aggregate) throw new Error('no aggregate');
    const item = { pk: 'p', sk: 'AGGREGATE', kind: 'aggregate', version: aggregate.version, aggregate };
    const bytes = Buffer.byteLength(JSON.stringify(marshall(item, { removeUndefinedValues: true })));
    expect(aggregate.ordersCount).toBe(10_000);
    expect(bytes).toBeLessThan(40 * 1024); // a tenth of DynamoDB's limit
    // DynamoDB Local enforces the real limit: the item must be accepted.
    await s.apply(
      { shop: SHOP, eventId: 'big', topic: 'orders/create' },
      '7001',
      null,
      () => ({ aggregate: { ...(aggregate as CustomerAggregate), version: 1 } }),
      1_800_000_000,
    );
    expect((await s.getAggregate(SHOP, '7001'))?.ordersCount).toBe(10_000);
    console.info(`aggregate of a 10,000-order customer: ${bytes} bytes as DynamoDB JSON`);
  });

  it('quarantines a payload with its headers', async () => {
    const { name, store: s } = await freshStore();
    await s.quarantine(
      { shop: SHOP, eventId: 'q1', topic: 'orders/create' },
      'body is not JSON',
      { 'x-shopify-topic': 'orders/create' },
      Buffer.from('{'),
      '2026-11-24T00:00:00.000Z',
    );
    const { Items } = await db.client.send(new ScanCommand({ TableName: name }));
    expect(Items?.[0]).toMatchObject({
      kind: { S: 'quarantine' },
      reason: { S: 'body is not JSON' },
      bodyBytes: { N: '1' },
    });
  });
});
