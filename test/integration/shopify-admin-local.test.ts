import { createAdminApiClient } from '@shopify/admin-api-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import type { BulkFinishPayload } from '../../local/shopify-admin/bulk.ts';
import { demoHistoryJsonl } from '../../local/shopify-admin/demo-history.ts';
import { ShopifyAdminLocal } from '../../local/shopify-admin/server.ts';

// The Admin API stand-in alone, over HTTP, on a clock the test moves.
const DEMO = 'bakery-demo.myshopify.com';
const LEGACY = 'legacy.myshopify.com';
const STATIC_TOKEN = 'shpat_static_legacy';
const APP = { clientId: 'client-demo', clientSecret: 'secret-demo' };
const NOW = Date.parse('2026-06-01T12:00:00Z');
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';

let clock = NOW;
let admin: ShopifyAdminLocal;
let origin: string;
const history = demoHistoryJsonl({ now: NOW });
const historyLines = history.trim().split('\n');
const finished: { shop: string; payload: BulkFinishPayload }[] = [];

type Answer = { status: number; body: Record<string, unknown>; headers: Headers };
type Cost = {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
};

const url = (shop: string, path: string) => `${origin.replace('{shop}', shop)}${path}`;

const requestToken = async (shop: string, params: Record<string, string>, as: 'form' | 'json' = 'form') => {
  const response = await fetch(url(shop, '/admin/oauth/access_token'), {
    method: 'POST',
    headers: { 'content-type': as === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: as === 'form' ? new URLSearchParams(params).toString() : JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const grant = async (shop = DEMO) => {
  const { body } = await requestToken(shop, {
    grant_type: 'client_credentials',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
  });
  return String(body.access_token);
};

const graphql = async (
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  { shop = DEMO, version = SHOPIFY_API_VERSION } = {},
): Promise<Answer> => {
  const response = await fetch(url(shop, `/admin/api/${version}/graphql.json`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
};

const dataOf = <T>(answer: Answer): T => {
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data as T;
};
const costOf = (answer: Answer) => (answer.body.extensions as { cost: Cost }).cost;

const RUN_BULK = `mutation run($query: String!, $group: Boolean) {
  bulkOperationRunQuery(query: $query, groupObjects: $group) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`;
const POLL = `query poll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount rootObjectCount url partialDataUrl createdAt completedAt }
  }
}`;
const ORDERS_BULK = `{ orders { edges { node {
  id updatedAt totalPriceSet { shopMoney { amount currencyCode } } customer { id }
  refunds { id createdAt }
  lineItems { edges { node { id quantity sku product { id } } } }
} } } }`;
const CUSTOMERS_BULK = '{ customers { edges { node { id email updatedAt } } } }';

type Started = {
  bulkOperationRunQuery: {
    bulkOperation: { id: string; status: string } | null;
    userErrors: { code: string; message: string }[];
  };
};
type Polled = {
  node: {
    id: string;
    status: string;
    errorCode: string | null;
    objectCount: string;
    rootObjectCount: string;
    url: string | null;
    partialDataUrl: string | null;
    completedAt: string | null;
  };
};

const runBulk = async (token: string, query: string, options: { version?: string; group?: boolean } = {}) =>
  dataOf<Started>(
    await graphql(
      token,
      RUN_BULK,
      { query, ...(options.group === undefined ? {} : { group: options.group }) },
      options,
    ),
  ).bulkOperationRunQuery;

const poll = async (token: string, id: string, version = SHOPIFY_API_VERSION) =>
  dataOf<Polled>(await graphql(token, POLL, { id }, { version })).node;

const download = async (fileUrl: string) => {
  const response = await fetch(fileUrl);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

beforeAll(async () => {
  ({ admin, origin } = await ShopifyAdminLocal.start(
    { [LEGACY]: STATIC_TOKEN },
    { apps: { [DEMO]: APP }, now: () => clock, bulkStepMs: 60_000 },
  ));
  admin.onBulkOperationFinish = (shop, payload) => finished.push({ shop, payload });
  admin.loadHistory(DEMO, history);
});
afterAll(() => admin?.stop());
beforeEach(() => {
  clock += 3600_000; // a fresh hour: full cost buckets, any running bulk operation finished by time
});

describe('client-credentials grant', () => {
  it.each(['form', 'json'] as const)('answers a %s request with a token that opens GraphQL', async (as) => {
    // Arrange
    const params = {
      grant_type: 'client_credentials',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
    };

    // Act
    const { status, body } = await requestToken(DEMO, params, as);

    // Assess
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^shpat_/),
      scope: expect.any(String),
      expires_in: 86399,
    });
    const answer = await graphql(String(body.access_token), '{ currentBulkOperation { id } }');
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a wrong secret', { client_secret: 'nope' }, 401, 'invalid_client'],
    ['an unknown client', { client_id: 'someone-else' }, 401, 'invalid_client'],
    ['another grant type', { grant_type: 'authorization_code' }, 400, 'unsupported_grant_type'],
    ['no secret', { client_secret: undefined }, 400, 'invalid_request'],
  ])('refuses %s', async (_name, change: Record<string, string | undefined>, status, error) => {
    const base = {
      grant_type: 'client_credentials',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
    };
    const params = Object.fromEntries(
      Object.entries({ ...base, ...change }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );

    expect(await requestToken(DEMO, params)).toMatchObject({ status, body: { error } });
  });

  it('refuses a shop where the app is not installed', async () => {
    const params = {
      grant_type: 'client_credentials',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
    };

    expect((await requestToken(LEGACY, params)).status).toBe(401);
  });

  it("expires a token after 86,399 s on the stand-in's clock, like an unknown one", async () => {
    // Arrange
    const token = await grant();
    const query = '{ currentBulkOperation { id } }';

    // Act
    clock += 86_398_000;
    const justBefore = await graphql(token, query);
    clock += 2_000;
    const after = await graphql(token, query);
    const unknown = await graphql('shpat_unknown', query);

    // Assess
    expect(justBefore.status).toBe(200);
    expect(after).toMatchObject({ status: 401, body: { errors: INVALID_TOKEN } });
    expect(unknown).toMatchObject({ status: 401, body: { errors: INVALID_TOKEN } });
  });

  it("keeps a legacy shop's static token working, and only for its shop", async () => {
    const mutation = `mutation consent($input: CustomerEmailMarketingConsentUpdateInput!) {
      customerEmailMarketingConsentUpdate(input: $input) { customer { id } userErrors { field message code } }
    }`;
    const input = {
      customerId: 'gid://shopify/Customer/7001',
      emailMarketingConsent: { marketingState: 'UNSUBSCRIBED' },
    };

    const answer = await graphql(STATIC_TOKEN, mutation, { input }, { shop: LEGACY });
    const elsewhere = await graphql(STATIC_TOKEN, mutation, { input }, { shop: DEMO });

    expect(dataOf(answer)).toEqual({
      customerEmailMarketingConsentUpdate: {
        customer: { id: 'gid://shopify/Customer/7001' },
        userErrors: [],
      },
    });
    expect(elsewhere.status).toBe(401);
    expect(admin.calls.at(-1)).toMatchObject({
      shop: LEGACY,
      apiVersion: SHOPIFY_API_VERSION,
      variables: { input },
    });
  });
});

describe('bulk query operations', () => {
  it('goes CREATED → RUNNING → COMPLETED over polls and serves the orders JSONL as loaded', async () => {
    // Arrange
    const token = await grant();
    const orderLines = historyLines.filter((line) => !line.startsWith('{"id":"gid://shopify/Customer/'));

    // Act
    const started = await runBulk(token, ORDERS_BULK, { group: true });
    const id = started.bulkOperation?.id ?? '';
    const first = await poll(token, id);
    const second = await poll(token, id);
    const file = await download(second.url ?? '');

    // Assess
    expect(started).toEqual({
      bulkOperation: {
        id: expect.stringMatching(/^gid:\/\/shopify\/BulkOperation\/\d+$/),
        status: 'CREATED',
      },
      userErrors: [],
    });
    expect(first.status).toBe('RUNNING');
    expect(second).toMatchObject({
      status: 'COMPLETED',
      errorCode: null,
      objectCount: String(orderLines.length),
      rootObjectCount: '1000',
      partialDataUrl: null,
      completedAt: expect.any(String),
    });
    expect(file.status).toBe(200);
    expect(file.type).toBe('application/jsonl');
    expect(file.text).toBe(`${orderLines.join('\n')}\n`);
  });

  it('serves customer lines for a customers query, and is the current operation', async () => {
    const token = await grant();

    const started = await runBulk(token, CUSTOMERS_BULK);
    admin.finishBulkOperations(DEMO);
    const current = dataOf<{ currentBulkOperation: { id: string; status: string; url: string } }>(
      await graphql(token, '{ currentBulkOperation(type: QUERY) { id status url } }'),
    ).currentBulkOperation;

    expect(current).toMatchObject({ id: started.bulkOperation?.id, status: 'COMPLETED' });
    const file = await download(current.url);
    expect(file.text.trim().split('\n')).toEqual(historyLines.slice(0, 300));
  });

  it('finishes with time alone and hands the bulk_operations/finish payload to the hook', async () => {
    // Arrange
    const token = await grant();
    const started = await runBulk(token, CUSTOMERS_BULK);
    const id = started.bulkOperation?.id ?? '';

    // Act: two steps of clock time, then any request lets the stand-in notice.
    clock += 120_000;
    await graphql(token, '{ currentBulkOperation { id } }');

    // Assess
    expect(finished.at(-1)).toEqual({
      shop: DEMO,
      payload: {
        admin_graphql_api_id: id,
        status: 'completed',
        error_code: null,
        type: 'query',
        created_at: expect.any(String),
        completed_at: new Date(clock).toISOString(),
      },
    });
  });

  it.each([
    ['TIMEOUT', true],
    ['ACCESS_DENIED', false],
    ['INTERNAL_SERVER_ERROR', true],
  ] as const)('fails with %s when told to (partial data: %s)', async (errorCode, partial) => {
    // Arrange
    const token = await grant();
    admin.failNextBulk(DEMO, errorCode, partial);

    // Act
    const started = await runBulk(token, CUSTOMERS_BULK);
    admin.finishBulkOperations(DEMO);
    const polled = await poll(token, started.bulkOperation?.id ?? '');

    // Assess
    expect(polled).toMatchObject({ status: 'FAILED', errorCode, url: null, completedAt: null });
    expect(finished.at(-1)?.payload).toMatchObject({ status: 'failed', error_code: errorCode.toLowerCase() });
    if (partial) {
      const file = await download(polled.partialDataUrl ?? '');
      expect(file.text.trim().split('\n')).toEqual(historyLines.slice(0, 150));
      expect(polled.objectCount).toBe('150');
    } else {
      expect(polled).toMatchObject({ partialDataUrl: null, objectCount: '0' });
    }
  });

  it('runs one bulk query at a time per shop before 2026-01, five from 2026-01', async () => {
    // Arrange
    const token = await grant();

    // Act
    const first = await runBulk(token, CUSTOMERS_BULK, { version: '2025-10' });
    const second = await runBulk(token, CUSTOMERS_BULK, { version: '2025-10' });
    admin.finishBulkOperations(DEMO);
    const five = [];
    for (let i = 0; i < 5; i++) five.push(await runBulk(token, CUSTOMERS_BULK, { version: '2026-01' }));
    const sixth = await runBulk(token, CUSTOMERS_BULK, { version: '2026-01' });
    admin.finishBulkOperations(DEMO);

    // Assess
    expect(first.userErrors).toEqual([]);
    expect(second).toMatchObject({
      bulkOperation: null,
      userErrors: [
        { code: 'OPERATION_IN_PROGRESS', message: expect.stringContaining(first.bulkOperation?.id ?? '') },
      ],
    });
    expect(five.every((run) => run.userErrors.length === 0)).toBe(true);
    expect(sixth).toMatchObject({ bulkOperation: null, userErrors: [{ code: 'LIMIT_REACHED' }] });
  });

  it('filters by updated_at, leaves line items out when not selected, and ungroups from 2026-01', async () => {
    // Arrange
    const token = await grant();
    const since = '2026-05-01T00:00:00Z';
    const recent = historyLines.filter(
      (line) =>
        line.startsWith('{"id":"gid://shopify/Order/') &&
        (JSON.parse(line) as { updatedAt: string }).updatedAt > since,
    );

    // Act
    const plain = await runBulk(
      token,
      `{ orders(query: "updated_at:>'${since}'") { edges { node { id } } } }`,
    );
    admin.finishBulkOperations(DEMO);
    const plainFile = await download((await poll(token, plain.bulkOperation?.id ?? '')).url ?? '');
    const ungrouped = await runBulk(token, ORDERS_BULK, { version: '2026-01' });
    admin.finishBulkOperations(DEMO);
    const ungroupedFile = await download(
      (await poll(token, ungrouped.bulkOperation?.id ?? '', '2026-01')).url ?? '',
    );

    // Assess
    expect(plainFile.text.trim().split('\n')).toEqual(recent);
    const kinds = ungroupedFile.text
      .trim()
      .split('\n')
      .map((line) => (line.includes('"__parentId"') ? 'child' : 'order'));
    expect(kinds.indexOf('child')).toBe(1000);
    expect(kinds.lastIndexOf('order')).toBe(999);
  });

  it.each([
    ['another resource', '{ products { edges { node { id } } } }'],
    ['two roots', '{ orders { edges { node { id } } } customers { edges { node { id } } } }'],
    ['bad syntax', '{ orders { edges '],
    ['an unsupported search', '{ orders(query: "tag:vip") { edges { node { id } } } }'],
  ])('refuses %s with an INVALID user error', async (_name, query) => {
    const token = await grant();

    const answer = await runBulk(token, query);

    expect(answer).toMatchObject({ bulkOperation: null, userErrors: [{ code: 'INVALID' }] });
  });
});

describe('paged reconciliation queries', () => {
  const PAGE = `query page($after: String, $since: String!) {
    orders(first: 40, after: $after, query: $since, sortKey: UPDATED_AT) {
      edges { cursor node { id updatedAt customer { id } lineItems(first: 10) { edges { node { id sku quantity } } } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  type Page = {
    orders: {
      edges: {
        cursor: string;
        node: { id: string; updatedAt: string; lineItems: { edges: { node: { id: string } }[] } };
      }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };

  const readAll = async (token: string, since: string) => {
    const nodes: Page['orders']['edges'][number]['node'][] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const answer = await graphql(token, PAGE, { after, since: `updated_at:>'${since}'` });
      if (JSON.stringify(answer.body.errors ?? []).includes('THROTTLED')) {
        clock += 5_000; // back off as a client would, on the stand-in's clock
        continue;
      }
      const data = dataOf<Page>(answer);
      nodes.push(...data.orders.edges.map((edge) => edge.node));
      if (!data.orders.pageInfo.hasNextPage) break;
      after = data.orders.pageInfo.endCursor;
    }
    return nodes;
  };

  it('pages orders updated since a time in updated order, each once, with their line items', async () => {
    // Arrange
    const token = await grant();
    const since = '2026-03-01T00:00:00Z';
    const expected = historyLines
      .filter((line) => line.startsWith('{"id":"gid://shopify/Order/'))
      .map((line) => JSON.parse(line) as { id: string; updatedAt: string })
      .filter((order) => order.updatedAt > since);
    const itemsOf = (orderId: string) =>
      historyLines
        .filter((line) => line.includes(`"__parentId":"${orderId}"`))
        .map((line) => (JSON.parse(line) as { id: string }).id);

    // Act
    const nodes = await readAll(token, since);

    // Assess
    expect(nodes.map((n) => n.id).sort()).toEqual(expected.map((o) => o.id).sort());
    expect(nodes.map((n) => n.updatedAt)).toEqual(nodes.map((n) => n.updatedAt).sort());
    for (const node of nodes.slice(0, 20))
      expect(node.lineItems.edges.map((e) => e.node.id)).toEqual(itemsOf(node.id));
  });

  it('finds an order added later on the next reconciliation, its big numbers exact', async () => {
    // Arrange
    const token = await grant();
    const updatedAt = new Date(clock).toISOString();
    admin.addOrder(
      DEMO,
      `{"id":"gid://shopify/Order/9100000000001","updatedAt":"${updatedAt}","legacyResourceId":9100000000000000001,"customer":{"id":"gid://shopify/Customer/7208000000001"}}`,
      [{ id: 'gid://shopify/LineItem/9100000000011', sku: 'RB-001', quantity: 2 }],
    );

    // Act
    const nodes = await readAll(token, new Date(clock - 1000).toISOString());
    const raw = await fetch(url(DEMO, `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
      body: JSON.stringify({
        query: '{ order(id: "gid://shopify/Order/9100000000001") { legacyResourceId } }',
      }),
    });

    // Assess
    expect(nodes.map((n) => n.id)).toEqual(['gid://shopify/Order/9100000000001']);
    expect(nodes[0]?.lineItems.edges).toEqual([
      { node: { id: 'gid://shopify/LineItem/9100000000011', sku: 'RB-001', quantity: 2 } },
    ]);
    expect(await raw.text()).toContain('"legacyResourceId":9100000000000000001');
  });

  it('pages customers by id with nodes, aliases and __typename', async () => {
    const token = await grant();
    const query = `{ first: customers(first: 2) { nodes { __typename id consent: emailMarketingConsent { marketingState } } pageInfo { hasNextPage } } }`;

    const data = dataOf<{
      first: { nodes: { __typename: string; id: string; consent: unknown }[]; pageInfo: unknown };
    }>(await graphql(token, query));

    expect(data.first.nodes.map((n) => n.id)).toEqual([
      'gid://shopify/Customer/7208000000001',
      'gid://shopify/Customer/7208000000002',
    ]);
    expect(data.first.nodes[0]).toMatchObject({
      __typename: 'Customer',
      consent: { marketingState: expect.any(String) },
    });
    expect(data.first.pageInfo).toEqual({ hasNextPage: true });
  });

  it('answers an unknown field the way Shopify does', async () => {
    const token = await grant();

    const answer = await graphql(token, '{ ordersSince { id } }');

    expect(answer.status).toBe(200);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        message: "Field 'ordersSince' doesn't exist on type 'QueryRoot'",
        extensions: { code: 'undefinedField', typeName: 'QueryRoot', fieldName: 'ordersSince' },
      }),
    ]);
  });
});

