import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { withoutPersonalFields } from '#adapters/shopify/personal-fields.ts';
import { encodeState } from '#adapters/store/aggregate-item.ts';
import { emptyAggregate, MAX_DISTINCT_PRODUCTS, replaceContribution } from '#domain/aggregate.ts';
import { type OrderFacts, orderContribution } from '#domain/order.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { ServedShops } from '../../functions/ingest/served-shops.ts';
import { parseWebhook } from '../../functions/ingest/topics.ts';
import { orderFactory } from '../support/factories.ts';
import { DEMO_SHOP, orderPayloadFactory } from '../support/shopify-payloads.ts';

const NOW = '2026-11-24T00:00:00.000Z';
const OPTIONS = { selectors: [] };
/** The aggregate with one more order counted (a new customer's when none is given). */
const addOrder = (facts: OrderFacts, aggregate = emptyAggregate('s', 'c', NOW)) =>
  replaceContribution(aggregate, undefined, orderContribution(facts, OPTIONS), NOW);
const parse = (topic: string, body: unknown, shop = DEMO_SHOP) =>
  parseWebhook({
    topic,
    shop,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    triggeredAt: NOW,
    headerProblem: null,
  });

const order = orderPayloadFactory({ id: 91001, customer: { id: 9101 } });
const customerUpdate = {
  id: 9101,
  email: 'ann@example.com',
  first_name: 'Ann',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-02T00:00:00Z',
  admin_graphql_api_id: 'gid://shopify/Customer/9101',
};
const customerRedact = {
  shop_id: 1,
  shop_domain: DEMO_SHOP,
  customer: { id: 9101, email: 'ann@example.com', phone: null },
  orders_to_redact: [91001],
};
const dataRequest = {
  shop_id: 1,
  shop_domain: DEMO_SHOP,
  customer: { id: 9101, email: 'ann@example.com', phone: null },
  orders_requested: [91001],
  data_request: { id: 5 },
};
const shopRedact = { shop_id: 1, shop_domain: DEMO_SHOP };
const shopObject = { id: 1, name: 'Bakery', domain: 'bakery.example', myshopify_domain: DEMO_SHOP };
const deletion = {
  id: 9101,
  phone: null,
  addresses: [],
  tax_exemptions: [],
  email_marketing_consent: null,
  sms_marketing_consent: null,
  admin_graphql_api_id: 'gid://shopify/Customer/9101',
};

