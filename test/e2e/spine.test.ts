import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { LocalEmail } from '../../local/ses.ts';
import {
  catalogLine,
  consentPayload,
  DEMO_SHOP,
  deliver,
  orderPayload,
  sign,
} from '../../scripts/shopify-sim.ts';
import { useLocalStack } from '../support/local-stack.ts';

// Email Sent events are opt-in; this file checks them too.
const local = useLocalStack({ context: { 'loyaltyLoop:emailSentEvents': true } });
const rumBaba = catalogLine(8001000000001);
const croissant = catalogLine(8001000000003, 2);

const settle = async () => {
  const response = await fetch(`${local.stack.url}/_local/settle`, { method: 'POST' });
  expect(response.status).toBe(200);
};
const emailsTo = async (address: string): Promise<LocalEmail[]> => {
  const all = (await (await fetch(`${local.stack.url}/_local/emails`)).json()) as LocalEmail[];
  return all.filter((e) => e.to.includes(address));
};
const customer = async (id: number, key = 'local-admin-key') =>
  fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/customers/${id}`, {
    headers: { authorization: `Bearer ${key}` },
  });
const itemCount = async () =>
  (
    await local.stack.dynamoDb.client.send(
      new ScanCommand({ TableName: local.stack.tableName, Select: 'COUNT' }),
    )
  ).Count;
const subscribe = (id: number, state = 'subscribed') =>
  deliver(local.stack.url, {
    topic: 'customers/email_marketing_consent_update',
    payload: consentPayload(id, state, '2026-11-01T10:00:00+09:00'),
  });
const order = (id: number, customerId: number, day: number, lines = [rumBaba]) =>
  orderPayload({
    id,
    customerId,
    createdAt: `2026-11-${String(day).padStart(2, '0')}T09:00:00+09:00`,
    lines,
  });

describe('the local stack, over HTTP', () => {
  it('reports healthy once every part is up', async () => {
    const response = await fetch(`${local.stack.url}/_local/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', rules: 7 });
  });

  it('turns a signed first Rum Baba order into one coupon email with one-click unsubscribe', async () => {
    await subscribe(8001);
    const response = await deliver(local.stack.url, {
      topic: 'orders/create',
      payload: order(90001, 8001, 2, [rumBaba, croissant]),
    });
    expect(response.status).toBe(200);
    await settle();
    const emails = await emailsTo('customer8001@example.com');
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email).toMatchObject({
      from: 'hello@bakery-demo.example',
      subject: 'A little thank-you from Demo Bakery: your next Rum Baba',
    });
    expect(email?.html).toContain('RUMBABA-AGAIN');
    expect(email?.headers['List-Unsubscribe']).toMatch(
      new RegExp(`^<${local.stack.url}/unsubscribe\\?token=[\\w-]+\\.[\\w-]+>$`),
    );
    expect(email?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const body = await (await customer(8001)).json();
    expect(body).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 1080, currency: 'JPY' },
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
    });
  });

  it('sends no second email when Shopify delivers the same webhook again, or the same order version anew', async () => {
    await subscribe(8002);
    const delivery = { topic: 'orders/create', payload: order(90002, 8002, 3), eventId: 'evt-90002' };
    expect((await deliver(local.stack.url, delivery)).status).toBe(200);
    const again = await deliver(local.stack.url, delivery);
    expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate' });
    const updated = await deliver(local.stack.url, {
      topic: 'orders/updated',
      payload: order(90002, 8002, 3),
    });
    // The same order version again, under another webhook id: the order's version makes it a no-op.
    expect(JSON.parse(updated.body)).toMatchObject({ status: 'duplicate' });
    await settle();
    expect(await emailsTo('customer8002@example.com')).toHaveLength(1);
    expect(await (await customer(8002)).json()).toMatchObject({ ordersCount: 1 });
  });

  it.each([
    ['a wrong secret', sign('{}', 'wrong-secret')],
    ['a garbage signature', 'bm90LWEtc2lnbmF0dXJl'],
    ['no signature', null],
  ])('answers 401 to a webhook with %s and stores nothing', async (_name, signature) => {
    const before = await itemCount();
    const response = await deliver(local.stack.url, {
      topic: 'orders/create',
      payload: order(90003, 8003, 4),
      signature,
    });
    expect(response.status).toBe(401);
    await settle();
    expect(await itemCount()).toBe(before);
    expect((await customer(8003)).status).toBe(404);
  });

  it('sends nothing to a customer who is not subscribed, but still tracks their stage', async () => {
    await subscribe(8004, 'not_subscribed');
    await deliver(local.stack.url, { topic: 'orders/create', payload: order(90004, 8004, 5) });
    await settle();
    expect(await emailsTo('customer8004@example.com')).toHaveLength(0);
    expect(await (await customer(8004)).json()).toMatchObject({
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
    });
  });

  it('walks a customer through the whole Rum Baba journey, one email per stage', async () => {
    await subscribe(8005);
    await deliver(local.stack.url, { topic: 'orders/create', payload: order(90050, 8005, 1, [croissant]) });
    await settle();
    for (const [i, day] of [6, 13, 20].entries()) {
      await deliver(local.stack.url, { topic: 'orders/create', payload: order(90051 + i, 8005, day) });
      await settle();
    }
    const subjects = (await emailsTo('customer8005@example.com')).map((e) => e.subject);
    expect(subjects).toEqual([
      'A little thank-you from Demo Bakery: your next Rum Baba',
      'Three ways to enjoy your Rum Baba',
      "You're a Rum Baba fan: first look at our Savarin",
    ]);
    expect(await (await customer(8005)).json()).toMatchObject({
      ordersCount: 4,
      journeys: { 'rum-baba-fans': 'rum-baba-fan' },
    });
  });

  it('puts stage and email events on the bus with deterministic ids', async () => {
    const events = (await (await fetch(`${local.stack.url}/_local/events`)).json()) as {
      'detail-type': string;
      detail: { eventId: string };
    }[];
    const ids = events
      .filter((e) => e.detail.eventId.includes('/8005/'))
      .map((e) => `${e['detail-type']}: ${e.detail.eventId}`);
    expect(ids).toContain(`Journey Stage Changed: ${DEMO_SHOP}/8005/rum-baba-fans/changed/2`);
    expect(ids.some((id) => id.includes('Exited') || id.includes('Entered: '))).toBe(false);
    expect(ids.filter((id) => id.startsWith('Email Sent'))).toHaveLength(3);
  });

  it('unsubscribes in one click from the link in the email, and sends nothing after', async () => {
    await subscribe(8006);
    await deliver(local.stack.url, { topic: 'orders/create', payload: order(90060, 8006, 7) });
    await settle();
    const [email] = await emailsTo('customer8006@example.com');
    const link = /^<(.+)>$/.exec(email?.headers['List-Unsubscribe'] ?? '')?.[1] ?? '';
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Unsubscribe from Demo Bakery emails?');
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await (await customer(8006)).json()).toMatchObject({ emailMarketing: { state: 'unsubscribed' } });
    await settle();
    // Written back to Shopify with the shop's Admin API token (the local Admin API stand-in).
    const adminCalls = (await (await fetch(`${local.stack.url}/_local/shopify-admin`)).json()) as {
      shop: string;
      apiVersion: string;
      token: string;
      query: string;
      variables: { input: { customerId: string; emailMarketingConsent: { marketingState: string } } };
    }[];
    expect(adminCalls.filter((c) => c.variables.input.customerId === 'gid://shopify/Customer/8006')).toEqual([
      expect.objectContaining({
        shop: DEMO_SHOP,
        apiVersion: '2025-10',
        token: 'shpat_local',
        query: expect.stringContaining('customerEmailMarketingConsentUpdate'),
        variables: {
          input: {
            customerId: 'gid://shopify/Customer/8006',
            emailMarketingConsent: { marketingState: 'UNSUBSCRIBED', consentUpdatedAt: expect.any(String) },
          },
        },
      }),
    ]);
    await deliver(local.stack.url, { topic: 'orders/create', payload: order(90061, 8006, 14) });
    await settle();
    expect(await emailsTo('customer8006@example.com')).toHaveLength(1);
    expect(await (await customer(8006)).json()).toMatchObject({
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
    });
  });

  it('guards the admin API with the bearer key and answers 404 for an unknown customer', async () => {
    expect((await customer(8001, 'wrong')).status).toBe(401);
    expect((await fetch(`${local.stack.url}/api/shops/${DEMO_SHOP}/customers/8001`)).status).toBe(401);
    expect((await customer(99999999)).status).toBe(404);
  });

  it('answers a quarantined authentic payload with 200 and an unknown route with 404', async () => {
    const broken = await deliver(local.stack.url, {
      topic: 'orders/create',
      payload: { id: 'not-a-number' },
    });
    expect(broken.status).toBe(200);
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'quarantined' });
    expect((await fetch(`${local.stack.url}/webhooks/other`, { method: 'POST' })).status).toBe(404);
  });

  it('moves the local clock forward on request and validates the request', async () => {
    const before = Date.now();
    const response = await fetch(`${local.stack.url}/_local/advance-time`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 86_400 }),
    });
    expect(response.status).toBe(200);
    const { now } = (await response.json()) as { now: string };
    expect(Date.parse(now) - before).toBeGreaterThanOrEqual(86_400_000);
    const bad = await fetch(`${local.stack.url}/_local/advance-time`, {
      method: 'POST',
      body: JSON.stringify({ seconds: -5 }),
    });
    expect(bad.status).toBe(400);
  });

  it('leaves nothing in the dead-letter queues', async () => {
    expect(await (await fetch(`${local.stack.url}/_local/dead-letters`)).json()).toEqual([]);
  });
});
