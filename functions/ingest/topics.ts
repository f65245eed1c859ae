import type { ZodType } from 'zod';
import { parseJsonLossless } from '#adapters/shopify/lossless-json.ts';
import {
  ConsentPayload,
  CustomerDeletionPayload,
  CustomerPayload,
  CustomerRedactPayload,
  CustomerTagsPayload,
  DataRequestPayload,
  OrderPayload,
  RefundPayload,
  ShopRedactPayload,
  toConsentChange,
  toCustomerAddress,
  toOrderFacts,
  toRefundFacts,
  UninstallPayload,
  utc,
} from '#adapters/shopify/payloads.ts';
import { describeIssues } from '#commons/validation.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { UnusableChange } from '#domain/unusable.ts';
import type { WebhookDelivery } from './webhook.ts';

/** What a webhook body says: a change to apply, nothing to do, or an unusable payload to quarantine. */
export type ParsedWebhook =
  /** `acceptedAs`: how the answer names an applied change of this topic (compliance requests). */
  | { kind: 'change'; change: ShopifyChange; acceptedAs?: string }
  | { kind: 'ignore'; reason: string; metric?: string }
  | { kind: 'quarantine'; reason: string };

/** What a parser knows of the delivery besides its body: the shop header and the trigger time. */
type Context = { shop: string; triggeredAt: string };
type TopicParser = (body: unknown, context: Context) => ParsedWebhook;
type NotApplied = Extract<ParsedWebhook, { kind: 'ignore' | 'quarantine' }>;

/** A topic whose payload must fit `schema`; `toChange` turns it into the change it stands for. */
const topic =
  <T>(
    schema: ZodType<T>,
    toChange: (payload: T, context: Context) => ShopifyChange | NotApplied,
    acceptedAs?: string,
  ): TopicParser =>
  (body, context) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return { kind: 'quarantine', reason: describeIssues(parsed.error) };
    let result: ShopifyChange | NotApplied;
    try {
      result = toChange(parsed.data, context);
    } catch (error) {
      // An amount beyond exact range, say: no retry can make it usable.
      if (error instanceof UnusableChange) return { kind: 'quarantine', reason: error.message };
      throw error;
    }
    if (!('type' in result)) return result;
    return acceptedAs ? { kind: 'change', change: result, acceptedAs } : { kind: 'change', change: result };
  };

/**
 * The topics that name their shop in the body: it must be the shop of the header, which Shopify
 * does not sign (a signed body of one shop re-sent under another shop's domain is quarantined).
 */
const ofShop =
  <T>(
    domainOf: (payload: T) => string,
    toChange: (payload: T, context: Context) => ShopifyChange,
  ): ((payload: T, context: Context) => ShopifyChange | NotApplied) =>
  (payload, context) =>
    domainOf(payload).toLowerCase() === context.shop
      ? toChange(payload, context)
      : { kind: 'quarantine', reason: 'the shop named in the body is not the X-Shopify-Shop-Domain header' };

const order = topic(OrderPayload, (payload): ShopifyChange | NotApplied => {
  const facts = toOrderFacts(payload);
  return facts
    ? { type: 'order', order: facts }
    : { kind: 'ignore', reason: 'order has no customer', metric: 'GuestOrderIgnored' };
});

const tags = (present: boolean) =>
  topic(CustomerTagsPayload, (p): ShopifyChange => {
    const at = utc(p.occurredAt);
    return { type: 'customer-tags', customerId: p.customerId, tags: { tags: p.tags, present, at } };
  });

const consent = topic(ConsentPayload, (p, { triggeredAt }): ShopifyChange => {
  const change = toConsentChange(p);
  // Without Shopify's consent time, the webhook's trigger time orders it among other changes.
  return {
    type: 'consent',
    customerId: p.customer_id,
    consent: { ...change, updatedAt: change.updatedAt ?? triggeredAt },
  };
});

const customer = topic(
  CustomerPayload,
  (p): ShopifyChange => ({
    type: 'customer',
    customerId: p.id,
    update: { email: p.email ?? null, address: toCustomerAddress(p), at: utc(p.updated_at) },
  }),
);