describe('webhook subscriptions', () => {
  const CREATE = `mutation create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
    webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
      webhookSubscription { id topic uri format includeFields }
      userErrors { field message }
    }
  }`;
  const LIST = '{ webhookSubscriptions(first: 50) { edges { node { id topic uri } } } }';
  type Created = {
    webhookSubscriptionCreate: {
      webhookSubscription: { id: string } | null;
      userErrors: { field: string[]; message: string }[];
    };
  };
  const create = async (token: string, topic: string, uri: string) =>
    dataOf<Created>(
      await graphql(token, CREATE, {
        topic,
        sub: { uri, format: 'JSON', includeFields: ['id', 'updated_at'] },
      }),
    ).webhookSubscriptionCreate;
  const list = async (token: string) =>
    dataOf<{ webhookSubscriptions: { edges: { node: { topic: string; uri: string } }[] } }>(
      await graphql(token, LIST),
    ).webhookSubscriptions.edges.map((e) => e.node);

  it('creates, lists, refuses a duplicate topic and address, deletes, and loses one Shopify removed', async () => {
    // Arrange
    const token = await grant();
    const arn = 'arn:aws:events:ap-northeast-1::event-source/aws.partner/shopify.com/123/loyalty-loop';

    // Act
    const orders = await create(token, 'ORDERS_CREATE', 'https://hooks.example.com/shopify');
    const duplicate = await create(token, 'ORDERS_CREATE', 'https://hooks.example.com/shopify');
    const plainHttp = await create(token, 'ORDERS_UPDATED', 'http://hooks.example.com/shopify');
    const bridge = await create(token, 'CUSTOMERS_UPDATE', arn);
    const refunds = await create(token, 'REFUNDS_CREATE', 'https://hooks.example.com/shopify');
    const listed = await list(token);
    const deleted = await graphql(
      token,
      'mutation del($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }',
      { id: refunds.webhookSubscription?.id },
    );
    const removed = admin.removeSubscription(DEMO, 'CUSTOMERS_UPDATE');

    // Assess
    expect(orders.userErrors).toEqual([]);
    expect(duplicate).toEqual({
      webhookSubscription: null,
      userErrors: [
        { field: ['webhookSubscription', 'uri'], message: 'Address for this topic has already been taken' },
      ],
    });
    expect(plainHttp.userErrors[0]?.message).toMatch(/http/);
    expect(bridge.userErrors).toEqual([]);
    expect(listed.map((s) => s.topic)).toEqual(['ORDERS_CREATE', 'CUSTOMERS_UPDATE', 'REFUNDS_CREATE']);
    expect(dataOf(deleted)).toEqual({
      webhookSubscriptionDelete: {
        deletedWebhookSubscriptionId: refunds.webhookSubscription?.id,
        userErrors: [],
      },
    });
    expect(removed).toBe(1);
    expect(await list(token)).toEqual([
      {
        id: orders.webhookSubscription?.id,
        topic: 'ORDERS_CREATE',
        uri: 'https://hooks.example.com/shopify',
      },
    ]);
  });
});

