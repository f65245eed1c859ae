import { type ZodType, z } from 'zod';
import {
  ConsentPayload,
  CustomerPayload,
  CustomerRedactPayload,
  CustomerTagsPayload,
  DataRequestPayload,
  OrderPayload,
  RefundPayload,
  ShopifyId,
  toConsentChange,
  toCustomerAddress,
  toOrderFacts,
  toRefundFacts,
  utc,
} from '#adapters/shopify/payloads.ts';
import { describeIssues } from '#commons/validation.ts';
import type { ShopifyChange } from '#domain/change.ts';
import type { WebhookDelivery } from './webhook.ts';

/** What a webhook body says: a change to apply, nothing to do, or an unusable payload to quarantine. */
export type ParsedWebhook =
  /** `acceptedAs`: how the answer names an applied change of this topic (compliance requests). */
  | { kind: 'change'; change: ShopifyChange; acceptedAs?: string }
  | { kind: 'ignore'; reason: string; metric?: string }
  | { kind: 'quarantine'; reason: string };

type TopicParser = (body: unknown, triggeredAt: string) => ParsedWebhook;
type Ignore = Extract<ParsedWebhook, { kind: 'ignore' }>;

/** A topic whose payload must fit `schema`; `toChange` turns it into the change it stands for. */
const topic =
  <T>(
    schema: ZodType<T>,
    toChange: (payload: T, triggeredAt: string) => ShopifyChange | Ignore,
    acceptedAs?: string,
  ): TopicParser =>
  (body, triggeredAt) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return { kind: 'quarantine', reason: describeIssues(parsed.error) };
    const result = toChange(parsed.data, triggeredAt);
    if (!('type' in result)) return result;
    return acceptedAs ? { kind: 'change', change: result, acceptedAs } : { kind: 'change', change: result };
  };

const order = topic(OrderPayload, (payload): ShopifyChange | Ignore => {
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
  [
    'customers/email_marketing_consent_update',
    topic(ConsentPayload, (p, triggeredAt): ShopifyChange => {
      const consent = toConsentChange(p);
      // Without Shopify's consent time, the webhook's trigger time orders it among other changes.
      return {
        type: 'consent',
        customerId: p.customer_id,
        consent: { ...consent, updatedAt: consent.updatedAt ?? triggeredAt },
      };
    }),
  ],
  ['customer.tags_added', tags(true)],
  ['customer.tags_removed', tags(false)],
  ['customers/create', customer],
  ['customers/update', customer],
  [
    'customers/redact',
    topic(
      CustomerRedactPayload,
      (p, at): ShopifyChange => ({
        type: 'privacy',
        request: { type: 'customer-redact', customerId: p.customer.id, email: p.customer.email ?? null },
        at,
      }),
      'redaction requested',
    ),
  ],
  // A customer deleted in Shopify (possible only without orders) is erased like a redaction.
  [
    'customers/delete',
    topic(
      z.looseObject({ id: ShopifyId }),
      (p, at): ShopifyChange => ({
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
      (p, at): ShopifyChange => ({
        type: 'privacy',
        request: {
          type: 'data-request',
          requestId: p.data_request.id,
          customerId: p.customer.id,
          email: p.customer.email ?? null,
        },
        at,
      }),
      'export requested',
    ),
  ],
  [
    'shop/redact',
    topic(
      z.looseObject({}),
      (_p, at): ShopifyChange => ({ type: 'privacy', request: { type: 'shop-redact' }, at }),
      'redaction requested',
    ),
  ],
  [
    'app/uninstalled',
    topic(z.looseObject({}), (_p, at): ShopifyChange => ({ type: 'uninstall', at }), 'uninstalled'),
  ],
]);

/** Parses a delivery's body (raw bytes), by its topic, into the change it stands for. */
export const parseWebhook = ({
  topic: name,
  shop,
  knownShop,
  body,
  triggeredAt,
}: WebhookDelivery): ParsedWebhook => {
  const parser = TOPICS.get(name);
  if (!parser) return { kind: 'ignore', reason: `topic "${name.slice(0, 100)}" is not handled` };
  if (!knownShop)
    return {
      kind: 'quarantine',
      reason: `missing or invalid X-Shopify-Shop-Domain header: "${shop.slice(0, 100)}"`,
    };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { kind: 'quarantine', reason: `body is not JSON: ${(error as Error).message}` };
  }
  return parser(value, triggeredAt);
};
