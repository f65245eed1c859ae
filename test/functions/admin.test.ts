import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';
import { callHttp, routeEvent, useHandlerEnvironment } from '../support/lambda.ts';

const admin = useHandlerEnvironment({
  env: { TABLE_NAME: 'customers' },
  secrets: { ADMIN_API_KEY_SECRET_ARN: 'admin-key' },
  load: () => import('../../functions/admin/handler.ts'),
});
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
});

describe('admin handler', () => {
  it('answers the customer with their current journey stages', async () => {
    const response = await request('Bearer admin-key');

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({
      ordersCount: 3,
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
    });
  });

  it.each([undefined, 'Bearer wrong', 'admin-key', 'Basic admin-key'])(
    'answers 401 for authorization %s',
    async (authorization) => {
      const response = await request(authorization);

      expect(response.statusCode).toBe(401);
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it('answers 404 for an unknown customer', async () => {
    dynamo.on(GetCommand).resolves({});

    const response = await request('Bearer admin-key');

    expect(response.statusCode).toBe(404);
  });

  it('answers a data request export: 202 while pending, 200 with the document when done', async () => {
    const dataRequest = () =>
      callHttp(
        admin.handler,
        routeEvent('GET /api/shops/{shop}/data-requests/{requestId}', {
          headers: { authorization: 'Bearer admin-key' },
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

  it('answers 400 for a malformed shop or customer id', async () => {
    expect((await request('Bearer admin-key', 'evil.example.com')).statusCode).toBe(400);
    expect((await request('Bearer admin-key', 'bakery-demo.myshopify.com', '../7001')).statusCode).toBe(400);
  });
});
