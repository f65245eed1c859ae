import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack.ts';
import {
  DEMO_SHOP,
  orderPayloadFactory,
  LOCAL_WEBHOOK_SECRET as SECRET,
  sign,
} from '../support/shopify-payloads.ts';

const local = useLocalStack();
const order = orderPayloadFactory({ id: 95001, customer: { id: 9501 } });
const valid = JSON.stringify(order);

type Case = {
  name: string;
  body: string | Buffer;
  /** Default: a valid signature of the body. null: no header. */
  signature?: string | null;
  topic?: string;
  shop?: string;
  contentType?: string;
  method?: string;
  status: number;
  /** The `status` field of a 200 answer. */
  outcome?: string;
};

const withOrder = (patch: Record<string, unknown>) => JSON.stringify({ ...order, ...patch });
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
  quarantined('shop header with a path', valid, { shop: 'bakery-demo.myshopify.com/../x' }),
  quarantined('empty shop header', valid, { shop: '' }),
  quarantined('deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`),
];

const ignoredOrLimited: Case[] = [
  { name: 'unknown topic', body: '{}', topic: 'shop/update', status: 200, outcome: 'ignored' },
  { name: 'empty topic', body: '{}', topic: '', status: 200, outcome: 'ignored' },
  { name: 'topic with a typo', body: valid, topic: 'order/create', status: 200, outcome: 'ignored' },
  { name: 'guest order (no customer)', body: withOrder({ customer: null }), status: 200, outcome: 'ignored' },
  {
    name: 'prototype pollution attempt',
    body: withOrder({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
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

const corpus = [...unauthenticated, ...authenticButUnusable, ...ignoredOrLimited];

const send = async (c: Case) => {
  const headers: Record<string, string> = {
    'content-type': c.contentType ?? 'application/json',
    'x-shopify-topic': c.topic ?? 'orders/create',
    'x-shopify-shop-domain': c.shop ?? DEMO_SHOP,
    'x-shopify-event-id': `hostile-${c.name}`,
  };
  const signature = c.signature === undefined ? goodSig(c.body) : c.signature;
  if (signature !== null) headers['x-shopify-hmac-sha256'] = signature;
  const method = c.method ?? 'POST';
  const response = await fetch(`${local.url}/webhooks/shopify`, {
    method,
    headers,
    ...(method === 'GET' ? {} : { body: c.body }),
  });
  return { status: response.status, text: await response.text() };
};

describe(`hostile input: ${corpus.length} requests`, () => {
  it('is a corpus of at least 50 requests', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it('answers every unauthenticated request 401 and writes nothing', async () => {
    const before = await local.itemCount();

    const answers = [];
    for (const c of unauthenticated) answers.push({ name: c.name, status: (await send(c)).status });

    expect(answers).toEqual(unauthenticated.map((c) => ({ name: c.name, status: 401 })));
    expect(await local.itemCount()).toBe(before);
  });

  it.each([...authenticButUnusable, ...ignoredOrLimited].map((c) => [c.name, c] as const))(
    '%s → the designed answer',
    async (_name, c) => {
      const { status, text } = await send(c);

      expect(status).toBe(c.status);
      if (c.outcome) expect(JSON.parse(text)).toMatchObject({ status: c.outcome });
    },
  );

  it('is still healthy afterwards, with nothing dead-lettered and the quarantine inspectable', async () => {
    expect((await local.health()).status).toBe(200);
    expect(await local.deadLetters()).toEqual([]);
    const quarantine = await local.stack.dynamoDb.client.send(
      new ScanCommand({
        TableName: local.stack.tableName,
        FilterExpression: 'kind = :q',
        ExpressionAttributeValues: { ':q': { S: 'quarantine' } },
      }),
    );
    expect(quarantine.Count).toBe(authenticButUnusable.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
