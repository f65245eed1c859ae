import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { useLocalStack } from '../support/local-stack.ts';
import {
  consentPayloadFactory,
  DEMO_SHOP,
  orderPayloadFactory,
  refundPayloadFactory,
  LOCAL_WEBHOOK_SECRET as SECRET,
  sign,
} from '../support/shopify-payloads.ts';

/**
 * Hostile input against the local stack, as an attacker holding signed bodies (from a log, a
 * proxy, a quarantine) or Shopify at its most unusual would send it. Shopify signs the body, not
 * the headers: topic, shop and time are the attacker's to choose.
 *
 * Shops: the demo shop (the app's secret), a victim with a secret of its own (a custom app, one
 * per store), a second shop on the app's secret, and a shop this deployment does not serve.
 */
const VICTIM = 'victim-bakery.myshopify.com';
const VICTIM_SECRET = 'victim-own-secret';
const SECOND = 'second-bakery.myshopify.com';
const UNSERVED = 'stranger.myshopify.com';
const local = useLocalStack({
  context: { 'loyaltyLoop:shops': [DEMO_SHOP, VICTIM, SECOND] },
  shopWebhookSecrets: { [VICTIM]: VICTIM_SECRET },
});
const order = orderPayloadFactory({ id: 95001, customer: { id: 9501 } });
const valid = JSON.stringify(order);

type Case = {
  name: string;
  body: string | Buffer;
  /** Default: a valid signature of the body. null: no header. */
  signature?: string | null;
  topic?: string;
  shop?: string;
  /** Extra or replacing headers (a forged trigger time, an odd event id). */
  headers?: Record<string, string>;
  contentType?: string;
  method?: string;
  status: number;
  /** The `status` field of a 200 answer; undefined: any. */
  outcome?: string;
};

/** The order with fields replaced (a new numeric id renames its gid too, as Shopify's would). */
const withOrder = (patch: Record<string, unknown>) =>
  JSON.stringify({
    ...order,
    ...(typeof patch.id === 'number' ? { admin_graphql_api_id: `gid://shopify/Order/${patch.id}` } : {}),
    ...patch,
  });
const withLine = (patch: Record<string, unknown>) =>
  withOrder({ line_items: [{ ...order.line_items[0], ...patch }] });
const goodSig = (body: string | Buffer) => sign(body, SECRET);

const unauthenticated: Case[] = [
  { name: 'no signature', body: valid, signature: null, status: 401 },
  { name: 'empty signature', body: valid, signature: '', status: 401 },
  { name: 'signature with the wrong secret', body: valid, signature: sign(valid, 'guess'), status: 401 },
  { name: 'signature of another body', body: valid, signature: goodSig(withOrder({ id: 1 })), status: 401 },
  { name: 'truncated signature', body: valid, signature: goodSig(valid).slice(0, 20), status: 401 },
  {
    name: 'hex instead of base64',
    body: valid,
    signature: Buffer.from(goodSig(valid), 'base64').toString('hex'),
    status: 401,
  },
  {
    name: 'signature of the body with a trailing newline',
    body: valid,
    signature: goodSig(`${valid}\n`),
    status: 401,
  },
  {
    name: 'signature over re-serialised JSON',
    body: JSON.stringify(order, null, 2),
    signature: goodSig(valid),
    status: 401,
  },
  { name: 'garbage signature', body: valid, signature: '!!!not-base64!!!', status: 401 },
  { name: 'very long signature', body: valid, signature: 'A'.repeat(10_000), status: 401 },
  { name: 'signed with the secret as the body', body: SECRET, signature: goodSig(''), status: 401 },
  { name: 'unsigned broken JSON', body: '{"id":', signature: null, status: 401 },
  { name: 'unsigned unknown topic', body: '{}', signature: null, topic: 'shop/update', status: 401 },
  {
    name: 'unsigned consent change',
    body: '{"customer_id":1}',
    signature: sign('{"customer_id":1}', 'x'),
    topic: 'customers/email_marketing_consent_update',
    status: 401,
  },
  { name: 'unsigned empty body', body: '', signature: null, status: 401 },
];

const quarantined = (name: string, body: string | Buffer, extra: Partial<Case> = {}): Case => ({
  name,
  body,
  status: 200,
  outcome: 'quarantined',
  ...extra,
});

/** An authentic order delivery, with its odd headers, that is applied all the same. */
const applied = (name: string, id: number, headers: Record<string, string>): Case => ({
  name,
  body: withOrder({ id }),
  headers,
  status: 200,
  outcome: 'applied',
});

