import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { useLocalStack } from '../support/local-stack.ts';
import {
  consentDelivery,
  DEMO_SHOP,
  orderPayloadFactory,
  refundPayloadFactory,
} from '../support/shopify-payloads.ts';

const local = useLocalStack();
/** Aggregate items keep their state compressed: decoded here, so a scan for personal data sees it. */
const readable = (item: Record<string, unknown>) => {
  const state = (item.state as { B?: Uint8Array } | undefined)?.B;
  return state ? { ...item, state: decodeState({ state }) } : item;
};
const allItems = async () => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.stack.dynamoDb.client.send(
      new ScanCommand({ TableName: local.stack.tableName, ExclusiveStartKey: start as never }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]).map(readable));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return items;
};
const pkOf = (item: Record<string, unknown>) => (item.pk as { S: string }).S;
const order = (id: number, customerId: number, email: string, shop = DEMO_SHOP) =>
  local.deliver({
    shop,
    topic: 'orders/create',
    payload: orderPayloadFactory({
      id,
      customer: { id: customerId },
      email,
      created_at: new Date().toISOString(),
    }),
  });

describe('mandatory compliance topics', () => {
  it('customers/delete removes the customer from Loyalty Loop', async () => {
    await local.deliver(consentDelivery(8301, { email: 'deleted@example.com' }));
    await local.settle();
    expect((await local.customer(8301)).status).toBe(200);

    const deleted = await local.deliver({
      topic: 'customers/delete',
      payload: { id: 8301, phone: null, addresses: [], tax_exemptions: [], email_marketing_consent: null },
    });
    await local.settle();

    expect(JSON.parse(deleted.body)).toMatchObject({ status: 'deletion requested', customerId: '8301' });
    expect((await local.customer(8301)).status).toBe(404);
    expect((await allItems()).filter((i) => pkOf(i).includes('#CUSTOMER#8301'))).toEqual([]);
  });

  it('customers/redact erases the customer, keeping only a hash that still honours their opt-out', async () => {
    const email = 'redact-me@example.com';
    await local.deliver(consentDelivery(8201, { email }));
    await order(96001, 8201, email);
    await order(96002, 8201, email);
    const refund = await local.deliver({
      topic: 'refunds/create',
      payload: refundPayloadFactory({ id: 960011, order_id: 96001, created_at: new Date().toISOString() }),
    });
    expect(JSON.parse(refund.body)).toMatchObject({ status: 'applied', customerId: '8201' });
    const broken = await local.deliver({
      topic: 'orders/create',
      payload: { id: 'x', customer: { id: 8201, email } },
    });
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'quarantined' });
    await local.deliver(
      consentDelivery(8201, { email, state: 'unsubscribed', at: new Date(Date.now() + 1000) }),
    );
    await local.settle();
    expect(JSON.stringify(await allItems())).toContain(email);
    const sentBefore = await local.emailsTo(email);

    const redact = await local.deliver({
      topic: 'customers/redact',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        customer: { id: 8201, email, phone: null },
        orders_to_redact: [96001, 96002],
      },
    });
    await local.settle();

    expect(JSON.parse(redact.body)).toMatchObject({ status: 'redaction requested' });
    expect((await local.customer(8201)).status).toBe(404);
    const items = await allItems();
    expect(items.filter((i) => pkOf(i).includes('#CUSTOMER#8201'))).toEqual([]);
    // The orders' links to the customer and their refunds go too.
    expect(items.filter((i) => /#ORDER#9600[12]$/.test(pkOf(i)))).toEqual([]);
    expect(
      items.filter(
        (i) => (i.kind as { S: string }).S === 'quarantine' && pkOf(i).startsWith(`SHOP#${DEMO_SHOP}`),
      ),
    ).toEqual([]);
    expect(JSON.stringify(items)).not.toContain(email);
    expect(items.filter((i) => pkOf(i).includes('#SUPPRESSED#'))).toHaveLength(1);

    // The same person comes back as a new customer and consents: the old opt-out still holds.
    await local.deliver(consentDelivery(8202, { email }));
    await order(96003, 8202, email);
    await local.settle();
    expect((await local.customer(8202)).body).toMatchObject({
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
      emailMarketing: { state: 'subscribed' },
    });
    expect(await local.emailsTo(email)).toEqual(sentBefore);
  });

  it('customers/data_request exports everything held about the customer to the admin API', async () => {
    const email = 'export-me@example.com';
    await local.deliver(consentDelivery(8401, { email }));
    await order(98001, 8401, email);
    await local.settle();
    await order(98002, 8401, email);
    await local.settle();

    const requested = await local.deliver({
      topic: 'customers/data_request',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        orders_requested: [98001, 98002],
        customer: { id: 8401, email, phone: null },
        data_request: { id: 555 },
      },
    });
    await local.settle();
    const response = await local.admin<{
      customerId: string;
      aggregate: { email: string; ordersCount: number };
      orders: { orderId: string }[];
      emailsSent: { stageId: string; status: string }[];
    }>(`/api/shops/${DEMO_SHOP}/data-requests/555`);
    const unknown = await local.admin(`/api/shops/${DEMO_SHOP}/data-requests/556`);

    expect(JSON.parse(requested.body)).toMatchObject({ status: 'export requested' });
    expect(response.status).toBe(200);
    const exported = response.body;
    expect(exported.customerId).toBe('8401');
    expect(exported.aggregate).toMatchObject({ email, ordersCount: 2 });
    expect(exported.orders.map((o) => o.orderId).sort()).toEqual(['98001', '98002']);
    expect(exported.emailsSent.map((e) => `${e.stageId}:${e.status}`).sort()).toEqual([
      'first-rum-baba:claimed',
      'second-rum-baba:claimed',
    ]);
    expect(unknown.status).toBe(404);
  });

  it('shop/redact removes everything of that shop and nothing of another', async () => {
    const gone = 'leaving-shop.myshopify.com';
    for (const [i, id] of [8301, 8302, 8303].entries())
      await order(97001 + i, id, `c${id}@example.com`, gone);
    await order(97010, 8304, 'stays@example.com');
    await local.settle();
    const before = (await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${DEMO_SHOP}`)).length;
    expect((await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${gone}`)).length).toBeGreaterThan(6);

    const redact = await local.deliver({
      shop: gone,
      topic: 'shop/redact',
      payload: { shop_id: 2, shop_domain: gone },
    });
    await local.settle();

    expect(JSON.parse(redact.body)).toMatchObject({ status: 'redaction requested' });
    const left = (await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${gone}`));
    expect(left.map((i) => [pkOf(i), (i.status as { S: string }).S])).toEqual([
      [`SHOP#${gone}#PRIVACY`, 'done'],
    ]);
    expect((await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${DEMO_SHOP}`)).length).toBe(before);
  });
});
