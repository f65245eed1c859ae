import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { readSecret, webhookSecrets } from '#adapters/secrets.ts';
import { verifyShopifyHmac } from '#adapters/shopify/hmac.ts';
import { requireEnv } from '#commons/env.ts';
import { FLOOR_KIND, floorKey } from './floor-keys.ts';

/**
 * The floor any ingest must pay (benchmarks only, never deployed): the signed webhook's HMAC
 * verified as the ingest verifies it, one conditional write of a small item, 200. Served by the
 * local gateway beside the real route with the ingest's environment (`extraRoutes`), so the ratio
 * of the two leaves out the machine, the gateway and DynamoDB Local.
 */

const env = requireEnv('TABLE_NAME', 'WEBHOOK_SECRET_ARN');

// Only the headers the floor needs; the body is not parsed, that is work left to a real ingest.
const Headers = z.looseObject({
  'x-shopify-hmac-sha256': z.string().optional(),
  'x-shopify-shop-domain': z.string().min(1),
  'x-shopify-event-id': z.string().min(1),
});

const reply = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const headers = Headers.safeParse(event.headers ?? {});
  if (!headers.success) return reply(400, { message: 'missing X-Shopify-Shop-Domain or X-Shopify-Event-Id' });
  // The same cached secret lookup as the ingest: after the first call it costs nothing.
  const secrets = webhookSecrets(await readSecret(env.WEBHOOK_SECRET_ARN));
  if (!verifyShopifyHmac(body, headers.data['x-shopify-hmac-sha256'], secrets))
    return reply(401, { message: 'invalid or missing X-Shopify-Hmac-Sha256' });
  const shop = headers.data['x-shopify-shop-domain'];
  try {
    await dynamoDb.send(
      new PutCommand({
        TableName: env.TABLE_NAME,
        Item: {
          ...floorKey(shop, headers.data['x-shopify-event-id']),
          kind: FLOOR_KIND,
          receivedAt: new Date().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    // A redelivery finds its item: accepted already, as an ingest answers a duplicate.
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
  }
  return reply(200, { status: 'stored' });
};
