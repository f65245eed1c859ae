import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { HttpError, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';

/** Shopify bodies are small; anything larger than this is not a webhook we can use. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How far ahead of our clock `X-Shopify-Triggered-At` may be (clock skew), in ms. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The Shopify headers read, each with the form Shopify sends. Shopify signs the body only: a
 * header is checked for length and characters, never trusted further than the body agrees.
 */
const HEADER_FORMS = {
  'x-shopify-topic': /^[a-z0-9_]+([./][a-z0-9_]+)*$/,
  'x-shopify-shop-domain': SHOP_DOMAIN,
  'x-shopify-event-id': /^[A-Za-z0-9._:-]{1,128}$/,
  'x-shopify-webhook-id': /^[A-Za-z0-9._:-]{1,128}$/,
  'x-shopify-triggered-at': /^[0-9TZ:.+-]{10,40}$/,
  'x-shopify-api-version': /^(\d{4}-\d{2}|unstable)$/,
  'x-shopify-hmac-sha256': /^[A-Za-z0-9+/]{43}=$/,
} as const;
const MAX_TOPIC_LENGTH = 100;

/** One webhook delivery: its raw body and its Shopify headers, read once and checked. */
export type WebhookDelivery = {
  body: Buffer;
  /** The `X-Shopify-*` headers that passed their check, the HMAC excepted (what may be kept). */
  shopifyHeaders: Record<string, string>;
  /** The topic header ('' when missing or malformed: then `headerProblem` says so). */
  topic: string;
  /** The shop domain header ('' when missing or malformed). */
  shop: string;
  /** `X-Shopify-Event-Id` (or the older webhook id); a hash of the body when neither is usable. */
  eventId: string;
  /** When Shopify triggered the event (ISO 8601 UTC); the receipt time when the header is missing. */
  triggeredAt: string;
  hmac: string | undefined;
  /** What is wrong with a header the delivery cannot be used without (topic, shop), if anything. */
  headerProblem: string | null;
  bodySha256: string;
};

const readHeaders = (event: APIGatewayProxyEventV2) => {
  const valid: Record<string, string> = {};
  const invalid: string[] = [];
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const form = HEADER_FORMS[name.toLowerCase() as keyof typeof HEADER_FORMS];
    if (!form || value === undefined) continue;
    if (value.length <= 256 && form.test(value)) valid[name.toLowerCase()] = value;
    else invalid.push(name.toLowerCase());
  }
  return { valid, invalid };
};

/**
 * Reads a delivery: a body over MAX_BODY_BYTES is refused (413) before anything else. Headers
 * that are missing or malformed are noted, not trusted; a trigger time in the future is refused
 * (400) once the signature is checked (see `refuseFutureTrigger`).
 */
export const readDelivery = (event: APIGatewayProxyEventV2, now: Date): WebhookDelivery => {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) throw new HttpError(413, `body exceeds ${MAX_BODY_BYTES} bytes`);
  const { valid, invalid } = readHeaders(event);
  const bodySha256 = createHash('sha256').update(body).digest('hex');
  const topic =
    (valid['x-shopify-topic'] ?? '').length <= MAX_TOPIC_LENGTH ? (valid['x-shopify-topic'] ?? '') : '';
  const shop = valid['x-shopify-shop-domain'] ?? '';
  const triggered = Date.parse(valid['x-shopify-triggered-at'] ?? '');
  const problems = [
    ...(topic ? [] : ['missing or invalid X-Shopify-Topic header']),
    ...(shop ? [] : ['missing or invalid X-Shopify-Shop-Domain header']),
  ];
  if (invalid.length > 0) logger.warn('webhook headers malformed', { headers: invalid });
  const { 'x-shopify-hmac-sha256': hmac, ...shopifyHeaders } = valid;
  const apiVersion = valid['x-shopify-api-version'];
  if (apiVersion && apiVersion !== SHOPIFY_API_VERSION) {
    // Still parsed: the schemas read only long-stable fields. The subscription should be re-pinned.
    logger.warn('webhook API version differs from the pinned one', {
      apiVersion,
      pinned: SHOPIFY_API_VERSION,
    });
  }
  return {
    body,
    shopifyHeaders,
    topic,
    shop,
    eventId: valid['x-shopify-event-id'] ?? valid['x-shopify-webhook-id'] ?? `sha256-${bodySha256}`,
    triggeredAt: Number.isNaN(triggered) ? now.toISOString() : new Date(triggered).toISOString(),
    hmac: hmac ?? (event.headers?.['x-shopify-hmac-sha256'] === undefined ? undefined : ''),
    headerProblem: problems.length > 0 ? problems.join('; ') : null,
    bodySha256,
  };
};

/**
 * Shopify stamps `X-Shopify-Triggered-At` when the event happens, so it is never ahead of us by
 * more than clock skew. A later one is a replay with a forged time (it would outrank every real
 * event, e.g. an uninstall that no later webhook could undo): refused.
 */
export const refuseFutureTrigger = (delivery: WebhookDelivery, now: Date): void => {
  if (Date.parse(delivery.triggeredAt) > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw new HttpError(400, 'X-Shopify-Triggered-At is in the future');
};
