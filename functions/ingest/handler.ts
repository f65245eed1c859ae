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
import { keepUnusable } from './keep-unusable.ts';
import { ReinstallWatch } from './shop-status.ts';
import { parseWebhook } from './topics.ts';
import { readDelivery } from './webhook.ts';

const env = requireEnv('TABLE_NAME', 'WEBHOOK_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const applyPath = new ApplyPath(table, journeyConfig);
const quarantine = new Quarantine(table);
const reinstalls = new ReinstallWatch(table);

/** A Shopify webhook: verify → parse → apply → answer. An unusable authentic payload is quarantined, never 5xx. */
const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const now = new Date();
  const delivery = readDelivery(event, now);
  const secrets = webhookSecrets(await readSecret(env.WEBHOOK_SECRET_ARN));
  if (!verifyShopifyHmac(delivery.body, delivery.hmac, secrets))
    throw new HttpError(401, 'invalid or missing X-Shopify-Hmac-Sha256');
  const { topic, shop, eventId } = delivery;
  const parsed = parseWebhook(delivery);
  if (parsed.kind === 'ignore') {
    if (parsed.metric) countMetric(parsed.metric);
    return json(200, { status: 'ignored', reason: parsed.reason });
  }
  let answer: { status: string } =
    parsed.kind === 'quarantine'
      ? await keepUnusable(quarantine, delivery, parsed.reason, now)
      : await applyPath.apply(shop, parsed.change);
  if (parsed.kind === 'change' && parsed.acceptedAs && answer.status === 'applied')
    answer = { ...answer, status: parsed.acceptedAs };
  if (answer.status === 'parked') countMetric('RefundParked');
  logger.info('webhook answered', { topic, shop, eventId, ...answer });
  // Any authentic webhook of a shop triggered after its uninstall means the app is back.
  if (topic === 'app/uninstalled') reinstalls.forget(shop);
  else if (delivery.knownShop) await reinstalls.noteWebhook(shop, delivery.triggeredAt, now.getTime());
  return json(200, answer);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(ingest);