/**
 * The topics Loyalty Loop subscribes to (a Map: a topic header such as `__proto__` finds nothing);
 * any other topic is answered 200 and ignored.
 */
const TOPICS = new Map<string, TopicParser>([
  ['orders/create', order],
  ['orders/updated', order],
  ['orders/cancelled', order],
  [
    'refunds/create',
    topic(RefundPayload, (p): ShopifyChange => ({ type: 'refund', refund: toRefundFacts(p) })),
  ],
  // Shopify's topic lists spell it `customers_email_marketing_consent/update` (GraphQL
  // CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE); its 2025-01 changelog `customers/email_marketing_consent_update`.
  // Either header is taken.
  ['customers_email_marketing_consent/update', consent],
  ['customers/email_marketing_consent_update', consent],
  ['customer.tags_added', tags(true)],
  ['customer.tags_removed', tags(false)],
  ['customers/create', customer],
  ['customers/update', customer],
  [
    'customers/redact',
    topic(
      CustomerRedactPayload,
      ofShop(
        (p) => p.shop_domain,
        (p, { triggeredAt: at }): ShopifyChange => ({
          type: 'privacy',
          request: { type: 'customer-redact', customerId: p.customer.id, email: p.customer.email ?? null },
          at,
        }),
      ),
      'redaction requested',
    ),
  ],
  // A customer deleted in Shopify (possible only without orders) is erased like a redaction.
  [
    'customers/delete',
    topic(
      CustomerDeletionPayload,
      (p, { triggeredAt: at }): ShopifyChange => ({
        type: 'privacy',
        request: { type: 'customer-redact', customerId: p.id, email: null },
        at,
      }),
      'deletion requested',
    ),
  ],
  [
    'customers/data_request',
    topic(
      DataRequestPayload,
      ofShop(
        (p) => p.shop_domain,
        (p, { triggeredAt: at }): ShopifyChange => ({
          type: 'privacy',
          request: {
            type: 'data-request',
            requestId: p.data_request.id,
            customerId: p.customer.id,
            email: p.customer.email ?? null,
          },
          at,
        }),
      ),
      'export requested',
    ),
  ],
  [
    'shop/redact',
    topic(
      ShopRedactPayload,
      ofShop(
        (p) => p.shop_domain,
        (_p, { triggeredAt: at }): ShopifyChange => ({
          type: 'privacy',
          request: { type: 'shop-redact' },
          at,
        }),
      ),
      'redaction requested',
    ),
  ],
  [
    'app/uninstalled',
    topic(
      UninstallPayload,
      ofShop(
        (p) => p.myshopify_domain,
        (_p, { triggeredAt: at }): ShopifyChange => ({ type: 'uninstall', at }),
      ),
      'uninstalled',
    ),
  ],
]);

/**
 * The topics parsed here: the one list the shops' webhook subscriptions follow (`npm run
 * subscriptions`), each once (the consent topic's second spelling is an alias).
 */
export const HANDLED_TOPICS: readonly string[] = [...TOPICS.keys()].filter(
  (name) => name !== 'customers/email_marketing_consent_update',
);

/**
 * Parses a delivery's body (raw bytes), by its topic, into the change it stands for. A topic not
 * subscribed to is quarantined like any other body that cannot be used: Shopify sends only the
 * topics subscribed to, so an authentic delivery of another topic is a misconfiguration or a replay.
 */
export const parseWebhook = ({
  topic: name,
  shop,
  body,
  triggeredAt,
  headerProblem,
}: Pick<WebhookDelivery, 'topic' | 'shop' | 'body' | 'triggeredAt' | 'headerProblem'>): ParsedWebhook => {
  if (headerProblem) return { kind: 'quarantine', reason: headerProblem };
  const parser = TOPICS.get(name);
  if (!parser) return { kind: 'quarantine', reason: `topic "${name}" is not subscribed to` };
  let value: unknown;
  try {
    value = parseJsonLossless(body.toString('utf8'));
  } catch (error) {
    return { kind: 'quarantine', reason: `body is not JSON: ${(error as Error).name}` };
  }
  return parser(value, { shop, triggeredAt });
};