const authenticButUnusable: Case[] = [
  quarantined('truncated JSON', valid.slice(0, valid.length / 2)),
  quarantined('empty body', ''),
  quarantined('JSON null', 'null'),
  quarantined('JSON array', '[1,2,3]'),
  quarantined('a JSON string', '"order"'),
  quarantined('not JSON at all', 'id=9001&total=480'),
  quarantined('invalid UTF-8 bytes (binary content type)', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {
    contentType: 'application/octet-stream',
  }),
  quarantined('missing order id', withOrder({ id: undefined })),
  quarantined('order id as an object', withOrder({ id: { $gt: 0 } })),
  quarantined('negative order id', withOrder({ id: -5 })),
  quarantined('order id with letters', withOrder({ id: '12ab' })),
  quarantined('missing created_at', withOrder({ created_at: undefined })),
  quarantined('created_at not a date', withOrder({ created_at: 'yesterday' })),
  quarantined('updated_at as a number', withOrder({ updated_at: 1700000000 })),
  quarantined('total_price as a number', withOrder({ total_price: 480 })),
  quarantined('total_price with a comma', withOrder({ total_price: '1,480.00' })),
  quarantined('total_price in scientific notation', withOrder({ total_price: '1e5' })),
  quarantined('currency of the wrong length', withOrder({ currency: 'YENN' })),
  quarantined('line_items not an array', withOrder({ line_items: 'Rum Baba' })),
  quarantined('line_items missing', withOrder({ line_items: undefined })),
  quarantined('quantity as a string', withLine({ quantity: '2' })),
  quarantined('negative quantity', withLine({ quantity: -3 })),
  quarantined('fractional quantity', withLine({ quantity: 1.5 })),
  quarantined('absurd quantity', withLine({ quantity: 1e12 })),
  quarantined('line without a title', withLine({ title: undefined })),
  quarantined(
    '5,001 line items',
    withOrder({ line_items: Array.from({ length: 5_001 }, () => ({ title: 'x', quantity: 1 })) }),
  ),
  quarantined('customer id as a float', withOrder({ customer: { id: 1.5 } })),
  quarantined('customer as a string', withOrder({ customer: 'ann' })),
  quarantined(
    'consent with an unknown state',
    '{"customer_id":1,"email_marketing_consent":{"state":"maybe"}}',
    { topic: 'customers/email_marketing_consent_update' },
  ),
  quarantined('consent without a customer id', '{"email_marketing_consent":{"state":"subscribed"}}', {
    topic: 'customers/email_marketing_consent_update',
  }),
  quarantined(
    'tags added with tags as a string',
    '{"customerId":"gid://shopify/Customer/1","tags":"vip","occurredAt":"2026-11-01T00:00:00Z"}',
    { topic: 'customer.tags_added' },
  ),
  quarantined(
    'tags added with a foreign gid',
    '{"customerId":"gid://shopify/Order/1","tags":["vip"],"occurredAt":"2026-11-01T00:00:00Z"}',
    { topic: 'customer.tags_added' },
  ),
  quarantined('shop header that is not myshopify.com', valid, { shop: 'evil.example.com' }),
  quarantined('shop header in capitals', valid, { shop: 'BAKERY-DEMO.MYSHOPIFY.COM' }),
  quarantined('shop header with a path', valid, { shop: 'bakery-demo.myshopify.com/../x' }),
  quarantined('empty shop header', valid, { shop: '' }),
  quarantined('deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`),
];

/** Signed bodies an attacker may hold, each with the topic Shopify sent it under. */
const captured = {
  'orders/create': order,
  'refunds/create': refundPayloadFactory({ id: 950011, order_id: 95001 }),
  'customers/update': {
    id: 9501,
    email: 'customer9501@example.com',
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    admin_graphql_api_id: 'gid://shopify/Customer/9501',
  },
  'customers/email_marketing_consent_update': consentPayloadFactory({ customer_id: 9501 }),
  'customer.tags_added': {
    customerId: 'gid://shopify/Customer/9501',
    tags: ['vip'],
    occurredAt: '2026-11-01T00:00:00Z',
  },
  'customers/data_request': {
    shop_id: 1,
    shop_domain: DEMO_SHOP,
    customer: { id: 9501, email: 'customer9501@example.com', phone: null },
    orders_requested: [95001],
    data_request: { id: 9501 },
  },
  // Destructive bodies (of another customer): captured, never delivered under their own topic here.
  'customers/redact': {
    shop_id: 1,
    shop_domain: DEMO_SHOP,
    customer: { id: 9599, email: 'gone@example.com', phone: null },
    orders_to_redact: [],
  },
  'customers/delete': {
    id: 9599,
    phone: null,
    addresses: [],
    tax_exemptions: [],
    email_marketing_consent: null,
    sms_marketing_consent: null,
    admin_graphql_api_id: 'gid://shopify/Customer/9599',
  },
  'shop/redact': { shop_id: 1, shop_domain: DEMO_SHOP },
  'app/uninstalled': { id: 1, name: 'Demo Bakery', domain: 'bakery.example', myshopify_domain: DEMO_SHOP },
} as const;
type Source = keyof typeof captured;
const TOPICS = [
  ...Object.keys(captured),
  'orders/updated',
  'orders/cancelled',
  'customers/create',
  'customer.tags_removed',
  '__proto__',
  'constructor',
  'toString',
];
/** Topics whose bodies are of one shape: a swap among them is a redelivery of the same change. */
const SIBLINGS = [
  ['orders/create', 'orders/updated', 'orders/cancelled'],
  ['customers/update', 'customers/create'],
  ['customer.tags_added', 'customer.tags_removed'],
];
const siblings = (a: string, b: string) => SIBLINGS.some((group) => group.includes(a) && group.includes(b));
const bodyOf = (source: Source) => JSON.stringify(captured[source]);

const topicSwaps: Case[] = (Object.keys(captured) as Source[]).flatMap((source) =>
  TOPICS.filter((topic) => topic !== source).map((topic) => ({
    name: `replay: ${source} body as ${topic}`,
    body: bodyOf(source),
    topic,
    status: 200,
    ...(siblings(source, topic) ? {} : { outcome: 'quarantined' }),
  })),
);

const shopSwaps: Case[] = (Object.keys(captured) as Source[]).flatMap((source): Case[] => [
  // The victim verifies with its own secret: a body signed with the app's is not its webhook.
  {
    name: `replay: ${source} as the victim's`,
    body: bodyOf(source),
    topic: source,
    shop: VICTIM,
    status: 401,
  },
  {
    name: `replay: ${source} as an unserved shop's`,
    body: bodyOf(source),
    topic: source,
    shop: UNSERVED,
    status: 200,
    outcome: 'ignored',
  },
  // A second shop on the app's secret: bodies that name their shop must name it.
  ...(['customers/data_request', 'customers/redact', 'shop/redact', 'app/uninstalled'].includes(source)
    ? [quarantined(`replay: ${source} as the second shop's`, bodyOf(source), { topic: source, shop: SECOND })]
    : []),
]);

const later = (ms: number) => new Date(Date.now() + ms).toISOString();
const timeShifts: Case[] = (Object.keys(captured) as Source[]).flatMap((source) =>
  [
    ['an hour', 3_600_000],
    ['a year', 365 * 86_400_000],
  ].map(([span, ms]) => ({
    name: `replay: ${source} triggered ${span} ahead`,
    body: bodyOf(source),
    topic: source,
    headers: { 'x-shopify-triggered-at': later(Number(ms)) },
    status: 400,
  })),
);
// The attack of the issue: an order re-sent as an uninstall, far ahead of time, then as now.
timeShifts.push(
  {
    name: 'replay: order as app/uninstalled, far ahead',
    body: valid,
    topic: 'app/uninstalled',
    headers: { 'x-shopify-triggered-at': '2099-01-01T00:00:00Z' },
    status: 400,
  },
  quarantined('replay: order as app/uninstalled, now', valid, { topic: 'app/uninstalled' }),
  quarantined('replay: order as shop/redact under the victim', valid, { topic: 'shop/redact' }),
);

/** 5,000 distinct products, in lines as short as Shopify's can be (the body stays under 1 MB). */
const products = (from: number) =>
  Array.from({ length: 5_000 }, (_, i) => ({
    product_id: from + i,
    variant_id: from + i,
    sku: 's',
    vendor: 'v',
    title: 'p',
    price: '1',
    quantity: 1,
  }));
const domainLimits: Case[] = [
  quarantined('price of 99999999999999999999', withOrder({ id: 95101, total_price: '99999999999999999999' })),
  quarantined(
    'refund of 99999999999999999999',
    JSON.stringify({
      ...captured['refunds/create'],
      transactions: [{ amount: '99999999999999999999', kind: 'refund', status: 'success', currency: 'JPY' }],
    }),
    { topic: 'refunds/create' },
  ),
  {
    name: 'an order body over 300 KB (a long note)',
    body: withOrder({ id: 95102, note: 'n'.repeat(400 * 1024) }),
    status: 200,
    outcome: 'applied',
  },
  {
    name: 'a EUR order after a USD one (first: USD)',
    body: JSON.stringify(orderPayloadFactory({ id: 95111, customer: { id: 9511 }, currency: 'USD' })),
    status: 200,
    outcome: 'applied',
  },
  {
    name: 'a EUR order after a USD one (then: EUR)',
    body: JSON.stringify(
      orderPayloadFactory({
        id: 95112,
        customer: { id: 9511 },
        currency: 'EUR',
        created_at: '2026-11-03T09:00:00Z',
      }),
    ),
    status: 200,
    outcome: 'applied',
  },
  ...[0, 1, 2].map((n) => ({
    name: `order ${n + 1} of one customer with 5,000 distinct products`,
    body: JSON.stringify(
      orderPayloadFactory({
        id: 95121 + n,
        customer: { id: 9512 },
        created_at: `2026-11-0${n + 2}T09:00:00Z`,
        line_items: products(10_000_000 + n * 5_000),
      }),
    ),
    status: 200,
    outcome: 'applied',
  })),
  applied('an event id of 3,000 characters', 95131, { 'x-shopify-event-id': 'e'.repeat(3_000) }),
  applied('an event id of odd characters', 95132, { 'x-shopify-event-id': '../../SHOP#other#QUARANTINE' }),
  quarantined('a topic of 300 characters', valid, { topic: 'orders/'.padEnd(300, 'x') }),
  applied('a trigger time that is not a time', 95133, { 'x-shopify-triggered-at': 'yesterday-ish' }),
  applied('an API version that is not one', 95134, { 'x-shopify-api-version': '<script>' }),
  applied('a 4 KB header of its own', 95135, { 'x-forwarded-note': 'z'.repeat(4_096) }),
];

const ignoredOrLimited: Case[] = [
  quarantined('unknown topic', '{}', { topic: 'shop/update' }),
  quarantined('empty topic', '{}', { topic: '' }),
  quarantined('topic with a typo', valid, { topic: 'order/create' }),
  { name: 'guest order (no customer)', body: withOrder({ customer: null }), status: 200, outcome: 'ignored' },
  {
    name: 'prototype pollution attempt',
    // Keys written into the JSON text itself (an object literal's __proto__ would not serialise).
    body: withOrder({ id: 95003 }).replace(
      /^\{/,
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
    ),
    status: 200,
    outcome: 'applied',
  },
  {
    name: 'binary content type (base64 through API Gateway)',
    body: withOrder({ id: 95002 }),
    contentType: 'application/octet-stream',
    status: 200,
    outcome: 'applied',
  },
  {
    name: '2 MB body (over the function limit)',
    body: JSON.stringify({ ...order, note: 'x'.repeat(2 * 1024 * 1024) }),
    status: 413,
  },
  { name: '10 MB body (over the API limit)', body: Buffer.alloc(10 * 1024 * 1024, 0x61), status: 413 },
  { name: 'GET on the webhook route', body: '', method: 'GET', status: 404 },
  { name: 'PUT on the webhook route', body: valid, method: 'PUT', status: 404 },
];

const authentic = [...authenticButUnusable, ...ignoredOrLimited, ...domainLimits];
const replays = [...topicSwaps, ...shopSwaps, ...timeShifts];
const corpus = [...unauthenticated, ...authentic, ...replays];
const eventIds = new Map(corpus.map((c, i) => [c, `hostile-${i}`]));

/** Sends a case; the answer, and how long it took. */
const send = async (c: Case) => {
  const headers: Record<string, string> = {
    'content-type': c.contentType ?? 'application/json',
    'x-shopify-topic': c.topic ?? 'orders/create',
    'x-shopify-shop-domain': c.shop ?? DEMO_SHOP,
    'x-shopify-event-id': eventIds.get(c) ?? 'hostile',
    'x-shopify-triggered-at': new Date().toISOString(),
    ...c.headers,
  };
  const signature = c.signature === undefined ? goodSig(c.body) : c.signature;
  if (signature !== null) headers['x-shopify-hmac-sha256'] = signature;
  const method = c.method ?? 'POST';
  const started = Date.now();
  const response = await fetch(`${local.url}/webhooks/shopify`, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body: c.body }),
  });
  const text = await response.text();
  return { status: response.status, text, ms: Date.now() - started };
};

