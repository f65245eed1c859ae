import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { s3 } from '#adapters/clients.ts';
import { invokeLater } from '#adapters/lambda-invoke.ts';
import { readSecret } from '#adapters/secrets.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { adminKeys, requireBearer, requireShop } from '#commons/admin-auth.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors, json } from '#commons/http.ts';
import { definitionsOf } from '#domain/analytics/snapshot-rows.ts';
import { journeyConfig } from '#journeys/index.ts';
import { ReportService } from './report-service.ts';

const env = requireEnv('ANALYTICS_BUCKET', 'ADMIN_API_KEY_SECRET_ARN', 'REFRESH_FUNCTION_NAME');
const reports = new ReportService(new SnapshotStore(s3, env.ANALYTICS_BUCKET), {
  workDir: '/tmp/analytics',
  // Beside the bundle (the asset carries the SQL files), or beside this file when run from source.
  sqlDir: new URL('./reports/', import.meta.url),
  definitions: definitionsOf(journeyConfig),
});

/**
 * `GET /api/shops/{shop}/analytics/{report}`: a report over the shop's latest snapshot (see
 * docs/analytics.md); `POST /api/shops/{shop}/analytics/refresh`: starts a rebuild of the
 * snapshot (202: it runs on its own, minutes for a large shop). Same bearer keys as the admin API.
 */
const route = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const access = requireBearer(event, adminKeys(await readSecret(env.ADMIN_API_KEY_SECRET_ARN)));
  requireShop(access, event.pathParameters?.shop);
  const shop = event.pathParameters?.shop ?? '';
  if (!SHOP_DOMAIN.test(shop))
    throw new HttpError(400, `shop: expected a *.myshopify.com domain, got "${shop.slice(0, 100)}"`);
  if (event.requestContext.http.method === 'POST') {
    await invokeLater(env.REFRESH_FUNCTION_NAME, { shop });
    return json(202, { shop, refresh: 'started' });
  }
  const answer = await reports.answer(
    shop,
    event.pathParameters?.report ?? '',
    event.queryStringParameters ?? {},
  );
  return json(answer.status, answer.body);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(route);
