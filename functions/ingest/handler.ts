import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ZodType, z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { CustomerStore, type PrivacyRequest, type WebhookRef } from '#adapters/customer-store.ts';
import { readSecret, webhookSecrets } from '#adapters/secrets.ts';
import { verifyShopifyHmac } from '#adapters/shopify/hmac.ts';
import {
  ConsentPayload,
  CustomerPayload,
  CustomerRedactPayload,
  CustomerTagsPayload,
  DataRequestPayload,
  OrderPayload,
  RefundPayload,
  SHOPIFY_API_VERSION,
  ShopifyId,
  toConsentChange,
  toCustomerAddress,
  toOrderFacts,
  toRefundFacts,
} from '#adapters/shopify/payloads.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors, json, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { describeIssues } from '#commons/validation.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import {
  consentChange,
  customerChange,
  orderChange,
  refundChange,
  tagsChange,
  withOtherOrders,
} from '#domain/apply.ts';
import { refundContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv('TABLE_NAME', 'WEBHOOK_SECRET_ARN');
const store = new CustomerStore(dynamoDb, env.TABLE_NAME);

/** Shopify bodies are small; anything larger than this is not a webhook we can use. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Ingested = { status: string; reason?: string; customerId?: string; orderId?: string };

/** Parses JSON against a schema; the failure text is what the quarantine records. */
const parse = <T>(
  body: Buffer,
  schema: ZodType<T>,
): { ok: true; value: T } | { ok: false; reason: string } => {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `body is not JSON: ${(error as Error).message}` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    reason: describeIssues(result.error),
  };
};

const applyOrder = async (webhook: WebhookRef, payload: OrderPayload, now: Date): Promise<Ingested> => {
  const facts = toOrderFacts(payload);
  if (!facts) {
    countMetric('GuestOrderIgnored');
    return { status: 'ignored', reason: 'order has no customer' };
  }
  const outcome = await store.apply(
    webhook,
    facts.customerId,
    facts.orderId,
    (current, stored, otherOrders, parkedRefunds) =>
      withOtherOrders(
        (others) =>
          orderChange(
            // Evaluated at the order version's own time (its updated_at), not at processing time.
            {
              shop: webhook.shop,
              current,
              stored,
              facts,
              options: journeyConfig,
              now: facts.updatedAt,
              parkedRefunds,
            },
            others,
          ),
        otherOrders,
      ),
    Math.floor(now.getTime() / 1000),
  );
  return { status: outcome, customerId: facts.customerId, orderId: facts.orderId };
};

/**
 * A refund names its order, not the customer: it is parked with the order and, once the order's
 * customer is known, taken off that order's contribution (once, whatever the delivery order).
 */
const applyRefund = async (webhook: WebhookRef, payload: RefundPayload, now: Date): Promise<Ingested> => {
  const facts = toRefundFacts(payload);
  const refund = refundContribution(facts, journeyConfig);
  const customerId = await store.parkRefund(webhook.shop, facts.orderId, refund);
  if (customerId === null) {
    countMetric('RefundParked');
    return {
      status: 'parked',
      reason: 'order not seen yet; applied when it arrives',
      orderId: facts.orderId,
    };
  }
  const outcome = await store.apply(
    webhook,
    customerId,
    facts.orderId,
    (current, stored, otherOrders) =>
      withOtherOrders(
        (others) => refundChange(current, stored, [refund], facts.createdAt, others),
        otherOrders,
      ),
    Math.floor(now.getTime() / 1000),
  );
  return { status: outcome, customerId, orderId: facts.orderId };
};

/**
 * Applies a change that touches only the customer's aggregate (no order item). `eventAt` is when
 * the change happened in Shopify: the time the customer's conditions are evaluated at.
 */
const applyToCustomer = async (
  webhook: WebhookRef,
  customerId: string,
  now: Date,
  eventAt: string,
  compute: (current: CustomerAggregate | null, eventAt: string) => CustomerAggregate | null,
): Promise<Ingested> => {
  const outcome = await store.apply(
    webhook,
    customerId,
    null,
    (current) => {
      const aggregate = compute(current, eventAt);
      return aggregate ? { aggregate } : null;
    },
    Math.floor(now.getTime() / 1000),
  );
  return { status: outcome, customerId };
};