type Item = Record<string, unknown> & { pk: { S: string }; kind?: { S: string } };
const allItems = async (): Promise<Item[]> => {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.stack.dynamoDb.client.send(
      new ScanCommand({ TableName: local.stack.tableName, ExclusiveStartKey: start as never }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return items;
};
/** What an attack must not change: other shops' items, and the demo shop's bystander and status. */
const bystanders = async () =>
  (await allItems())
    .filter((i) => i.kind?.S !== 'quarantine')
    .filter(
      (i) =>
        !i.pk.S.startsWith(`SHOP#${DEMO_SHOP}`) ||
        i.pk.S === `SHOP#${DEMO_SHOP}` ||
        i.pk.S.startsWith(`SHOP#${DEMO_SHOP}#CUSTOMER#9502`) ||
        i.pk.S.startsWith(`SHOP#${DEMO_SHOP}#PRIVACY`),
    )
    .map((i) => {
      const state = (i.state as { B?: Uint8Array } | undefined)?.B;
      return JSON.stringify(state ? { ...i, state: decodeState({ state }) } : i);
    })
    .sort();

const seed = async () => {
  const deliveries = [
    {
      shop: VICTIM,
      secret: VICTIM_SECRET,
      topic: 'orders/create',
      payload: orderPayloadFactory({ id: 97001, customer: { id: 9701 } }),
    },
    {
      shop: VICTIM,
      secret: VICTIM_SECRET,
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayloadFactory({ customer_id: 9701 }),
    },
    {
      shop: SECOND,
      topic: 'orders/create',
      payload: orderPayloadFactory({ id: 98001, customer: { id: 9801 } }),
    },
    { topic: 'orders/create', payload: orderPayloadFactory({ id: 95201, customer: { id: 9502 } }) },
    { topic: 'orders/create', payload: order },
  ];
  for (const d of deliveries) expect((await local.deliver(d)).status).toBe(200);
  await local.settle();
};

describe(`hostile input: ${corpus.length} requests`, () => {
  let before: string[] = [];
  const answers: { name: string; status: number; ms: number }[] = [];

  it('is a corpus of at least 250 requests, replay attacks among them', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(250);
    expect(replays.length).toBeGreaterThanOrEqual(150);
    await seed();
    before = await bystanders();
    expect(before.length).toBeGreaterThanOrEqual(8);
  });

  it('answers every unauthenticated request 401 and writes nothing', async () => {
    const count = await local.itemCount();

    for (const c of unauthenticated) {
      const { status, ms } = await send(c);
      answers.push({ name: c.name, status, ms });
    }

    expect(answers.map(({ name, status }) => ({ name, status }))).toEqual(
      unauthenticated.map((c) => ({ name: c.name, status: 401 })),
    );
    expect(await local.itemCount()).toBe(count);
  });

  it.each([...authentic, ...replays].map((c) => [c.name, c] as const))(
    '%s → the designed answer',
    async (_name, c) => {
      const { status, text, ms } = await send(c);
      answers.push({ name: c.name, status, ms });

      expect(status).toBe(c.status);
      if (c.outcome) expect(JSON.parse(text)).toMatchObject({ status: c.outcome });
    },
  );

  it('answered every request 200 or 4xx, each within 5 s', () => {
    expect(answers).toHaveLength(corpus.length);
    expect(answers.filter((a) => a.status >= 500 || a.status < 200)).toEqual([]);
    expect(answers.filter((a) => a.ms >= 5_000)).toEqual([]);
  });

  it('changed no other shop and no other customer, erased nobody and uninstalled nothing', async () => {
    await local.settle();
    expect(await bystanders()).toEqual(before);
    expect((await local.customer(9501)).status).toBe(200);
    expect((await local.customer(9701, { shop: VICTIM })).status).toBe(200);
    expect((await local.customer(9511)).body).toMatchObject({
      ordersCount: 2,
      totalSpent: { currency: 'USD' },
      otherCurrencySpent: { EUR: expect.any(Number) },
    });
    expect((await local.customer(9512)).body).toMatchObject({ ordersCount: 3 });
  });

  it('is still healthy afterwards, with nothing dead-lettered and the quarantine inspectable', async () => {
    expect((await local.health()).status).toBe(200);
    expect(await local.deadLetters()).toEqual([]);
    const quarantine = (await allItems()).filter((i) => i.kind?.S === 'quarantine');
    expect(quarantine).toHaveLength(corpus.filter((c) => c.outcome === 'quarantined').length);
    // No copy holds a signature or an address.
    expect(JSON.stringify(quarantine)).not.toMatch(/hmac|@example\.com/i);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
