import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AdminSession, createAdminSessions } from '#adapters/shopify/admin-session.ts';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import {
  COMPLIANCE_TOPICS,
  checkSubscriptions,
  ensureSubscriptions,
  isComplete,
  SUBSCRIBABLE_TOPICS,
  type TopicReport,
} from '#adapters/shopify/webhook-subscriptions.ts';
import { HANDLED_TOPICS, parseWebhook } from '../../functions/ingest/topics.ts';
import { keepSubscribed } from '../../functions/reconcile/reconcile.ts';
import { ShopifyAdminLocal } from '../../local/shopify-admin/server.ts';

// Against the Admin API stand-in (it refuses http:// addresses, as Shopify does), one shop per test.
const ADDRESS = 'https://hooks.loyalty-loop.example/webhooks/shopify';
const ELSEWHERE = 'https://old-stack.example/webhooks/shopify';
const TOKEN = 'shpat_subscriptions';
const API_TOPICS = HANDLED_TOPICS.filter((t) => !COMPLIANCE_TOPICS.includes(t));

let admin: ShopifyAdminLocal;
let origin: string;
let shopNumber = 0;
let shop: string;
let session: AdminSession;

beforeAll(async () => {
  const shops = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`subs-${i}.myshopify.com`, TOKEN]));
  // A roomy bucket: the paging test creates a hundred subscriptions.
  ({ admin, origin } = await ShopifyAdminLocal.start(shops, {
    rateLimit: { maximumAvailable: 100_000, restoreRate: 10_000 },
  }));
});

afterAll(async () => {
  await admin.stop();
});

beforeEach(async () => {
  shop = `subs-${shopNumber++}.myshopify.com`;
  const sessions = createAdminSessions(async () => ({ kind: 'access-token', accessToken: TOKEN }), {
    origin,
  });
  const found = await sessions.forShop(shop);
  if (!found) throw new Error('no session');
  session = found;
});

const statuses = (topics: TopicReport[]) => Object.fromEntries(topics.map((t) => [t.topic, t.status]));
const creations = () =>
  admin.calls.filter((c) => c.shop === shop && c.query.includes('webhookSubscriptionCreate')).length;
const createAt = async (graphqlTopic: string, uri: string, includeFields?: string[]) => {
  const { data } = await session.request(
    'mutation c($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { userErrors { message } } }',
    { t: graphqlTopic, s: { uri, format: 'JSON', ...(includeFields ? { includeFields } : {}) } },
  );
  expect(data).toEqual({ webhookSubscriptionCreate: { userErrors: [] } });
};