describe('a signed body is applied only under its own topic and shop', () => {
  it.each([
    ['orders/create', order, 'order'],
    ['customers/update', customerUpdate, 'customer'],
    ['customers/redact', customerRedact, 'privacy'],
    ['customers/data_request', dataRequest, 'privacy'],
    ['shop/redact', shopRedact, 'privacy'],
    ['app/uninstalled', shopObject, 'uninstall'],
    ['customers/delete', deletion, 'privacy'],
  ])('%s with its own body is a change', (topic, body, type) => {
    expect(parse(topic, body)).toMatchObject({ kind: 'change', change: { type } });
  });

  const bodies = { order, customerUpdate, customerRedact, dataRequest, shopRedact, shopObject, deletion };
  const own: Record<string, keyof typeof bodies> = {
    'orders/create': 'order',
    'customers/update': 'customerUpdate',
    'customers/redact': 'customerRedact',
    'customers/data_request': 'dataRequest',
    'shop/redact': 'shopRedact',
    'app/uninstalled': 'shopObject',
    'customers/delete': 'deletion',
  };
  const swaps = Object.entries(own).flatMap(([topic, mine]) =>
    Object.keys(bodies)
      .filter((name) => name !== mine)
      .map((name) => [topic, name] as const),
  );

  it.each(swaps)('%s with the body of %s is quarantined', (topic, name) => {
    expect(parse(topic, bodies[name as keyof typeof bodies])).toMatchObject({ kind: 'quarantine' });
  });

  it.each([
    ['customers/redact', customerRedact],
    ['customers/data_request', dataRequest],
    ['shop/redact', shopRedact],
    ['app/uninstalled', shopObject],
  ])('%s naming another shop than the header is quarantined', (topic, body) => {
    expect(parse(topic, body, 'other.myshopify.com')).toEqual({
      kind: 'quarantine',
      reason: 'the shop named in the body is not the X-Shopify-Shop-Domain header',
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'products/update'])(
    'topic %s is not subscribed to: quarantined',
    (topic) => {
      expect(parse(topic, order)).toMatchObject({ kind: 'quarantine' });
    },
  );
});

describe('the quarantine copy', () => {
  it('keeps ids, amounts and products, and no personal field at any depth', () => {
    const body = {
      ...order,
      note: 'leave at the door, Ann',
      browser_ip: '203.0.113.9',
      billing_address: { name: 'Ann Baker', address1: '1 Main St', city: 'Kyoto', country_code: 'JP' },
      customer: {
        id: 9101,
        email: 'ann@example.com',
        first_name: 'Ann',
        last_name: 'Baker',
        phone: '+81 90',
        default_address: { name: 'Ann Baker', zip: '600-0000', province_code: '26' },
      },
      __proto__: { polluted: true },
    };
    const copy = withoutPersonalFields(Buffer.from(JSON.stringify(body))) ?? '';

    for (const personal of [
      'Ann',
      'Ann Baker',
      'ann@example.com',
      'Main St',
      'Kyoto',
      '600-0000',
      '203.0.113',
      '+81',
    ])
      expect(copy).not.toContain(personal);
    expect(JSON.parse(copy)).toMatchObject({
      id: 91001,
      total_price: order.total_price,
      customer: { id: 9101, default_address: { province_code: '26' } },
      billing_address: { country_code: 'JP' },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('is null for a body that is not JSON', () => {
    expect(withoutPersonalFields(Buffer.from('email=ann@example.com'))).toBeNull();
  });
});

describe('served shops', () => {
  it('serves the listed shops only, or every shop with *', () => {
    const listed = new ServedShops(`${DEMO_SHOP}, Other.myshopify.com`);
    expect([DEMO_SHOP, 'other.myshopify.com', 'stranger.myshopify.com'].map((s) => listed.serves(s))).toEqual(
      [true, true, false],
    );
    expect(new ServedShops('*').serves('stranger.myshopify.com')).toBe(true);
  });

  it.each(['', 'evil.example.com', ' , '])('refuses the setting %j', (setting) => {
    expect(() => new ServedShops(setting)).toThrow(/SHOPS must be/);
  });
});

describe('what can never be applied is an UnusableChange, not a crash', () => {
  it('a price beyond exact integer range', () => {
    const payload = orderPayloadFactory({ total_price: '99999999999999999999' });
    expect(parse('orders/create', payload)).toMatchObject({ kind: 'quarantine' });
  });

  it('a total spend that would leave exact integer range', () => {
    const big = orderFactory({
      orderId: 'a',
      total: { amount: Number.MAX_SAFE_INTEGER - 1, currency: 'JPY' },
    });
    const more = orderFactory({ orderId: 'b', total: { amount: 10, currency: 'JPY' } });
    expect(() => addOrder(more, addOrder(big))).toThrow(UnusableChange);
  });

  it('a customer record that would outgrow its item', () => {
    const aggregate = { ...emptyAggregate('s', 'c', NOW), email: randomBytes(400_000).toString('hex') };
    expect(() => encodeState({ aggregate, pendingOrder: null })).toThrow(UnusableChange);
  });
});

describe('customer limits', () => {
  it('counts every order but tracks at most MAX_DISTINCT_PRODUCTS products', () => {
    const lines = (from: number) =>
      Array.from({ length: 5_000 }, (_, i) => ({
        productId: String(from + i),
        variantId: null,
        sku: null,
        vendor: null,
        title: 'x',
        quantity: 1,
      }));
    let aggregate = emptyAggregate('s', 'c', NOW);
    for (const [n, from] of [0, 5_000, 10_000].entries()) {
      const facts = orderFactory({ orderId: String(n), lines: lines(from) });
      aggregate = replaceContribution(aggregate, undefined, orderContribution(facts, OPTIONS), NOW);
    }
    expect(aggregate.ordersCount).toBe(3);
    expect(Object.keys(aggregate.products)).toHaveLength(MAX_DISTINCT_PRODUCTS);
    expect(encodeState({ aggregate, pendingOrder: null }).length).toBeLessThan(100 * 1024);
  });

  it('keeps spend in another currency apart instead of failing (a shop that changed its currency)', () => {
    const usd = orderFactory({ orderId: 'u', total: { amount: 1_000, currency: 'USD' } });
    const eur = orderFactory({ orderId: 'e', total: { amount: 700, currency: 'EUR' } });
    const aggregate = addOrder(eur, addOrder(usd));

    expect(aggregate.ordersCount).toBe(2);
    expect(aggregate.totalSpent).toEqual({ amount: 1_000, currency: 'USD' });
    expect(aggregate.otherCurrencySpent).toEqual({ EUR: 700 });
    const withoutEur = replaceContribution(
      aggregate,
      orderContribution(eur, OPTIONS),
      orderContribution({ ...eur, cancelled: true }, OPTIONS),
      NOW,
    );
    expect(withoutEur.otherCurrencySpent).toEqual({});
  });
});
