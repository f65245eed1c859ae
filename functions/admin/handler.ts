import { timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { CustomerStore } from '#adapters/customer-store.ts';
import { readSecret } from '#adapters/secrets.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors, json } from '#commons/http.ts';
import { describeIssues } from '#commons/validation.ts';
import { segmentsOf, stageOf } from '#domain/journey.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv('TABLE_NAME', 'ADMIN_API_KEY_SECRET_ARN');
const store = new CustomerStore(dynamoDb, env.TABLE_NAME);

const CustomerPath = z.object({
  shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'expected a *.myshopify.com domain'),
  customerId: z.string().regex(/^\d{1,20}$/, 'expected a numeric Shopify customer id'),
});

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const authenticate = async (event: APIGatewayProxyEventV2): Promise<void> => {
  const header = event.headers?.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  if (!match?.[1] || !sameSecret(match[1], await readSecret(env.ADMIN_API_KEY_SECRET_ARN))) {
    throw new HttpError(401, 'missing or invalid bearer token');
  }
};

const parsePath = <T>(schema: z.ZodType<T>, event: APIGatewayProxyEventV2): T => {
  const path = schema.safeParse(event.pathParameters ?? {});
  if (!path.success) throw new HttpError(400, describeIssues(path.error));
  return path.data;
};

/** GET /api/shops/{shop}/customers/{customerId}: the aggregate, journey stages and segments (as of its last change). */
const getCustomer = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const { shop, customerId } = parsePath(CustomerPath, event);
  const customer = await store.getAggregate(shop, customerId);
  if (!customer) throw new HttpError(404, 'customer not found');
  return json(200, {
    ...customer,
    journeys: stageOf(journeyConfig.journeys, customer),
    segments: segmentsOf(journeyConfig.segments, customer),
  });
};

const DataRequestPath = z.object({
  shop: CustomerPath.shape.shop,
  requestId: z.string().regex(/^\d{1,20}$/, 'expected a numeric data request id'),
});

/** GET /api/shops/{shop}/data-requests/{requestId}: the export of a customers/data_request, for the merchant to hand over. */
const getDataRequest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const { shop, requestId } = parsePath(DataRequestPath, event);
  const exported = await store.getDataRequest(shop, requestId);
  if (exported === null) throw new HttpError(404, 'data request not found');
  if (exported === 'pending') return json(202, { status: 'pending' });
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: exported };
};

const ROUTES: Record<string, (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>> =
  {
    'GET /api/shops/{shop}/customers/{customerId}': getCustomer,
    'GET /api/shops/{shop}/data-requests/{requestId}': getDataRequest,
  };

const route = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  await authenticate(event);
  const handle = ROUTES[event.routeKey];
  if (!handle) throw new HttpError(404, `no route ${event.routeKey}`);
  return handle(event);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(route);
