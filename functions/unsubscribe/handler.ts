import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { putBusEvents } from '#adapters/bus-publisher.ts';
import { dynamoDb, eventBridge } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { requireEnv } from '#commons/env.ts';
import { httpErrors, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';
import { unsubscribeKeys, verifyUnsubscribeToken } from '#commons/unsubscribe-token.ts';
import { DetailType } from '#domain/events.ts';
import { journeyConfig } from '#journeys/index.ts';
import { confirmPage, invalidLinkPage, notAskedPage, unsubscribedPage } from './page.ts';

const env = requireEnv(
  'TABLE_NAME',
  'UNSUBSCRIBE_SECRET_ARN',
  'EVENT_BUS_NAME',
  'SUPPRESSION_PEPPER_SECRET_ARN',
);
const applyPath = new ApplyPath({ doc: dynamoDb, name: env.TABLE_NAME }, journeyConfig, () =>
  readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN),
);

/**
 * The target of every email's List-Unsubscribe link (RFC 8058). GET shows a confirmation page
 * and changes nothing; POST — the mailbox's one-click `List-Unsubscribe=One-Click`, or the
 * page's button — unsubscribes the customer at once, through the same apply path as webhooks.
 */
const unsubscribe = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const token = event.queryStringParameters?.token ?? '';
  const now = new Date();
  const keys = unsubscribeKeys(await readSecret(env.UNSUBSCRIBE_SECRET_ARN));
  const claim = verifyUnsubscribeToken(token, keys, Math.floor(now.getTime() / 1000));
  const brand = journeyConfig.brandName;
  if (!claim) return invalidLinkPage(brand);
  if (event.requestContext.http.method !== 'POST') return confirmPage(brand, token);
  const form = new URLSearchParams(rawBody(event).toString('utf8'));
  if (form.get('List-Unsubscribe') !== 'One-Click') return notAskedPage();
  const { shop, customerId } = claim;
  const at = now.toISOString();
  const consent = { state: 'unsubscribed' as const, updatedAt: at, email: null };
  const outcome = await applyPath.apply(shop, { type: 'consent', customerId, consent });
  logger.info('unsubscribed', { shop, customerId, outcome });
  // A redacted customer is not brought back, nor named on the bus: there is nothing to unsubscribe.
  if (outcome.status === 'redacted') return unsubscribedPage(brand);
  // Announced on the bus: the consent is written back to Shopify from there (with retries).
  const eventId = `${shop}/${customerId}/unsubscribed/${at}`;
  await putBusEvents(eventBridge, env.EVENT_BUS_NAME, [
    { detailType: DetailType.CustomerUnsubscribed, detail: { eventId, shop, customerId, occurredAt: at } },
  ]);
  return unsubscribedPage(brand);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(unsubscribe);