type Topic = (
  webhook: WebhookRef,
  body: Buffer,
  now: Date,
  triggeredAt: string,
) => Promise<Ingested | { quarantine: string }>;

const tagTopic =
  (present: boolean): Topic =>
  (w, body, now) =>
    withPayload(body, CustomerTagsPayload, (p) => {
      const at = new Date(p.occurredAt).toISOString();
      return applyToCustomer(w, p.customerId, now, at, (current, eventAt) =>
        tagsChange(w.shop, p.customerId, current, { tags: p.tags, present, at }, eventAt),
      );
    });

const customerTopic: Topic = (w, body, now) =>
  withPayload(body, CustomerPayload, (p) => {
    const at = new Date(p.updated_at).toISOString();
    return applyToCustomer(w, p.id, now, at, (current, eventAt) =>
      customerChange(
        w.shop,
        p.id,
        current,
        { email: p.email ?? null, address: toCustomerAddress(p), at },
        eventAt,
      ),
    );
  });

/** A compliance topic: the request is recorded at once; the privacy function carries it out. */
const privacyTopic =
  <T>(schema: ZodType<T>, accepted: string, toRequest: (payload: T) => PrivacyRequest): Topic =>
  (w, body, now, triggeredAt) =>
    withPayload(body, schema, async (p) => {
      const request = toRequest(p);
      const status = await store.requestPrivacy(w, request, triggeredAt, Math.floor(now.getTime() / 1000));
      return {
        status: status === 'applied' ? accepted : status,
        ...(request.type === 'shop-redact' ? {} : { customerId: request.customerId }),
      };
    });

/** The topics Loyalty Loop subscribes to; any other topic is answered 200 and ignored. */
const TOPICS: Record<string, Topic> = {
  'orders/create': (w, body, now) => withPayload(body, OrderPayload, (p) => applyOrder(w, p, now)),
  'orders/updated': (w, body, now) => withPayload(body, OrderPayload, (p) => applyOrder(w, p, now)),
  'customers/email_marketing_consent_update': (w, body, now, triggeredAt) =>
    withPayload(body, ConsentPayload, (p) => {
      const change = toConsentChange(p);
      return applyToCustomer(w, p.customer_id, now, change.updatedAt ?? triggeredAt, (current, eventAt) =>
        consentChange(w.shop, p.customer_id, current, change, eventAt),
      );
    }),
  'customer.tags_added': tagTopic(true),
  'customer.tags_removed': tagTopic(false),
  'customers/create': customerTopic,
  'customers/update': customerTopic,
  'orders/cancelled': (w, body, now) => withPayload(body, OrderPayload, (p) => applyOrder(w, p, now)),
  'refunds/create': (w, body, now) => withPayload(body, RefundPayload, (p) => applyRefund(w, p, now)),
  'customers/redact': privacyTopic(CustomerRedactPayload, 'redaction requested', (p) => ({
    type: 'customer-redact',
    customerId: p.customer.id,
    email: p.customer.email ?? null,
  })),
  // A customer deleted in Shopify (possible only without orders) is erased like a redaction.
  'customers/delete': privacyTopic(z.looseObject({ id: ShopifyId }), 'deletion requested', (p) => ({
    type: 'customer-redact',
    customerId: p.id,
    email: null,
  })),
  'customers/data_request': privacyTopic(DataRequestPayload, 'export requested', (p) => ({
    type: 'data-request',
    requestId: p.data_request.id,
    customerId: p.customer.id,
    email: p.customer.email ?? null,
  })),
  'shop/redact': privacyTopic(z.looseObject({}), 'redaction requested', () => ({ type: 'shop-redact' })),
  'app/uninstalled': (w, body, now, triggeredAt) =>
    withPayload(body, z.looseObject({}), async () => {
      const status = await store.markUninstalled(w, triggeredAt, Math.floor(now.getTime() / 1000));
      shopStatusCache.delete(w.shop);
      return { status: status === 'applied' ? 'uninstalled' : status };
    }),
};

