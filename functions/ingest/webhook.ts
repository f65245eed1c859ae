import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { HttpError, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';

/** Shopify bodies are small; anything larger than this is not a webhook we can use. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One webhook delivery: its raw body and its Shopify headers, read once. */
export type WebhookDelivery = {
  body: Buffer;
  all: Record<string, string>;
  topic: string;
  shop: string;
  /** Whether the shop header is a well-formed `*.myshopify.com` domain. */
  knownShop: boolean;
  /** `X-Shopify-Event-Id` (or the older webhook id; a hash of the body when neither is sent). */
  eventId: string;
  /** When Shopify triggered the event (ISO 8601 UTC); the receipt time when the header is missing. */
  triggeredAt: string;
  hmac: string | undefined;
};

const toIsoOrNull = (value: string | undefined): string | null => {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
};

/** Reads a delivery; a body over MAX_BODY_BYTES is refused (413) before anything else. */
export const readDelivery = (event: APIGatewayProxyEventV2, now: Date): WebhookDelivery => {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) throw new HttpError(413, `body exceeds ${MAX_BODY_BYTES} bytes`);
  const all = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const headers: WebhookDelivery = {
    body,
    all,
    topic: all['x-shopify-topic'] ?? '',
    shop: all['x-shopify-shop-domain'] ?? '',
    knownShop: SHOP_DOMAIN.test(all['x-shopify-shop-domain'] ?? ''),
    eventId:
      all['x-shopify-event-id'] ??
      all['x-shopify-webhook-id'] ??
      createHash('sha256').update(body).digest('hex'),
    triggeredAt: toIsoOrNull(all['x-shopify-triggered-at']) ?? now.toISOString(),
    hmac: all['x-shopify-hmac-sha256'],
  };
  const apiVersion = all['x-shopify-api-version'];
  if (apiVersion && apiVersion !== SHOPIFY_API_VERSION) {
    // Still parsed: the schemas read only long-stable fields. The subscription should be re-pinned.
    logger.warn('webhook API version differs from the pinned one', {
      apiVersion,
      pinned: SHOPIFY_API_VERSION,
      topic: headers.topic,
      shop: headers.shop,
    });
  }
  return headers;
};
