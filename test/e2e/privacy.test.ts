import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import type { LocalEmail } from '../../local/ses.ts';
import {
  catalogLine,
  consentPayload,
  DEMO_SHOP,
  deliver,
  orderPayload,
  refundPayload,
} from '../../scripts/shopify-sim.ts';
import { useLocalStack } from '../support/local-stack.ts';

const local = useLocalStack();
const settle = async () =>
  expect((await fetch(`${local.stack.url}/_local/settle`, { method: 'POST' })).status).toBe(200);
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
  deliver(local.stack.url, {
    shop,
    topic: 'orders/create',
    payload: orderPayload({
      id,
      customerId,
      email,
      createdAt: new Date().toISOString(),
      lines: [catalogLine(8001000000001)],
    }),
  });

describe('mandatory compliance topics', () => {
  it('customers/delete removes the customer from Loyalty Loop', async () => {
    await deliver(local.stack.url, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(8301, 'subscribed', new Date().toISOString(), 'deleted@example.com'),
    });
    await settle();
    const customer = () =>
      fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/customers/8301`, {
        headers: { authorization: 'Bearer local-admin-key' },
      });
    expect((await customer()).status).toBe(200);
    const deleted = await deliver(local.stack.url, {
      topic: 'customers/delete',
      payload: { id: 8301, phone: null, addresses: [], tax_exemptions: [], email_marketing_consent: null },
    });
    expect(JSON.parse(deleted.body)).toMatchObject({ status: 'deletion requested', customerId: '8301' });
    await settle();
    expect((await customer()).status).toBe(404);
    expect((await allItems()).filter((i) => pkOf(i).includes('#CUSTOMER#8301'))).toEqual([]);
  });

  it('customers/redact erases the customer, keeping only a hash that still honours their opt-out', async () => {
    const email = 'redact-me@example.com';
    await deliver(local.stack.url, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(8201, 'subscribed', new Date().toISOString(), email),
    });
    await order(96001, 8201, email);
    await order(96002, 8201, email);
    const refund = await deliver(local.stack.url, {
      topic: 'refunds/create',
      payload: refundPayload({
        id: 960011,
        orderId: 96001,
        createdAt: new Date().toISOString(),
        lines: [{ line: catalogLine(8001000000001), quantity: 1 }],
      }),
    });
    expect(JSON.parse(refund.body)).toMatchObject({ status: 'applied', customerId: '8201' });
    const broken = await deliver(local.stack.url, {
      topic: 'orders/create',
      payload: { id: 'x', customer: { id: 8201, email } },
    });
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'quarantined' });
    await deliver(local.stack.url, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(8201, 'unsubscribed', new Date(Date.now() + 1000).toISOString(), email),
    });
    await settle();
    expect(JSON.stringify(await allItems())).toContain(email);
    const emailsTo = async () =>
      ((await (await fetch(`${local.stack.url}/_local/emails`)).json()) as LocalEmail[]).filter((e) =>
        e.to.includes(email),
      );
    const sentBefore = await emailsTo();

    const redact = await deliver(local.stack.url, {
      topic: 'customers/redact',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        customer: { id: 8201, email, phone: null },
        orders_to_redact: [96001, 96002],
      },
    });
    expect(JSON.parse(redact.body)).toMatchObject({ status: 'redaction requested' });
    await settle();

    expect(
      (
        await fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/customers/8201`, {
          headers: { authorization: 'Bearer local-admin-key' },
        })
      ).status,
    ).toBe(404);
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
    await deliver(local.stack.url, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(8202, 'subscribed', new Date().toISOString(), email),
    });
    await order(96003, 8202, email);
    await settle();
    expect(
      await (
        await fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/customers/8202`, {
          headers: { authorization: 'Bearer local-admin-key' },
        })
      ).json(),
    ).toMatchObject({
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
      emailMarketing: { state: 'subscribed' },
    });
    expect(await emailsTo()).toEqual(sentBefore);
  });

  it('customers/data_request exports everything held about the customer to the admin API', async () => {
    const email = 'export-me@example.com';
    await deliver(local.stack.url, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(8401, 'subscribed', new Date().toISOString(), email),
    });
    await order(98001, 8401, email);
    await settle();
    await order(98002, 8401, email);
    await settle();
    const requested = await deliver(local.stack.url, {
      topic: 'customers/data_request',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        orders_requested: [98001, 98002],
        customer: { id: 8401, email, phone: null },
        data_request: { id: 555 },
      },
    });
    expect(JSON.parse(requested.body)).toMatchObject({ status: 'export requested' });
    await settle();
    const response = await fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/data-requests/555`, {
      headers: { authorization: 'Bearer local-admin-key' },
    });
    expect(response.status).toBe(200);
    const exported = (await response.json()) as {
      customerId: string;
      aggregate: { email: string; ordersCount: number };
      orders: { orderId: string }[];
      emailsSent: { stageId: string; status: string }[];
    };
    expect(exported.customerId).toBe('8401');
    expect(exported.aggregate).toMatchObject({ email, ordersCount: 2 });
    expect(exported.orders.map((o) => o.orderId).sort()).toEqual(['98001', '98002']);
    expect(exported.emailsSent.map((e) => `${e.stageId}:${e.status}`).sort()).toEqual([
      'first-rum-baba:claimed',
      'second-rum-baba:claimed',
    ]);
    const unknown = await fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/data-requests/556`, {
      headers: { authorization: 'Bearer local-admin-key' },
    });
    expect(unknown.status).toBe(404);
  });

  it('shop/redact removes everything of that shop and nothing of another', async () => {
    const gone = 'leaving-shop.myshopify.com';
    for (const [i, id] of [8301, 8302, 8303].entries())
      await order(97001 + i, id, `c${id}@example.com`, gone);
    await order(97010, 8304, 'stays@example.com');
    await settle();
    const before = (await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${DEMO_SHOP}`)).length;
    expect((await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${gone}`)).length).toBeGreaterThan(6);

    const redact = await deliver(local.stack.url, {
      shop: gone,
      topic: 'shop/redact',
      payload: { shop_id: 2, shop_domain: gone },
    });
    expect(JSON.parse(redact.body)).toMatchObject({ status: 'redaction requested' });
    await settle();

    const left = (await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${gone}`));
    expect(left.map((i) => [pkOf(i), (i.status as { S: string }).S])).toEqual([
      [`SHOP#${gone}#PRIVACY`, 'done'],
    ]);
    expect((await allItems()).filter((i) => pkOf(i).startsWith(`SHOP#${DEMO_SHOP}`)).length).toBe(before);
  });
});
