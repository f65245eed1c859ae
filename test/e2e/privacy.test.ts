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

  it('leaves nothing of a redacted customer: the table, dead letters and events hold no email, name, address or id', async () => {
    const id = 8207713;
    const email = 'mariko.tanaka@example.com';
    const address = {
      name: 'Mariko Tanaka',
      first_name: 'Mariko',
      last_name: 'Tanaka',
      address1: '3-14 Kamigyo Lane',
      city: 'Kyotanabe',
      zip: '610-0331',
      phone: '+81 774 00 1234',
      country_code: 'JP',
      province_code: '26',
    };
    const person = { id, email, first_name: 'Mariko', last_name: 'Tanaka', phone: address.phone };
    const orderOf = (orderId: number) => ({
      ...orderPayloadFactory({ id: orderId, customer: { id }, email, created_at: new Date().toISOString() }),
      customer: { ...person, default_address: address },
      billing_address: address,
      shipping_address: address,
      note: 'Mariko: ring twice',
    });
    await local.deliver(consentDelivery(id, { email }));
    const first = { topic: 'orders/create', payload: orderOf(96101) };
    await local.deliver(first);
    await local.settle();
    await local.deliver({ topic: 'orders/create', payload: orderOf(96102) });
    await local.deliver({
      topic: 'customers/update',
      payload: {
        ...person,
        updated_at: new Date().toISOString(),
        default_address: address,
        admin_graphql_api_id: `gid://shopify/Customer/${id}`,
      },
    });
    // Unusable bodies naming them: under the shop, and under the unknown shop (a malformed header).
    const broken = { ...orderOf(96103), line_items: 'none' };
    await local.deliver({ topic: 'orders/create', payload: broken });
    await local.deliver({ topic: 'orders/create', payload: broken, shop: 'not a shop' });
    await local.deliver({
      topic: 'customers/data_request',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        orders_requested: [96101],
        customer: { id, email, phone: null },
        data_request: { id: 7713 },
      },
    });
    await local.settle();
    const [sent] = await local.emailsTo(email);
    const link = /^<(.+)>$/.exec(sent?.headers['List-Unsubscribe'] ?? '')?.[1] ?? '';
    expect(link).not.toBe('');
    expect((await local.admin(`/api/shops/${DEMO_SHOP}/data-requests/7713`)).status).toBe(200);
    const needles = [email, 'Mariko', 'Tanaka', 'Kamigyo', 'Kyotanabe', '610-0331', '774 00', String(id)];
    const found = async () => {
      const places = {
        table: JSON.stringify(await allItems()),
        deadLetters: JSON.stringify(await local.deadLetters()),
      };
      return Object.entries(places).flatMap(([place, text]) =>
        needles.filter((needle) => text.includes(needle)).map((needle) => `${place}: ${needle}`),
      );
    };
    // Before: their address and id are held (names, streets and phones never are, quarantine copies included).
    expect(await found()).toEqual([`table: ${email}`, `table: ${id}`]);
    const eventsBefore = (await local.busEvents()).length;

    await local.deliver({
      topic: 'customers/redact',
      payload: {
        shop_id: 1,
        shop_domain: DEMO_SHOP,
        customer: { id, email, phone: null },
        orders_to_redact: [96101, 96102],
      },
    });
    await local.settle();
    // Afterwards: the unsubscribe link of an email sent before, and Shopify redelivering an old webhook.
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    const redelivered = await local.deliver(first);
    await local.settle();

    expect(oneClick.status).toBe(200);
    expect(JSON.parse(redelivered.body)).toMatchObject({ status: 'redacted' });
    expect(await found()).toEqual([]);
    expect((await local.admin(`/api/shops/${DEMO_SHOP}/data-requests/7713`)).status).toBe(404);
    expect((await local.customer(id)).status).toBe(404);
    // No event has ever carried their address or name; none named them after the redaction.
    const events = await local.busEvents();
    expect(needles.slice(0, -1).filter((n) => JSON.stringify(events).includes(n))).toEqual([]);
    expect(JSON.stringify(events.slice(eventsBefore))).not.toContain(String(id));
  });
});
