import { z } from 'zod';
import type { ConsentChange } from '#domain/aggregate.ts';
import { EMAIL_MARKETING_STATES } from '#domain/conditions.ts';
import { toMinorUnits } from '#domain/money.ts';
import type { OrderFacts, OrderLine, RefundFacts } from '#domain/order.ts';

/**
 * The API version the webhook subscriptions and the Admin API client are pinned to (README:
 * "Shopify API version"). Shopify supports a version for twelve months from its release (the first
 * day of its month); `test/unit/shopify-api-version.test.ts` fails eleven months after release.
 */
export const SHOPIFY_API_VERSION = '2026-10';

/**
 * Shopify REST ids are integers that can exceed 2^53: bodies are parsed with `parseJsonLossless`,
 * which hands such an id over as its digits, so an id is a safe JSON number or a digit string.
 */
export const ShopifyId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
  .transform(String);
const Timestamp = z.iso.datetime({ offset: true });
const ShopDomainField = z.string().max(255);

/**
 * Shopify's REST payloads name their resource as `admin_graphql_api_id` (`gid://shopify/Order/1`):
 * where a body carries one, it must be of the topic's resource and id. A signed body of one topic
 * re-sent under another topic's header (an order as a customer update) is told apart by it.
 */
const ofResource =
  (resource: 'Order' | 'Customer' | 'Refund') =>
  (payload: { id: string; admin_graphql_api_id?: string | null | undefined }, ctx: z.RefinementCtx) => {
    const gid = payload.admin_graphql_api_id;
    if (gid != null && gid !== `gid://shopify/${resource}/${payload.id}`)
      ctx.addIssue({
        code: 'custom',
        path: ['admin_graphql_api_id'],
        message: `expected a ${resource} gid of id ${payload.id}: the body is not of this topic`,
      });
  };
const Gid = z.string().max(100).nullish();
const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');

const LineItem = z.object({
  product_id: ShopifyId.nullish(),
  variant_id: ShopifyId.nullish(),
  sku: z.string().nullish(),
  vendor: z.string().nullish(),
  title: z.string(),
  quantity: z.number().int().nonnegative().max(1_000_000),
});

const Address = z.object({
  country_code: z.string().nullish(),
  province_code: z.string().nullish(),
});

/**
 * A refund, as `refunds/create` delivers it and as an order lists it in `refunds`: the units
 * taken back (`refund_line_items`, each with its order line) and the money returned (`transactions`).
 */
const RefundFields = z.object({
  id: ShopifyId,
  admin_graphql_api_id: Gid,
  order_id: ShopifyId,
  created_at: Timestamp,
  refund_line_items: z
    .array(
      z.object({
        quantity: z.number().int().nonnegative().max(1_000_000),
        line_item: LineItem.omit({ quantity: true }).extend({ title: z.string().max(1_000).default('') }),
      }),
    )
    .max(5_000)
    .default([]),
  transactions: z
    .array(
      z.object({
        amount: Decimal,
        kind: z.string().max(50),
        status: z.string().max(50).nullish(),
        currency: z
          .string()
          .regex(/^[A-Za-z]{3}$/)
          .nullish(),
      }),
    )
    .max(1_000)
    .default([]),
});
export const RefundPayload = RefundFields.superRefine(ofResource('Refund'));
export type RefundPayload = z.infer<typeof RefundPayload>;

