import type { ConsentChange, TagChange } from './aggregate.ts';
import type { OrderFacts, RefundFacts } from './order.ts';

/** A compliance request, recorded at once and carried out by the privacy function. */
export type PrivacyRequest =
  | { type: 'customer-redact'; customerId: string; email: string | null }
  | { type: 'data-request'; requestId: string; customerId: string; email: string | null }
  | { type: 'shop-redact' };

export type CustomerUpdate = {
  email: string | null;
  address: { countryCode: string | null; provinceCode: string | null } | null;
  /** Shopify's `updated_at` of the customer. */
  at: string;
};

/**
 * One change in a shop, normalised from whatever carried it: a webhook (any topic), the
 * unsubscribe link, and later backfill and reconciliation records. The apply path takes exactly
 * these; nothing else writes an order or a customer.
 */
export type ShopifyChange =
  /** A version of an order: created, updated, cancelled (then `cancelled: true`), refunds listed. */
  | { type: 'order'; order: OrderFacts }
  /** A refund on its own (`refunds/create`): it names its order, not the customer. */
  | { type: 'refund'; refund: RefundFacts }
  | { type: 'consent'; customerId: string; consent: ConsentChange & { updatedAt: string } }
  | { type: 'customer-tags'; customerId: string; tags: TagChange }
  | { type: 'customer'; customerId: string; update: CustomerUpdate }
  /** Time passed: the customer evaluated at `at`, when a time condition flips (the sweep). */
  | { type: 'clock'; customerId: string; at: string }
  | { type: 'privacy'; request: PrivacyRequest; at: string }
  | { type: 'uninstall'; at: string };