describe('ensureSubscriptions', () => {
  it('creates every handled topic at the address, full payloads but for the customer topics', async () => {
    // Act
    const report = await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);

    // Assess
    expect(isComplete(report)).toBe(true);
    expect(report.topics.filter((t) => t.status === 'created').map((t) => t.topic)).toEqual(API_TOPICS);
    const listed = admin.webhookSubscriptions(shop);
    expect(listed.map((s) => s.topic).sort()).toEqual(
      API_TOPICS.map((t) => SUBSCRIBABLE_TOPICS.get(t)?.graphqlTopic).sort(),
    );
    expect(listed.every((s) => s.uri === ADDRESS && s.format === 'JSON')).toBe(true);
    const trimmed = listed.filter((s) => s.includeFields.length > 0).map((s) => s.topic);
    expect(trimmed.sort()).toEqual(['CUSTOMERS_CREATE', 'CUSTOMERS_UPDATE']);
    expect(report.others).toEqual([]);
  });

  it('creates nothing when run again', async () => {
    // Arrange
    await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);
    const before = creations();

    // Act
    const again = await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);

    // Assess
    expect(creations()).toBe(before);
    expect(isComplete(again)).toBe(true);
    expect(again.topics.filter((t) => t.status !== 'configured-in-app')).toEqual(
      API_TOPICS.map((topic) =>
        expect.objectContaining({ topic, status: 'present', outdated: [], id: expect.any(String) }),
      ),
    );
  });

  it('is kept by the periodic reconciliation: a removed subscription comes back at its next run', async () => {
    await keepSubscribed(session, ADDRESS, HANDLED_TOPICS);
    admin.removeSubscription(shop, 'CUSTOMERS_DELETE');

    expect(await keepSubscribed(session, ADDRESS, HANDLED_TOPICS)).toEqual({
      created: ['customers/delete'],
      failed: [],
    });
    expect(await keepSubscribed(session, ADDRESS, HANDLED_TOPICS)).toEqual({ created: [], failed: [] });
  });

  it('re-creates a subscription Shopify removed after failed deliveries', async () => {
    // Arrange
    await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);
    admin.removeSubscription(shop, 'ORDERS_UPDATED');

    // Act
    const report = await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);

    // Assess
    expect(report.topics.filter((t) => t.status === 'created').map((t) => t.topic)).toEqual([
      'orders/updated',
    ]);
    expect(admin.webhookSubscriptions(shop).filter((s) => s.topic === 'ORDERS_UPDATED')).toHaveLength(1);
  });

  it('reports a refusal (userErrors) per topic instead of throwing', async () => {
    // Act
    const report = await ensureSubscriptions(session, 'http://plain.example/webhooks', ['orders/create']);

    // Assess
    expect(report.topics).toEqual([
      {
        topic: 'orders/create',
        graphqlTopic: 'ORDERS_CREATE',
        status: 'failed',
        errors: ['Address protocol http:// is not supported'],
      },
    ]);
    expect(isComplete(report)).toBe(false);
    expect(admin.webhookSubscriptions(shop)).toEqual([]);
  });

  it('reports a topic with no known Admin API value as failed, and creates the others', async () => {
    // Act
    const report = await ensureSubscriptions(session, ADDRESS, ['products/update', 'orders/create']);

    // Assess
    expect(statuses(report.topics)).toEqual({ 'products/update': 'failed', 'orders/create': 'created' });
  });

  it('reports the compliance topics as configured in the app and never asks the API for them', async () => {
    // Act
    const report = await ensureSubscriptions(session, ADDRESS, COMPLIANCE_TOPICS);

    // Assess
    expect(report.topics).toEqual(
      COMPLIANCE_TOPICS.map((topic) => ({ topic, graphqlTopic: null, status: 'configured-in-app' })),
    );
    expect(creations()).toBe(0);
    expect(isComplete(report)).toBe(true);
  });

  it('reports subscriptions at another address or of unhandled topics, and deletes none', async () => {
    // Arrange
    await createAt('ORDERS_CREATE', ELSEWHERE);
    await createAt('PRODUCTS_UPDATE', ADDRESS);

    // Act
    const report = await ensureSubscriptions(session, ADDRESS, HANDLED_TOPICS);

    // Assess
    expect(report.topics.find((t) => t.topic === 'orders/create')?.status).toBe('created');
    expect(report.others).toEqual([
      expect.objectContaining({ topic: 'ORDERS_CREATE', uri: ELSEWHERE, reason: 'another-address' }),
      expect.objectContaining({ topic: 'PRODUCTS_UPDATE', uri: ADDRESS, reason: 'unhandled-topic' }),
    ]);
    expect(admin.webhookSubscriptions(shop).filter((s) => s.uri === ELSEWHERE)).toHaveLength(1);
  });

  it('reports a subscription whose includeFields differ, without changing it', async () => {
    // Arrange
    await createAt('CUSTOMERS_UPDATE', ADDRESS, ['id']);

    // Act
    const report = await ensureSubscriptions(session, ADDRESS, ['customers/update']);

    // Assess
    expect(report.topics).toEqual([
      expect.objectContaining({ status: 'present', outdated: ['includeFields'] }),
    ]);
    expect(isComplete(report)).toBe(false);
    expect(admin.webhookSubscriptions(shop)[0]?.includeFields).toEqual(['id']);
  });

  it('finds its subscriptions beyond the first page of a hundred', async () => {
    // Arrange
    for (let n = 0; n < 105; n++) await createAt('ORDERS_CREATE', `https://other-${n}.example/hooks`);
    await createAt('ORDERS_CREATE', ADDRESS);

    // Act
    const report = await checkSubscriptions(session, ADDRESS, ['orders/create']);

    // Assess
    expect(report.topics).toEqual([expect.objectContaining({ status: 'present', outdated: [] })]);
    expect(report.others).toHaveLength(105);
    const lists = admin.calls.filter((c) => c.shop === shop && c.query.includes('webhookSubscriptions('));
    expect(lists.map((c) => (c.variables as { after: unknown }).after === null)).toEqual([true, false]);
  });
});

describe('checkSubscriptions', () => {
  it('reports missing topics and creates nothing', async () => {
    // Arrange
    await createAt('ORDERS_CREATE', ADDRESS);

    // Act
    const report = await checkSubscriptions(session, ADDRESS, HANDLED_TOPICS);

    // Assess
    expect(statuses(report.topics)).toMatchObject({
      'orders/create': 'present',
      'orders/updated': 'missing',
      'shop/redact': 'configured-in-app',
    });
    expect(isComplete(report)).toBe(false);
    expect(creations()).toBe(1);
  });
});