describe('cost-based throttling', () => {
  const SMALL = '{ orders(first: 10) { edges { node { id } } } }';

  it('reports the cost and the bucket on every answer, the bucket spent by the actual cost', async () => {
    const token = await grant();

    const first = costOf(await graphql(token, SMALL));
    const second = costOf(await graphql(token, SMALL));

    expect(first).toEqual({
      requestedQueryCost: 12,
      actualQueryCost: 12,
      throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 988, restoreRate: 50 },
    });
    expect(second.throttleStatus.currentlyAvailable).toBe(976);
  });

  it('answers THROTTLED (HTTP 200) when the bucket is short, and runs again once restored', async () => {
    // Arrange
    const token = await grant();
    admin.drainBucket(DEMO);

    // Act
    const throttled = await graphql(token, SMALL);
    clock += 1_000;
    const restored = await graphql(token, SMALL);

    // Assess
    expect(throttled.status).toBe(200);
    expect(throttled.body.data).toBeUndefined();
    expect(throttled.body.errors).toEqual([
      {
        message: 'Throttled',
        extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
      },
    ]);
    expect(costOf(throttled)).toMatchObject({ requestedQueryCost: 12, actualQueryCost: null });
    expect(costOf(restored)).toMatchObject({
      actualQueryCost: 12,
      throttleStatus: { currentlyAvailable: 38 },
    });
  });

  it('throttles the next n requests when told to, whatever the bucket holds', async () => {
    const token = await grant();
    admin.throttleNext(DEMO, 2);

    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push(
        ((await graphql(token, SMALL)).body.errors as { extensions: { code: string } }[] | undefined)?.[0]
          ?.extensions.code ?? 'ok',
      );

    expect(codes).toEqual(['THROTTLED', 'THROTTLED', 'ok']);
  });

  it('answers HTTP 429 with Retry-After for the next n requests when told to', async () => {
    const token = await grant();
    admin.tooManyRequestsNext(DEMO, 1, 2);

    const refused = await graphql(token, SMALL);
    const next = await graphql(token, SMALL);

    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(next.status).toBe(200);
  });

  it('lets @shopify/admin-api-client retry a 429 and get its answer', async () => {
    // Arrange: the library builds https://{shop}/admin/api/...; point it at the stand-in.
    const token = await grant();
    const statuses: number[] = [];
    const client = createAdminApiClient({
      storeDomain: DEMO,
      apiVersion: SHOPIFY_API_VERSION,
      accessToken: token,
      retries: 1,
      customFetchApi: async (target: string, init?: RequestInit) => {
        const response = await fetch(target.replace(`https://${DEMO}`, origin.replace('{shop}', DEMO)), init);
        statuses.push(response.status);
        return response;
      },
    });
    admin.tooManyRequestsNext(DEMO, 1, 1);

    // Act
    const { data, errors } = await client.request(SMALL);

    // Assess
    expect(statuses).toEqual([429, 200]);
    expect(errors).toBeUndefined();
    expect((data as { orders: { edges: unknown[] } }).orders.edges).toHaveLength(10);
  });

  it('refuses a query costing more than the bucket holds at all', async () => {
    const token = await grant();

    const answer = await graphql(
      token,
      '{ orders(first: 250) { edges { node { lineItems(first: 250) { edges { node { id } } } } } } }',
    );

    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'MAX_COST_EXCEEDED', cost: 2 + 250 * (1 + 2 + 250), maxCost: 1000 },
      }),
    ]);
  });
});