/** Shops seen uninstalled, cached a minute per Lambda environment, to spare a read per webhook. */
const shopStatusCache = new Map<string, { uninstalledAt: string | null; until: number }>();

/** A webhook triggered after an uninstall means the app is installed again: sending resumes. */
const resumeIfReinstalled = async (shop: string, triggeredAt: string, now: number): Promise<void> => {
  let cached = shopStatusCache.get(shop);
  if (!cached || cached.until < now) {
    cached = { ...(await store.getShopStatus(shop)), until: now + 60_000 };
    shopStatusCache.set(shop, cached);
  }
  if (
    cached.uninstalledAt !== null &&
    cached.uninstalledAt < triggeredAt &&
    (await store.clearUninstalled(shop, triggeredAt))
  ) {
    shopStatusCache.delete(shop);
    logger.info('app reinstalled: sending resumes', { shop, triggeredAt });
  }
};

/** Shopify's shop domain header: lower-case, one label, then .myshopify.com. */
const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]{0,99}\.myshopify\.com$/;

const withPayload = async <T>(body: Buffer, schema: ZodType<T>, apply: (payload: T) => Promise<Ingested>) => {
  const parsed = parse(body, schema);
  return parsed.ok ? apply(parsed.value) : { quarantine: parsed.reason };
};

const ingest = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const body = rawBody(event);
  if (body.length > MAX_BODY_BYTES) throw new HttpError(413, `body exceeds ${MAX_BODY_BYTES} bytes`);
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const secrets = webhookSecrets(await readSecret(env.WEBHOOK_SECRET_ARN));
  if (!verifyShopifyHmac(body, headers['x-shopify-hmac-sha256'], secrets)) {
    throw new HttpError(401, 'invalid or missing X-Shopify-Hmac-Sha256');
  }
  const topic = headers['x-shopify-topic'] ?? '';
  const shop = headers['x-shopify-shop-domain'] ?? '';
  const eventId =
    headers['x-shopify-event-id'] ??
    headers['x-shopify-webhook-id'] ??
    createHash('sha256').update(body).digest('hex');
  const webhook: WebhookRef = { shop, topic, eventId };
  const apiVersion = headers['x-shopify-api-version'];
  if (apiVersion && apiVersion !== SHOPIFY_API_VERSION) {
    // Still parsed: the schemas read only long-stable fields. The subscription should be re-pinned.
    logger.warn('webhook API version differs from the pinned one', {
      apiVersion,
      pinned: SHOPIFY_API_VERSION,
      topic,
      shop,
    });
  }
  const now = new Date();
  const handle = TOPICS[topic];
  if (!handle) {
    logger.info('ignored topic', { topic, shop });
    return json(200, { status: 'ignored', reason: `topic "${topic}" is not handled` });
  }
  const triggeredAt = toIsoOrNull(headers['x-shopify-triggered-at']) ?? now.toISOString();
  const result = SHOP_DOMAIN.test(shop)
    ? await handle(webhook, body, now, triggeredAt)
    : { quarantine: `missing or invalid X-Shopify-Shop-Domain header: "${shop.slice(0, 100)}"` };
  if (SHOP_DOMAIN.test(shop) && topic !== 'app/uninstalled')
    await resumeIfReinstalled(shop, triggeredAt, now.getTime());
  if ('quarantine' in result) {
    logger.warn('quarantined webhook', { topic, shop, eventId, reason: result.quarantine });
    countMetric('WebhookQuarantined');
    await store.quarantine(
      { ...webhook, shop: SHOP_DOMAIN.test(shop) ? shop : 'unknown' },
      result.quarantine,
      headers,
      body,
      now.toISOString(),
    );
    return json(200, { status: 'quarantined', reason: result.quarantine });
  }
  logger.info('webhook applied', { topic, shop, eventId, ...result });
  return json(200, result);
};

const toIsoOrNull = (value: string | undefined): string | null => {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(ingest);