/** A body as Shopify sends it with `includeFields`: only the listed dotted paths, arrays kept as arrays. */
const trim = (value: unknown, paths: readonly string[]): unknown => {
  if (Array.isArray(value)) return value.map((item) => trim(item, paths));
  if (typeof value !== 'object' || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    const nested = paths.filter((p) => p.startsWith(`${name}.`)).map((p) => p.slice(name.length + 1));
    if (paths.includes(name)) kept[name] = field;
    else if (nested.length > 0) kept[name] = trim(field, nested);
  }
  return kept;
};

describe('the subscribed topics', () => {
  it('cover every topic the ingest function handles, the compliance topics aside', () => {
    expect(API_TOPICS.filter((topic) => !SUBSCRIBABLE_TOPICS.has(topic))).toEqual([]);
    expect(COMPLIANCE_TOPICS.every((topic) => HANDLED_TOPICS.includes(topic))).toBe(true);
  });

  it('keep what the payload schemas read wherever they trim a payload', () => {
    for (const [topic, { includeFields }] of SUBSCRIBABLE_TOPICS)
      if (includeFields)
        expect(includeFields, topic).toEqual(
          expect.arrayContaining(['id', 'updated_at', 'admin_graphql_api_id']),
        );
  });

  it('apply a trimmed customers/update body exactly as the full one, without its personal details', () => {
    // Arrange
    const full = {
      id: 7001,
      admin_graphql_api_id: 'gid://shopify/Customer/7001',
      email: 'ann@example.com',
      first_name: 'Ann',
      last_name: 'Example',
      phone: '+81312345678',
      note: 'likes rum baba',
      created_at: '2026-01-01T00:00:00+09:00',
      updated_at: '2026-11-03T09:00:00+09:00',
      addresses: [{ id: 1, address1: '1-1 Chiyoda', city: 'Tokyo', country_code: 'JP' }],
      default_address: {
        id: 1,
        address1: '1-1 Chiyoda',
        city: 'Tokyo',
        country_code: 'JP',
        province_code: 'JP-13',
      },
    };
    const includeFields = SUBSCRIBABLE_TOPICS.get('customers/update')?.includeFields ?? [];
    const trimmed = trim(full, includeFields);
    const parse = (body: unknown) =>
      parseWebhook({
        topic: 'customers/update',
        shop: 'subs.myshopify.com',
        body: Buffer.from(JSON.stringify(body)),
        triggeredAt: '2026-11-03T00:00:01.000Z',
        headerProblem: null,
      });

    // Act
    const fromTrimmed = parse(trimmed);

    // Assess
    expect(fromTrimmed).toEqual(parse(full));
    expect(fromTrimmed.kind).toBe('change');
    expect(JSON.stringify(trimmed)).not.toMatch(/Ann|Example|\+81|Chiyoda|Tokyo|rum baba/);
  });
});

/** The `[[webhooks.subscriptions]]` blocks of docs/shopify.app.toml: their string arrays, by key. */
const tomlSubscriptions = () => {
  const text = readFileSync(new URL('../../docs/shopify.app.toml', import.meta.url), 'utf8').replace(
    /#.*$/gm,
    '',
  );
  const [head = '', ...blocks] = text.split('[[webhooks.subscriptions]]');
  const arrays = (block: string): Record<string, string[]> =>
    Object.fromEntries(
      [...block.matchAll(/(\w+)\s*=\s*\[([^\]]*)\]/g)].map(([, key, list]) => [
        key,
        [...(list ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ''),
      ]),
    );
  return { apiVersion: /api_version\s*=\s*"([^"]+)"/.exec(head)?.[1], blocks: blocks.map(arrays) };
};

describe('docs/shopify.app.toml', () => {
  it('subscribes what the command subscribes, pinned to the project’s API version', () => {
    // Arrange
    const graphqlOf = (topic: string) => SUBSCRIBABLE_TOPICS.get(topic)?.graphqlTopic ?? `unknown ${topic}`;

    // Act
    const { apiVersion, blocks } = tomlSubscriptions();

    // Assess
    expect(apiVersion).toBe(SHOPIFY_API_VERSION);
    const subscribed = blocks.flatMap((b) =>
      (b.topics ?? []).map((topic) => [graphqlOf(topic), [...(b.include_fields ?? [])].sort()]),
    );
    const wanted = API_TOPICS.map((topic) => [
      graphqlOf(topic),
      [...(SUBSCRIBABLE_TOPICS.get(topic)?.includeFields ?? [])].sort(),
    ]);
    expect(subscribed.sort()).toEqual(wanted.sort());
    expect(blocks.flatMap((b) => b.compliance_topics ?? []).sort()).toEqual([...COMPLIANCE_TOPICS].sort());
  });
});