/** The fields of an `orders/create` / `orders/updated` payload that Loyalty Loop reads. */
export const OrderPayload = z
  .object({
    id: ShopifyId,
    admin_graphql_api_id: Gid,
    email: z.string().nullish(),
    contact_email: z.string().nullish(),
    created_at: Timestamp,
    updated_at: Timestamp,
    processed_at: Timestamp.nullish(),
    cancelled_at: Timestamp.nullish(),
    currency: z.string().regex(/^[A-Za-z]{3}$/),
    total_price: Decimal,
    current_total_price: Decimal.nullish(),
    test: z.boolean().default(false),
    /** REST payloads carry tags as one comma-separated string. */
    tags: z.string().max(10_000).nullish(),
    discount_codes: z
      .array(z.object({ code: z.string().max(255) }))
      .max(100)
      .nullish(),
    source_name: z.string().max(255).nullish(),
    customer: z
      .object({ id: ShopifyId, email: z.string().nullish(), default_address: Address.nullish() })
      .nullish(),
    line_items: z.array(LineItem).max(5_000),
    /** The order's refunds so far: each is taken off the order's figures once (see `toRefundFacts`). */
    refunds: z
      .array(RefundFields.omit({ order_id: true, admin_graphql_api_id: true }))
      .max(1_000)
      .default([]),
  })
  .superRefine(ofResource('Order'));
export type OrderPayload = z.infer<typeof OrderPayload>;

export const ConsentPayload = z.object({
  customer_id: ShopifyId,
  email_address: z.string().nullish(),
  email_marketing_consent: z.object({
    state: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(EMAIL_MARKETING_STATES)),
    opt_in_level: z.string().nullish(),
    consent_updated_at: Timestamp.nullish(),
  }),
});
export type ConsentPayload = z.infer<typeof ConsentPayload>;

