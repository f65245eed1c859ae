import { timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { CustomerStore } from '#adapters/customer-store.ts';
import { readSecret } from '#adapters/secrets.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors, json } from '#commons/http.ts';
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

/** GET /api/shops/{shop}/customers/{customerId}: the aggregate, journey stages and segments (as of its last change). */
const getCustomer = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  await authenticate(event);
  const path = CustomerPath.safeParse(event.pathParameters ?? {});
  if (!path.success)
    throw new HttpError(400, path.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const customer = await store.getAggregate(path.data.shop, path.data.customerId);
  if (!customer) throw new HttpError(404, 'customer not found');
  return json(200, {
    ...customer,
    journeys: stageOf(journeyConfig.journeys, customer),
    segments: segmentsOf(journeyConfig.segments, customer),
  });
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(getCustomer);
