import {
  catalogLine,
  consentPayload,
  type Delivery,
  type LineItemInput,
  type OrderWebhook,
  orderPayload,
  type RefundWebhook,
  refundPayload,
} from '../../local/shopify-webhooks.ts';

/**
 * Shopify webhook payloads for tests, as factories with overrides in Shopify's own field names
 * (`orderPayloadFactory({ line_items: [...] })`), built on the local world's Shopify
 * (`local/shopify-webhooks.ts`). The defaults tell one story: customer 7001 buys a Rum Baba.
 */

export {
  catalogLine,
  DEMO_SHOP,
  type Delivery,
  type LineItemInput,
  LOCAL_WEBHOOK_SECRET,
  type OrderWebhook,
  type RefundWebhook,
  seededRandom,
  sign,
} from '../../local/shopify-webhooks.ts';

/** The demo catalog's Rum Baba (product 8001000000001). */
export const RUM_BABA_ID = 8001000000001;

export type OrderPayloadOverrides = Partial<
  Omit<OrderWebhook, 'customer' | 'line_items' | 'refunds' | 'email'>
> & {
  /** The order's customer; null: a guest order. @default { id: 7001 } */
  customer?: { id: number } | null;
  /** @default the customer's address, `customer{id}@example.com` */
  email?: string;
  /** @default one Rum Baba */
  line_items?: LineItemInput[];
  /** Refunds made so far, as `refundPayloadFactory` makes them. */
  refunds?: RefundWebhook[];
};

/**
 * An `orders/*` payload: order 9001 of customer 7001, placed 2026-11-02 09:00 in Tokyo, one Rum
 * Baba. Totals follow the lines; any other field given replaces the one made.
 */
export const orderPayloadFactory = (overrides: OrderPayloadOverrides = {}): OrderWebhook => {
  const {
    id = 9001,
    customer = { id: 7001 },
    email,
    created_at: createdAt = '2026-11-02T09:00:00+09:00',
    updated_at: updatedAt,
    cancelled_at: cancelledAt,
    currency,
    test,
    line_items: lines = [catalogLine(RUM_BABA_ID)],
    refunds,
    ...fields
  } = overrides;
  const made = orderPayload({
    id,
    customerId: customer?.id ?? null,
    email,
    createdAt,
    updatedAt,
    cancelledAt,
    currency,
    test,
    lines,
    refunds,
  });
  return { ...made, ...fields };
};

export type RefundPayloadOverrides = {
  /** @default 77 */
  id?: number;
  /** @default 9001 */
  order_id?: number;
  /** @default 2026-11-03 00:00 UTC */
  created_at?: string;
  /** Units taken back. @default one Rum Baba */
  refund_line_items?: { line_item: LineItemInput; quantity: number }[];
  /** The money returned. @default the refunded lines' price */
  amount?: string;
  currency?: string;
};

/** A `refunds/create` payload: one Rum Baba of order 9001 taken back, its price returned. */
export const refundPayloadFactory = (overrides: RefundPayloadOverrides = {}): RefundWebhook =>
  refundPayload({
    id: overrides.id ?? 77,
    orderId: overrides.order_id ?? 9001,
    createdAt: overrides.created_at ?? '2026-11-03T00:00:00Z',
    lines: (overrides.refund_line_items ?? [{ line_item: catalogLine(RUM_BABA_ID), quantity: 1 }]).map(
      ({ line_item: line, quantity }) => ({ line, quantity }),
    ),
    amount: overrides.amount,
    currency: overrides.currency,
  });

export type ConsentPayloadOverrides = {
  /** @default 7001 */
  customer_id?: number;
  /** @default `customer{customer_id}@example.com` */
  email_address?: string;
  email_marketing_consent?: {
    /** @default 'subscribed' */
    state?: string;
    /** @default 2026-11-01 00:00 UTC */
    consent_updated_at?: string;
  };
};

/** A `customers/email_marketing_consent_update` payload: customer 7001 subscribed on 2026-11-01. */
export const consentPayloadFactory = (overrides: ConsentPayloadOverrides = {}) => {
  const customerId = overrides.customer_id ?? 7001;
  return consentPayload(
    customerId,
    overrides.email_marketing_consent?.state ?? 'subscribed',
    overrides.email_marketing_consent?.consent_updated_at ?? '2026-11-01T00:00:00Z',
    overrides.email_address ?? `customer${customerId}@example.com`,
  );
};

/**
 * A consent update as Shopify delivers it: the customer's email marketing consent (subscribed
 * unless told otherwise) as of `at` (default: now), to the demo shop unless told otherwise.
 */
export const consentDelivery = (
  customerId: number,
  options: { shop?: string; state?: string; at?: Date | string; email?: string } = {},
): Delivery => ({
  shop: options.shop,
  topic: 'customers/email_marketing_consent_update',
  payload: consentPayloadFactory({
    customer_id: customerId,
    email_address: options.email,
    email_marketing_consent: {
      state: options.state,
      consent_updated_at:
        typeof options.at === 'string' ? options.at : (options.at ?? new Date()).toISOString(),
    },
  }),
});