/** Customer ids arrive as numbers or, in the newer customer.* topics, as `gid://shopify/Customer/123`. */
const CustomerGid = z
  .union([z.number().int().nonnegative(), z.string().regex(/^(gid:\/\/shopify\/Customer\/)?\d+$/)])
  .transform((id) => String(id).replace(/^gid:\/\/shopify\/Customer\//, ''));

/** `customer.tags_added` / `customer.tags_removed`. */
export const CustomerTagsPayload = z.object({
  customerId: CustomerGid,
  tags: z.array(z.string().max(255)).max(250),
  occurredAt: Timestamp,
});
export type CustomerTagsPayload = z.infer<typeof CustomerTagsPayload>;

/** `customers/create` / `customers/update`: the fields read (tags and consent have topics of their own). */
export const CustomerPayload = z
  .object({
    id: ShopifyId,
    admin_graphql_api_id: Gid,
    email: z.string().max(320).nullish(),
    updated_at: Timestamp,
    default_address: Address.nullish(),
  })
  .superRefine(ofResource('Customer'));

/**
 * `customers/delete`: only the deleted customer's id and empty shells. Strict, so no other
 * customer body (a `customers/update`, which has an email and dates) can pass for a deletion.
 */
export const CustomerDeletionPayload = z
  .strictObject({
    id: ShopifyId,
    admin_graphql_api_id: Gid,
    phone: z.null().optional(),
    addresses: z.array(z.unknown()).max(0).optional(),
    tax_exemptions: z.array(z.string().max(100)).max(100).optional(),
    email_marketing_consent: z.null().optional(),
    sms_marketing_consent: z.null().optional(),
  })
  .superRefine(ofResource('Customer'));
export type CustomerPayload = z.infer<typeof CustomerPayload>;

const ComplianceCustomer = z.object({ id: ShopifyId, email: z.string().max(320).nullish() });

/**
 * The mandatory compliance topics name their shop in the body (checked against the header), and
 * each has a shape of its own: strict, so that none passes for another (a data request re-sent as
 * a redaction, a customer's redaction as the shop's).
 */
export const DataRequestPayload = z.strictObject({
  shop_id: ShopifyId,
  shop_domain: ShopDomainField,
  customer: ComplianceCustomer.loose(),
  orders_requested: z.array(ShopifyId).max(100_000).nullish(),
  data_request: z.object({ id: ShopifyId }),
});

/** `customers/redact`: the customer whose data must be erased (and their orders). */
export const CustomerRedactPayload = z.strictObject({
  shop_id: ShopifyId,
  shop_domain: ShopDomainField,
  customer: ComplianceCustomer.loose(),
  orders_to_redact: z.array(ShopifyId).max(100_000),
});

/** `shop/redact`: 48 hours after an uninstall, erase the shop. */
export const ShopRedactPayload = z.strictObject({ shop_id: ShopifyId, shop_domain: ShopDomainField });

/** `app/uninstalled`: the shop object. */
export const UninstallPayload = z.looseObject({ id: ShopifyId, myshopify_domain: ShopDomainField });

const toAddress = (address: z.infer<typeof Address> | null | undefined) =>
  address
    ? {
        countryCode: address.country_code?.toUpperCase() || null,
        provinceCode: address.province_code || null,
      }
    : null;

export const toCustomerAddress = (payload: CustomerPayload) => toAddress(payload.default_address);

/** A Shopify timestamp (any offset) as ISO 8601 UTC. */
export const utc = (timestamp: string): string => new Date(timestamp).toISOString();

const toLine = (line: Omit<z.infer<typeof LineItem>, 'quantity'>, quantity: number): OrderLine => ({
  productId: line.product_id ?? null,
  variantId: line.variant_id ?? null,
  sku: line.sku || null,
  vendor: line.vendor ?? null,
  title: line.title,
  quantity,
});

/** Maps an order payload to domain facts; null when the order has no customer (guest checkout). */
export const toOrderFacts = (order: OrderPayload): OrderFacts | null => {
  if (!order.customer) return null;
  const currency = order.currency.toUpperCase();
  return {
    orderId: order.id,
    customerId: order.customer.id,
    email: order.customer.email ?? order.email ?? order.contact_email ?? null,
    placedAt: utc(order.processed_at ?? order.created_at),
    updatedAt: utc(order.updated_at),
    // The original total: refunds are taken off by id, whichever webhook brings them first.
    total: { amount: toMinorUnits(order.total_price, currency), currency },
    lines: order.line_items.map((line) => toLine(line, line.quantity)),
    cancelled: order.cancelled_at != null,
    test: order.test,
    tags: (order.tags ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
    discountCodes: (order.discount_codes ?? []).map((d) => d.code),
    channel: order.source_name || null,
    address: toAddress(order.customer.default_address),
    refunds: order.refunds.map((refund) => toRefundFacts({ ...refund, order_id: order.id }, currency)),
  };
};

/**
 * Maps a refund to domain facts. The money returned is the sum of its successful refund
 * transactions, in the currency of the first that names one (Shopify refunds in the order's
 * currency) or else `orderCurrency` (when the refund comes inside its order). Transactions with
 * `currency: null` are in the order's currency: without one known here they are kept as decimals
 * and converted when the refund meets its order.
 */
export const toRefundFacts = (refund: RefundPayload, orderCurrency?: string): RefundFacts => {
  const paid = refund.transactions.filter(
    (t) => t.kind === 'refund' && (t.status ?? 'success') === 'success',
  );
  const currency = (paid.find((t) => t.currency)?.currency ?? orderCurrency)?.toUpperCase();
  const inCurrency = paid.filter((t) => !t.currency || t.currency.toUpperCase() === currency);
  return {
    refundId: refund.id,
    orderId: refund.order_id,
    createdAt: utc(refund.created_at),
    amount: currency
      ? { amount: inCurrency.reduce((sum, t) => sum + toMinorUnits(t.amount, currency), 0), currency }
      : null,
    ...(currency || paid.length === 0 ? {} : { inOrderCurrency: paid.map((t) => t.amount) }),
    lines: refund.refund_line_items.map(({ quantity, line_item }) => toLine(line_item, quantity)),
  };
};

export const toConsentChange = (payload: ConsentPayload): ConsentChange => ({
  state: payload.email_marketing_consent.state,
  updatedAt: payload.email_marketing_consent.consent_updated_at
    ? utc(payload.email_marketing_consent.consent_updated_at)
    : null,
  email: payload.email_address ?? null,
});
