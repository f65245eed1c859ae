import { describe, expect, it } from 'vitest';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import { DEMO_SENDER } from '../../lib/stack-config.ts';
import { useLocalStack } from '../support/local-stack.ts';
import {
  catalogLine,
  consentDelivery,
  DEMO_SHOP,
  orderPayloadFactory,
  RUM_BABA_ID,
  sign,
} from '../support/shopify-payloads.ts';

// Email Sent events are opt-in; this file checks them too.
const local = useLocalStack({ context: { 'loyaltyLoop:emailSentEvents': true } });
const rumBaba = catalogLine(RUM_BABA_ID);
const croissant = catalogLine(8001000000003, 2);

const subscribe = (id: number, state = 'subscribed') =>
  local.deliver(consentDelivery(id, { state, at: '2026-11-01T10:00:00+09:00' }));
const order = (id: number, customerId: number, day: number, lines = [rumBaba]) =>
  orderPayloadFactory({
    id,
    customer: { id: customerId },
    created_at: `2026-11-${String(day).padStart(2, '0')}T09:00:00+09:00`,
    line_items: lines,
  });

describe('the local stack, over HTTP', () => {
  it('reports healthy once every part is up', async () => {
    const health = await local.health();

    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', rules: 9 });
  });

  it('turns a signed first Rum Baba order into one coupon email with one-click unsubscribe', async () => {
    await subscribe(8001);

    const response = await local.deliver({
      topic: 'orders/create',
      payload: order(90001, 8001, 2, [rumBaba, croissant]),
    });
    await local.settle();

    expect(response.status).toBe(200);
    const emails = await local.emailsTo('customer8001@example.com');
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email).toMatchObject({
      from: '"Demo Bakery" <hello@bakery-demo.example>',
      subject: 'A little thank-you from Demo Bakery: your next Rum Baba',
    });
    expect(email?.text).toContain(DEMO_SENDER.postalAddress);
    expect(email?.html).toContain(DEMO_SENDER.postalAddress);
    expect(email?.html).toContain('RUMBABA-AGAIN');
    expect(email?.headers['List-Unsubscribe']).toMatch(
      new RegExp(`^<${local.url}/unsubscribe\\?token=[\\w-]+\\.[\\w-]+>$`),
    );
    expect(email?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const { body } = await local.customer(8001);
    expect(body).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 1080, currency: 'JPY' },
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
    });
  });

  it('sends no second email when Shopify delivers the same webhook again, or the same order version anew', async () => {
    await subscribe(8002);
    const delivery = { topic: 'orders/create', payload: order(90002, 8002, 3), eventId: 'evt-90002' };
    expect((await local.deliver(delivery)).status).toBe(200);
    const again = await local.deliver(delivery);
    expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate' });
    const updated = await local.deliver({
      topic: 'orders/updated',
      payload: order(90002, 8002, 3),
    });
    // The same order version again, under another webhook id: the order's version makes it a no-op.
    expect(JSON.parse(updated.body)).toMatchObject({ status: 'duplicate' });
    await local.settle();
    expect(await local.emailsTo('customer8002@example.com')).toHaveLength(1);
    expect((await local.customer(8002)).body).toMatchObject({ ordersCount: 1 });
  });

  it.each([
    ['a wrong secret', sign('{}', 'wrong-secret')],
    ['a garbage signature', 'bm90LWEtc2lnbmF0dXJl'],
    ['no signature', null],
  ])('answers 401 to a webhook with %s and stores nothing', async (_name, signature) => {
    const before = await local.itemCount();

    const response = await local.deliver({
      topic: 'orders/create',
      payload: order(90003, 8003, 4),
      signature,
    });
    await local.settle();

    expect(response.status).toBe(401);
    expect(await local.itemCount()).toBe(before);
    expect((await local.customer(8003)).status).toBe(404);
  });

  it('sends nothing to a customer who is not subscribed, but still tracks their stage', async () => {
    await subscribe(8004, 'not_subscribed');

    await local.deliver({ topic: 'orders/create', payload: order(90004, 8004, 5) });
    await local.settle();

    expect(await local.emailsTo('customer8004@example.com')).toHaveLength(0);
    expect((await local.customer(8004)).body).toMatchObject({
      journeys: { 'rum-baba-fans': 'first-rum-baba' },
    });
  });

  it('walks a customer through the whole Rum Baba journey, one email per stage', async () => {
    await subscribe(8005);
    await local.deliver({ topic: 'orders/create', payload: order(90050, 8005, 1, [croissant]) });
    await local.settle();

    for (const [i, day] of [6, 13, 20].entries()) {
      await local.deliver({ topic: 'orders/create', payload: order(90051 + i, 8005, day) });
      await local.settle();
    }

    const subjects = (await local.emailsTo('customer8005@example.com')).map((e) => e.subject);
    expect(subjects).toEqual([
      'A little thank-you from Demo Bakery: your next Rum Baba',
      'Three ways to enjoy your Rum Baba',
      "You're a Rum Baba fan: first look at our Savarin",
    ]);
    expect((await local.customer(8005)).body).toMatchObject({
      ordersCount: 4,
      journeys: { 'rum-baba-fans': 'rum-baba-fan' },
    });
  });

  it('puts stage and email events on the bus with deterministic ids', async () => {
    const events = await local.busEvents<{ eventId: string }>();

    const ids = events
      .filter((e) => e.detail.eventId.includes('/8005/'))
      .map((e) => `${e['detail-type']}: ${e.detail.eventId}`);

    expect(ids).toContain(`Journey Stage Changed: ${DEMO_SHOP}/8005/rum-baba-fans/changed/2`);
    expect(ids.some((id) => id.includes('Exited') || id.includes('Entered: '))).toBe(false);
    expect(ids.filter((id) => id.startsWith('Email Sent'))).toHaveLength(3);
  });

  it('unsubscribes in one click from the link in the email, and sends nothing after', async () => {
    await subscribe(8006);
    await local.deliver({ topic: 'orders/create', payload: order(90060, 8006, 7) });
    await local.settle();
    const [email] = await local.emailsTo('customer8006@example.com');
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
    expect((await local.customer(8006)).body).toMatchObject({ emailMarketing: { state: 'unsubscribed' } });
    await local.settle();
    // Written back to Shopify with the shop's Admin API token (the local Admin API stand-in).
    const adminCalls = await local.shopifyAdminCalls<{
      input: { customerId: string; emailMarketingConsent: { marketingState: string } };
    }>();
    expect(adminCalls.filter((c) => c.variables.input.customerId === 'gid://shopify/Customer/8006')).toEqual([
      expect.objectContaining({
        shop: DEMO_SHOP,
        apiVersion: SHOPIFY_API_VERSION,
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
    await local.deliver({ topic: 'orders/create', payload: order(90061, 8006, 14) });
    await local.settle();
    expect(await local.emailsTo('customer8006@example.com')).toHaveLength(1);
    expect((await local.customer(8006)).body).toMatchObject({
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
    });
  });

  it('guards the admin API with the bearer key and answers 404 for an unknown customer', async () => {
    const wrongKey = await local.customer(8001, { key: 'wrong' });
    const noKey = await local.customer(8001, { key: null });
    const unknown = await local.customer(99999999);

    expect(wrongKey.status).toBe(401);
    expect(noKey.status).toBe(401);
    expect(unknown.status).toBe(404);
  });

  it('answers a quarantined authentic payload with 200 and an unknown route with 404', async () => {
    const broken = await local.deliver({
      topic: 'orders/create',
      payload: { id: 'not-a-number' },
    });
    const unrouted = await fetch(`${local.url}/webhooks/other`, { method: 'POST' });

    expect(broken.status).toBe(200);
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'quarantined' });
    expect(unrouted.status).toBe(404);
  });

  it('moves the local clock forward on request and validates the request', async () => {
    const before = Date.now();
    const response = await fetch(`${local.url}/_local/advance-time`, {
      method: 'POST',
      body: JSON.stringify({ seconds: 86_400 }),
    });
    expect(response.status).toBe(200);
    const { now } = (await response.json()) as { now: string };
    expect(Date.parse(now) - before).toBeGreaterThanOrEqual(86_400_000);
    const bad = await fetch(`${local.url}/_local/advance-time`, {
      method: 'POST',
      body: JSON.stringify({ seconds: -5 }),
    });
    expect(bad.status).toBe(400);
  });

  it('leaves nothing in the dead-letter queues', async () => {
    expect(await local.deadLetters()).toEqual([]);
  });
});
