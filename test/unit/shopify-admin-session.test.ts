import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { unsubscribeInShopify } from '#adapters/shopify/admin.ts';
import { throttleWaitMs } from '#adapters/shopify/admin-answer.ts';
import { type AdminCredentials, adminCredentials } from '#adapters/shopify/admin-credentials.ts';
import { ShopifyAccessError, ShopifyQueryError, ShopifyUnavailable } from '#adapters/shopify/admin-errors.ts';
import {
  type AdminSession,
  type AdminSessionOptions,
  createAdminSessions,
} from '#adapters/shopify/admin-session.ts';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import { costExtensions, FakeShopify, jsonAnswer, throttledAnswer } from '../support/shopify-admin-fetch.ts';

const SHOP = 'bakery-demo.myshopify.com';
const APP: AdminCredentials = {
  kind: 'client-credentials',
  clientId: 'app-id',
  clientSecret: 'app-secret-value',
};
const STATIC: AdminCredentials = { kind: 'access-token', accessToken: 'shpat_static' };
const QUERY = 'query { shop { id } }';
const T0 = Date.parse('2026-12-01T00:00:00Z');

/** A shop's session over the fake Shopify, a clock the test moves, and the waits it was asked for. */
const setup = (credentials: AdminCredentials | null = APP, options: Partial<AdminSessionOptions> = {}) => {
  const shopify = new FakeShopify();
  const clock = { now: T0 };
  const waits: number[] = [];
  let current = credentials;
  const sessions = createAdminSessions(async () => current, {
    origin: 'http://127.0.0.1:9/{shop}',
    fetch: shopify.fetch,
    now: () => clock.now,
    sleep: async (ms) => {
      waits.push(ms);
      clock.now += ms;
    },
    retries: 0,
    ...options,
  });
  const session = async (): Promise<AdminSession> => {
    const found = await sessions.forShop(SHOP);
    if (!found) throw new Error('no session');
    return found;
  };
  return {
    shopify,
    clock,
    waits,
    sessions,
    session,
    setCredentials: (next: AdminCredentials | null) => {
      current = next;
    },
  };
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

describe('the ShopifyAdminTokens secret', () => {
  const secret = JSON.stringify({
    'legacy.myshopify.com': 'shpat_abc',
    'own.myshopify.com': { clientId: 'id-1', clientSecret: 'secret-1' },
  });

  it.each([
    ['legacy.myshopify.com', { kind: 'access-token', accessToken: 'shpat_abc' }],
    ['own.myshopify.com', { kind: 'client-credentials', clientId: 'id-1', clientSecret: 'secret-1' }],
    ['other.myshopify.com', null],
    ['constructor', null],
  ])('gives %s its credentials (a token string, client credentials, or none)', (shop, expected) => {
    expect(adminCredentials(secret, shop)).toEqual(expected);
  });

  it.each([
    ['a plain token', 'shpat_topsecret', /must be a JSON object/],
    [
      'client credentials without a secret',
      '{"a.myshopify.com":{"clientId":"shpat_topsecret"}}',
      /a\.myshopify\.com/,
    ],
    ['a key that is no shop domain', '{"shpat_topsecret":"x"}', /shop domain/],
    ['a key that is no shop domain, of a bad value', '{"shpat_topsecret":{"clientId":"x"}}', /shop domain/],
    ['an empty token', '{"a.myshopify.com":""}', /a\.myshopify\.com/],
    ['broken JSON', '{"a.myshopify.com":"shpat_topsecret"', /not JSON/],
  ])('refuses %s with an error that quotes no secret', (_, value, message) => {
    const error = rejectionSync(() => adminCredentials(value, 'a.myshopify.com'));

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('shpat_topsecret');
  });
});

const rejectionSync = (fn: () => unknown): unknown => {
  try {
    fn();
    return null;
  } catch (error) {
    return error;
  }
};

describe('an Admin session with client credentials', () => {
  it('gets a token by the client-credentials grant and calls the pinned version with it', async () => {
    const { shopify, session } = setup();

    const result = await (await session()).request(QUERY, { id: 1 });

    expect(result).toEqual({ data: { ok: true }, cost: costExtensions().cost });
    const [grant, query] = shopify.calls;
    expect(grant).toMatchObject({
      kind: 'grant',
      url: `http://127.0.0.1:9/${SHOP}/admin/oauth/access_token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(Object.fromEntries(new URLSearchParams(grant?.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app-id',
      client_secret: 'app-secret-value',
    });
    expect(query).toMatchObject({
      url: `http://127.0.0.1:9/${SHOP}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
      headers: { 'x-shopify-access-token': 'token-1' },
    });
    expect(JSON.parse(query?.body ?? '')).toEqual({ query: QUERY, variables: { id: 1 } });
  });

  it('reuses the token until 5 minutes before it expires, then renews it', async () => {
    const { shopify, clock, session } = setup();
    await (await session()).request(QUERY);

    clock.now = T0 + 86_399_000 - 300_000 - 1;
    await (await session()).request(QUERY);
    clock.now += 1;
    await (await session()).request(QUERY);

    expect(shopify.grants).toHaveLength(2);
    expect(shopify.queries.map((q) => q.headers['x-shopify-access-token'])).toEqual([
      'token-1',
      'token-1',
      'token-2',
    ]);
  });

  it('asks for one token when calls for the shop start together', async () => {
    const { shopify, session } = setup();
    const s = await session();

    await Promise.all([s.request(QUERY), s.request(QUERY), s.request(QUERY)]);

    expect(shopify.grants).toHaveLength(1);
    expect(shopify.queries).toHaveLength(3);
  });

  it('renews the token once on a 401 and retries the call once', async () => {
    const { shopify, session } = setup();
    shopify.answers.push(() => jsonAnswer(401, { errors: '[API] Invalid API key or access token' }));

    const result = await (await session()).request(QUERY);
    await (await session()).request(QUERY);

    expect(result.data).toEqual({ ok: true });
    expect(shopify.grants).toHaveLength(2);
    expect(shopify.queries.map((q) => q.headers['x-shopify-access-token'])).toEqual([
      'token-1',
      'token-2',
      'token-2',
    ]);
  });

  it('gives up with token-rejected when the renewed token is refused too', async () => {
    const { shopify, session } = setup();
    const unauthorized = () => jsonAnswer(401, { errors: '[API] Invalid API key or access token' });
    shopify.answers.push(unauthorized, unauthorized);

    const error = await rejection((await session()).request(QUERY));

    expect(error).toBeInstanceOf(ShopifyAccessError);
    expect(error).toMatchObject({ shop: SHOP, reason: 'token-rejected', status: 401 });
    expect(shopify.grants).toHaveLength(2);
    expect(shopify.queries).toHaveLength(2);
  });

  it('reports a refused grant as credentials-rejected, without quoting the client secret', async () => {
    const { shopify, session } = setup();
    shopify.grant = () =>
      jsonAnswer(400, {
        error: 'invalid_client',
        error_description: 'Client authentication failed app-secret-value',
      });

    const error = await rejection((await session()).request(QUERY));

    expect(error).toBeInstanceOf(ShopifyAccessError);
    expect(error).toMatchObject({ reason: 'credentials-rejected', status: 400 });
    expect((error as Error).message).toContain('invalid_client');
    expect((error as Error).message).not.toContain('app-secret-value');
    expect(shopify.queries).toHaveLength(0);
  });

  it('asks for a new grant on the next call after a failed one', async () => {
    const { shopify, session } = setup();
    shopify.grant = (n) =>
      n === 1
        ? jsonAnswer(503, {})
        : jsonAnswer(200, { access_token: 'token-ok', scope: '', expires_in: 86_399 });

    const first = await rejection((await session()).request(QUERY));
    const second = await (await session()).request(QUERY);

    expect(first).toBeInstanceOf(ShopifyUnavailable);
    expect(second.data).toEqual({ ok: true });
    expect(shopify.queries[0]?.headers['x-shopify-access-token']).toBe('token-ok');
  });

  it('uses new credentials as soon as the secret holds them', async () => {
    const { shopify, session, setCredentials } = setup(STATIC);
    await (await session()).request(QUERY);

    setCredentials({ kind: 'access-token', accessToken: 'shpat_rotated' });
    await (await session()).request(QUERY);

    expect(shopify.queries.map((q) => q.headers['x-shopify-access-token'])).toEqual([
      'shpat_static',
      'shpat_rotated',
    ]);
  });
});

describe('an Admin session with a static shpat_ token', () => {
  it('calls with the token as it is, never asking for a grant', async () => {
    const { shopify, session } = setup(STATIC, { origin: 'https://{shop}' });

    await (await session()).request(QUERY);

    expect(shopify.grants).toHaveLength(0);
    expect(shopify.queries[0]).toMatchObject({
      url: `https://${SHOP}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`,
      headers: { 'x-shopify-access-token': 'shpat_static' },
    });
  });

  it('reports a 401 as token-rejected at once: a static token cannot be renewed', async () => {
    const { shopify, session } = setup(STATIC);
    shopify.answers.push(() => jsonAnswer(401, { errors: '[API] Invalid API key or access token' }));

    const error = await rejection((await session()).request(QUERY));

    expect(error).toMatchObject({ name: 'ShopifyAccessError', reason: 'token-rejected' });
    expect((error as Error).message).not.toContain('shpat_static');
    expect(shopify.queries).toHaveLength(1);
  });

  it('gives no session to a shop without credentials', async () => {
    const { sessions } = setup(null);

    expect(await sessions.forShop(SHOP)).toBeNull();
  });
});

describe('Shopify refusing or failing a call', () => {
  it.each([
    [402, 'shop-unavailable'],
    [403, 'scope-missing'],
    [404, 'shop-unavailable'],
    [423, 'shop-unavailable'],
  ])('answers %i with ShopifyAccessError %s', async (status, reason) => {
    const { shopify, session } = setup(STATIC);
    shopify.answers.push(() => jsonAnswer(status, { errors: 'refused' }));

    expect(await rejection((await session()).request(QUERY))).toMatchObject({
      name: 'ShopifyAccessError',
      reason,
      status,
    });
  });

  it('reports a missing access scope (ACCESS_DENIED) with the scope Shopify names', async () => {
    const { shopify, session } = setup(STATIC);
    const message =
      'Access denied for customerEmailMarketingConsentUpdate field. Required access: `write_customers` access scope.';
    shopify.answers.push(() =>
      jsonAnswer(200, {
        data: null,
        errors: [
          {
            message,
            extensions: { code: 'ACCESS_DENIED', requiredAccess: '`write_customers` access scope.' },
          },
        ],
      }),
    );

    const error = await rejection((await session()).request(QUERY));

    expect(error).toMatchObject({ name: 'ShopifyAccessError', reason: 'scope-missing' });
    expect((error as Error).message).toContain('write_customers');
  });

  it.each([
    ['a 500 after the retries', () => jsonAnswer(500, {})],
    ['a 429 after the retries', () => jsonAnswer(429, {})],
    [
      'an internal GraphQL error',
      () =>
        jsonAnswer(200, {
          errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        }),
    ],
    [
      'an answer that is not JSON',
      () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    ],
  ])('throws ShopifyUnavailable for %s', async (_, answer) => {
    const { shopify, session } = setup(STATIC);
    shopify.answers.push(answer);

    expect(await rejection((await session()).request(QUERY))).toBeInstanceOf(ShopifyUnavailable);
  });

  it('throws ShopifyUnavailable when Shopify cannot be reached', async () => {
    const { shopify, session } = setup(STATIC);
    shopify.unreachable = true;

    expect(await rejection((await session()).request(QUERY))).toBeInstanceOf(ShopifyUnavailable);
  });

  it('throws ShopifyQueryError with Shopify’s messages for a wrong query', async () => {
    const { shopify, session } = setup(STATIC);
    shopify.answers.push(() =>
      jsonAnswer(200, { errors: [{ message: "Field 'shopp' doesn't exist on type 'QueryRoot'" }] }),
    );

    const error = await rejection((await session()).request(QUERY));

    expect(error).toBeInstanceOf(ShopifyQueryError);
    expect((error as ShopifyQueryError).messages).toEqual([
      "Field 'shopp' doesn't exist on type 'QueryRoot'",
    ]);
  });

  it('has the client library wait a 429’s Retry-After in seconds, as Shopify means it', async () => {
    const { shopify, session } = setup(STATIC, { retries: 1 });
    shopify.answers.push(
      () =>
        new Response('{}', {
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '0.3' },
        }),
    );
    const started = performance.now();

    const result = await (await session()).request(QUERY);

    expect(result.data).toEqual({ ok: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(shopify.queries).toHaveLength(2);
  });

  it('lets the client library retry a 503 itself', async () => {
    const { shopify, session } = setup(STATIC, { retries: 1 });
    shopify.answers.push(() => jsonAnswer(503, {}));

    const result = await (await session()).request(QUERY);

    expect(result.data).toEqual({ ok: true });
    expect(shopify.queries).toHaveLength(2);
  });
});

describe('throttling (THROTTLED answers, HTTP 200)', () => {
  it('waits until the bucket has restored the points the query asked for, then retries', async () => {
    const { shopify, session, waits } = setup(STATIC);
    shopify.answers.push(
      () => throttledAnswer({ requested: 302, available: 2, restoreRate: 100 }),
      () => throttledAnswer({ requested: 302, available: 252, restoreRate: 100 }),
    );

    const result = await (await session()).request(QUERY);

    expect(result.data).toEqual({ ok: true });
    expect(waits).toEqual([3000, 500]);
    expect(shopify.queries).toHaveLength(3);
  });

  it('throws ShopifyUnavailable rather than wait longer than its budget', async () => {
    const { shopify, session, waits } = setup(STATIC, { throttle: { maxRetries: 4, maxWaitMs: 5_000 } });
    shopify.answers.push(
      () => throttledAnswer({ requested: 302, available: 2, restoreRate: 100 }),
      () => throttledAnswer({ requested: 1002, available: 2, restoreRate: 100 }),
    );

    const error = await rejection((await session()).request(QUERY));

    expect(error).toBeInstanceOf(ShopifyUnavailable);
    expect(waits).toEqual([3000]);
  });

  it('throws ShopifyUnavailable after its retries', async () => {
    const { shopify, session, waits } = setup(STATIC, { throttle: { maxRetries: 2, maxWaitMs: 60_000 } });
    const throttled = () => throttledAnswer({ requested: 12, available: 2, restoreRate: 100 });
    shopify.answers.push(throttled, throttled, throttled);

    expect(await rejection((await session()).request(QUERY))).toBeInstanceOf(ShopifyUnavailable);
    expect(waits).toEqual([100, 100]);
  });

  it.each([
    ['the points missing over the restore rate', { requested: 252, available: 2, restoreRate: 50 }, 0, 5000],
    [
      'at least 100 ms when the bucket already holds them',
      { requested: 10, available: 500, restoreRate: 100 },
      0,
      100,
    ],
    ['1 s, 2 s, 4 s… without cost data', null, 2, 4000],
  ])('waits %s', (_, cost, attempt, expected) => {
    const queryCost = cost && costExtensions({ ...cost, actual: null }).cost;

    expect(throttleWaitMs(queryCost, attempt)).toBe(expected);
  });
});

describe('unsubscribeInShopify', () => {
  const sessionAnswering = (answer: () => Promise<unknown>): AdminSession => ({
    shop: SHOP,
    request: async () => ({ data: await answer(), cost: null }),
  });
  const unsubscribe = (session: AdminSession) =>
    unsubscribeInShopify(session, { customerId: '7001', at: '2026-11-24T00:00:00.000Z' });

  it('resolves to no errors when Shopify updated the consent', async () => {
    const session = sessionAnswering(async () => ({
      customerEmailMarketingConsentUpdate: {
        customer: { id: 'gid://shopify/Customer/7001' },
        userErrors: [],
      },
    }));

    expect(await unsubscribe(session)).toEqual([]);
  });

  it('resolves to Shopify’s user errors and query errors, which a retry would not change', async () => {
    const userErrors = sessionAnswering(async () => ({
      customerEmailMarketingConsentUpdate: {
        customer: null,
        userErrors: [{ message: 'Customer not found' }],
      },
    }));
    const queryError = sessionAnswering(async () => {
      throw new ShopifyQueryError(SHOP, ['Variable $input is invalid']);
    });

    expect(await unsubscribe(userErrors)).toEqual(['Customer not found']);
    expect(await unsubscribe(queryError)).toEqual(['Variable $input is invalid']);
  });

  it('lets access refusals and unavailability through to the caller', async () => {
    const refused = sessionAnswering(async () => {
      throw new ShopifyAccessError(SHOP, 'scope-missing', 'Required access: `write_customers`');
    });
    const unavailable = sessionAnswering(async () => {
      throw new ShopifyUnavailable('down');
    });

    await expect(unsubscribe(refused)).rejects.toBeInstanceOf(ShopifyAccessError);
    await expect(unsubscribe(unavailable)).rejects.toBeInstanceOf(ShopifyUnavailable);
  });
});
