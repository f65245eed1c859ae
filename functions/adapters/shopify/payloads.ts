import { z } from 'zod';
import type { ConsentChange } from '#domain/aggregate.ts';
import { EMAIL_MARKETING_STATES } from '#domain/conditions.ts';
import { toMinorUnits } from '#domain/money.ts';
import type { OrderFacts } from '#domain/order.ts';

/** The Admin API version our webhook subscriptions are pinned to (README: "Shopify API version"). */
export const SHOPIFY_API_VERSION = '2025-10';

/** Shopify REST ids are integers that can exceed 2^53 in future; JSON numbers or strings are accepted. */
const ShopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
const Timestamp = z.iso.datetime({ offset: true });
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

/** The fields of an `orders/create` / `orders/updated` payload that Loyalty Loop reads. */
export const OrderPayload = z.object({
  id: ShopifyId,
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
});
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
export const CustomerPayload = z.object({
  id: ShopifyId,
  email: z.string().nullish(),
  updated_at: Timestamp,
  default_address: Address.nullish(),
});
export type CustomerPayload = z.infer<typeof CustomerPayload>;

/** `customers/data_request` (mandatory compliance topic): a customer asked for their data. */
export const DataRequestPayload = z.object({
  shop_domain: z.string().nullish(),
  customer: z.object({ id: ShopifyId, email: z.string().nullish() }),
  orders_requested: z.array(ShopifyId).max(100_000).nullish(),
  data_request: z.object({ id: ShopifyId }),
});

/** `customers/redact` (mandatory compliance topic): the customer whose data must be erased. */
export const CustomerRedactPayload = z.object({
  shop_domain: z.string().nullish(),
  customer: z.object({ id: ShopifyId, email: z.string().nullish() }),
  orders_to_redact: z.array(ShopifyId).max(100_000).nullish(),
});

const toAddress = (address: z.infer<typeof Address> | null | undefined) =>
  address
    ? {
        countryCode: address.country_code?.toUpperCase() || null,
        provinceCode: address.province_code || null,
      }
    : null;

export const toCustomerAddress = (payload: CustomerPayload) => toAddress(payload.default_address);

const utc = (timestamp: string): string => new Date(timestamp).toISOString();

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
    total: { amount: toMinorUnits(order.current_total_price ?? order.total_price, currency), currency },
    lines: order.line_items.map((line) => ({
      productId: line.product_id ?? null,
      variantId: line.variant_id ?? null,
      sku: line.sku || null,
      vendor: line.vendor ?? null,
      title: line.title,
      quantity: line.quantity,
    })),
    cancelled: order.cancelled_at != null,
    test: order.test,
    tags: (order.tags ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
    discountCodes: (order.discount_codes ?? []).map((d) => d.code),
    channel: order.source_name || null,
    address: toAddress(order.customer.default_address),
  };
};

export const toConsentChange = (payload: ConsentPayload): ConsentChange => ({
  state: payload.email_marketing_consent.state,
  updatedAt: payload.email_marketing_consent.consent_updated_at
    ? utc(payload.email_marketing_consent.consent_updated_at)
    : null,
  email: payload.email_address ?? null,
});
