import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDb } from '#adapters/clients.ts';
import { readSecret, webhookSecrets } from '#adapters/secrets.ts';
import { verifyShopifyHmac } from '#adapters/shopify/hmac.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors, json } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { journeyConfig } from '#journeys/index.ts';
import { receive } from './receive.ts';
import { ServedShops } from './served-shops.ts';
import { ReinstallWatch } from './shop-status.ts';
import { readDelivery, refuseFutureTrigger } from './webhook.ts';

const env = requireEnv('TABLE_NAME', 'WEBHOOK_SECRET_ARN', 'SHOPS', 'SUPPRESSION_PEPPER_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const pepper = () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN);
const deps = { applyPath: new ApplyPath(table, journeyConfig, pepper), quarantine: new Quarantine(table) };
const served = new ServedShops(env.SHOPS);
const reinstalls = new ReinstallWatch(table);

/** A Shopify webhook: verify → parse → apply → answer. An unusable authentic payload is quarantined, never 5xx. */
const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const now = new Date();
  const delivery = readDelivery(event, now);
  const secrets = webhookSecrets(await readSecret(env.WEBHOOK_SECRET_ARN), delivery.shop);
  if (!verifyShopifyHmac(delivery.body, delivery.hmac, secrets))
    throw new HttpError(401, 'invalid or missing X-Shopify-Hmac-Sha256');
  refuseFutureTrigger(delivery, now);
  const { topic, shop, eventId } = delivery;
  if (shop && !served.serves(shop)) {
    countMetric('UnservedShopDropped');
    logger.warn('webhook of a shop not served dropped', { topic, shop, eventId });
    return json(200, { status: 'ignored', reason: 'shop not served by this deployment' });
  }
  const answer = await receive(deps, delivery, now);
  logger.info('webhook answered', { topic, shop, eventId, ...answer });
  // Any usable webhook of a shop triggered after its uninstall means the app is back.
  if (topic === 'app/uninstalled') reinstalls.forget(shop);
  else if (shop && answer.status !== 'quarantined')
    await reinstalls.noteWebhook(shop, delivery.triggeredAt, now.getTime());
  return json(200, answer);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(ingest);
