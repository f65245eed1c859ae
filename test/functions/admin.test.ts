import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminKeys, requireBearer } from '../../functions/commons/admin-auth.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';
import { callHttp, routeEvent, useHandlerEnvironment } from '../support/lambda.ts';

const OPERATOR_KEY = 'admin-key-for-every-shop';
const BAKERY_KEY = 'admin-key-for-the-bakery';
const admin = useHandlerEnvironment({
  env: { TABLE_NAME: 'customers' },
  secrets: {
    ADMIN_API_KEY_SECRET_ARN: JSON.stringify({
      keys: [
        { key: OPERATOR_KEY, shops: '*' },
        { key: BAKERY_KEY, shops: ['bakery-demo.myshopify.com'] },
      ],
    }),
  },
  load: () => import('../../functions/admin/handler.ts'),
});
const operator = `Bearer ${OPERATOR_KEY}`;
const dynamo = mockClient(DynamoDBDocumentClient);

const request = (
  authorization: string | undefined,
  shop = 'bakery-demo.myshopify.com',
  customerId = '7001',
) =>
  callHttp(
    admin.handler,
    routeEvent('GET /api/shops/{shop}/customers/{customerId}', {
      headers: authorization ? { authorization } : {},
      pathParameters: { shop, customerId },
    }),
  );

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({
    Item: {
      aggregate: aggregateFactory({
        ordersCount: 3,
        counters: rumBabaCounters(2),
      }),
    },
  });
  dynamo.on(QueryCommand).resolves({
    Items: [
      {
        pk: 'SHOP#bakery-demo.myshopify.com#CUSTOMER#7001',
        sk: 'SEND#rum-baba-fans#first-rum-baba#2',
        journeyId: 'rum-baba-fans',
        stageId: 'first-rum-baba',
        entryId: 2,
        status: 'pending',
        enteredAt: '2026-11-02T00:00:00.000Z',
        dueAt: '2026-11-09T00:00:00.000Z',
        heldReason: 'quiet hours 21:00–08:00 in Asia/Tokyo',
        duePk: 'DUE#SEND#05',
      },
    ],
  });
});

describe('admin handler', () => {
  it('answers the customer with their current journey stages', async () => {
    const response = await request(operator);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({
      ordersCount: 3,
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
      // Its stage emails as they stand, without the table's own attributes.
      sends: [
        {
          journeyId: 'rum-baba-fans',
          stageId: 'first-rum-baba',
          entryId: 2,
          status: 'pending',
          enteredAt: '2026-11-02T00:00:00.000Z',
          dueAt: '2026-11-09T00:00:00.000Z',
          heldReason: 'quiet hours 21:00–08:00 in Asia/Tokyo',
        },
      ],
    });
    expect(JSON.parse(String(response.body)).sends[0]).not.toHaveProperty('duePk');
  });

  it.each([undefined, 'Bearer wrong', OPERATOR_KEY, `Basic ${OPERATOR_KEY}`, `Bearer ${OPERATOR_KEY}x`])(
    'answers 401 for authorization %s',
    async (authorization) => {
      const response = await request(authorization);

      expect(response.statusCode).toBe(401);
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it('answers 404 for an unknown customer', async () => {
    dynamo.on(GetCommand).resolves({});

    const response = await request(operator);

    expect(response.statusCode).toBe(404);
  });

  it('answers a data request export: 202 while pending, 200 with the document when done', async () => {
    const dataRequest = () =>
      callHttp(
        admin.handler,
        routeEvent('GET /api/shops/{shop}/data-requests/{requestId}', {
          headers: { authorization: operator },
          pathParameters: { shop: 'bakery-demo.myshopify.com', requestId: '555' },
        }),
      );

    dynamo.on(GetCommand).resolves({ Item: { status: 'pending' } });
    expect((await dataRequest()).statusCode).toBe(202);
    dynamo.on(GetCommand).resolves({ Item: { status: 'done', exportJson: '{"customerId":"7001"}' } });
    expect(await dataRequest()).toMatchObject({ statusCode: 200, body: '{"customerId":"7001"}' });
    dynamo.on(GetCommand).resolves({});
    expect((await dataRequest()).statusCode).toBe(404);
  });

  it("answers 403 to a shop's key asking for another shop, without reading it", async () => {
    const response = await request(`Bearer ${BAKERY_KEY}`, 'other-shop.myshopify.com');

    expect(response.statusCode).toBe(403);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it("answers a shop's key for its own shop", async () => {
    const response = await request(`Bearer ${BAKERY_KEY}`, 'bakery-demo.myshopify.com');

    expect(response.statusCode).toBe(200);
  });

  it('answers 400 for a malformed shop or customer id', async () => {
    expect((await request(operator, 'evil.example.com')).statusCode).toBe(400);
    expect((await request(operator, 'bakery-demo.myshopify.com', '../7001')).statusCode).toBe(400);
  });
});

describe('admin keys', () => {
  const withBearer = (key: string) =>
    routeEvent('GET /api/shops/{shop}/customers/{customerId}', {
      headers: { authorization: `Bearer ${key}` },
    });

  it('reads a plain string as one key for every shop', () => {
    expect(requireBearer(withBearer('plain-key'), adminKeys('plain-key'))).toEqual({ shops: '*' });
  });

  it('gives each JSON key its own shops', () => {
    const keys = adminKeys(
      JSON.stringify({ keys: [{ key: BAKERY_KEY, shops: ['bakery-demo.myshopify.com'] }] }),
    );

    expect(requireBearer(withBearer(BAKERY_KEY), keys)).toEqual({
      shops: new Set(['bakery-demo.myshopify.com']),
    });
  });

  it.each([
    ['not JSON', `{${BAKERY_KEY}`, /not JSON/],
    ['no keys', { keys: [] }, /keys/],
    ['a short key', { keys: [{ key: 'short', shops: '*' }] }, /16 characters/],
    [
      'a shop that is not a Shopify domain',
      { keys: [{ key: BAKERY_KEY, shops: ['evil.example.com'] }] },
      /myshopify/,
    ],
    ['no shops', { keys: [{ key: BAKERY_KEY, shops: [] }] }, /keys\.0\.shops/],
    [
      'the same key twice',
      {
        keys: [
          { key: BAKERY_KEY, shops: '*' },
          { key: BAKERY_KEY, shops: '*' },
        ],
      },
      /differ/,
    ],
  ])('refuses a secret with %s, without quoting it', (_name, secret, reason) => {
    const value = typeof secret === 'string' ? secret : JSON.stringify(secret);

    const read = () => adminKeys(value);

    expect(read).toThrow(reason);
    expect(read).not.toThrow(BAKERY_KEY);
  });
});
