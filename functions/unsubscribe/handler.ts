import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDb, eventBridge } from '#adapters/clients.ts';
import { CustomerStore } from '#adapters/customer-store.ts';
import { putBusEvents } from '#adapters/event-bus.ts';
import { readSecret } from '#adapters/secrets.ts';
import { requireEnv } from '#commons/env.ts';
import { httpErrors, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';
import { verifyUnsubscribeToken } from '#commons/unsubscribe-token.ts';
import { consentChange } from '#domain/apply.ts';
import { escapeHtml } from '#domain/email.ts';
import { DetailType } from '#domain/events.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv('TABLE_NAME', 'UNSUBSCRIBE_SECRET_ARN', 'EVENT_BUS_NAME');
const store = new CustomerStore(dynamoDb, env.TABLE_NAME);

const page = (statusCode: number, title: string, body: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-robots-tag': 'noindex',
  },
  body:
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:480px;margin:3em auto">` +
    `<h1>${escapeHtml(title)}</h1>${body}</body></html>`,
});

/**
 * The target of every email's List-Unsubscribe link (RFC 8058). GET shows a confirmation page
 * and changes nothing (mail scanners fetch links); POST — the mailbox's one-click
 * `List-Unsubscribe=One-Click`, or the page's button — unsubscribes the customer at once.
 */
const unsubscribe = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const token = event.queryStringParameters?.token ?? '';
  const now = new Date();
  const claim = verifyUnsubscribeToken(
    token,
    await readSecret(env.UNSUBSCRIBE_SECRET_ARN),
    Math.floor(now.getTime() / 1000),
  );
  const brand = journeyConfig.brandName;
  if (!claim) {
    return page(
      400,
      'This link is invalid or has expired',
      `<p>Use the unsubscribe link of a recent ${escapeHtml(brand)} email.</p>`,
    );
  }
  if (event.requestContext.http.method !== 'POST') {
    return page(
      200,
      `Unsubscribe from ${brand} emails?`,
      `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">` +
        `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
        '<button type="submit">Unsubscribe</button></form>',
    );
  }
  const form = new URLSearchParams(rawBody(event).toString('utf8'));
  if (form.get('List-Unsubscribe') !== 'One-Click') {
    return page(400, 'Nothing was changed', '<p>The request did not ask to unsubscribe.</p>');
  }
  const outcome = await store.apply(
    { shop: claim.shop, eventId: `unsubscribe:${randomUUID()}`, topic: 'loyalty-loop/unsubscribe' },
    claim.customerId,
    null,
    (current) => {
      const aggregate = consentChange(
        claim.shop,
        claim.customerId,
        current,
        { state: 'unsubscribed', updatedAt: now.toISOString(), email: null },
        now.toISOString(),
      );
      return aggregate ? { aggregate } : null;
    },
    Math.floor(now.getTime() / 1000),
  );
  logger.info('unsubscribed', { shop: claim.shop, customerId: claim.customerId, outcome });
  // Announced on the bus: the consent is written back to Shopify from there (with retries).
  await putBusEvents(eventBridge, env.EVENT_BUS_NAME, [
    {
      detailType: DetailType.CustomerUnsubscribed,
      detail: {
        eventId: `${claim.shop}/${claim.customerId}/unsubscribed/${now.toISOString()}`,
        shop: claim.shop,
        customerId: claim.customerId,
        occurredAt: now.toISOString(),
      },
    },
  ]);
  return page(
    200,
    'You are unsubscribed',
    `<p>You will get no more marketing emails from ${escapeHtml(brand)}.</p>`,
  );
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(unsubscribe);
