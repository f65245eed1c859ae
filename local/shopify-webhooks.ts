import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';

/**
 * The local world's Shopify, webhook side (its Admin API stand-in is `shopify-admin/`): payload
 * factories shaped like the Admin API's webhook payloads (only the fields that matter plus
 * realistic neighbours), the demo catalog, and a client that signs and posts them like Shopify
 * does. Used by the demo, the load test, the benchmarks and the tests' support module.
 */

export const DEMO_SHOP = 'bakery-demo.myshopify.com';
export { SHOPIFY_API_VERSION };
/** The webhook secret the local stack verifies with unless told otherwise (`startLocalStack`). */
export const LOCAL_WEBHOOK_SECRET = 'local-dev-secret';

export type LineItemInput = {
  product_id: number;
  variant_id: number;
  sku: string;
  vendor: string;
  title: string;
  price: string;
  quantity: number;
};

type Catalog = {
  products: {
    product_id: number;
    title: string;
    vendor: string;
    variants: { variant_id: number; sku: string; price: string }[];
  }[];
};

/** The demo bakery's catalog (`journeys/bakery-catalog.json`). */
export const catalog = JSON.parse(
  readFileSync(new URL('../journeys/bakery-catalog.json', import.meta.url), 'utf8'),
) as Catalog;

/** An order line for a catalog product (its first variant unless told otherwise). */
export const catalogLine = (productId: number, quantity = 1, variantIndex = 0): LineItemInput => {
  const product = catalog.products.find((p) => p.product_id === productId);
  const variant = product?.variants[variantIndex];
  if (!product || !variant)
    throw new Error(`product ${productId} (variant ${variantIndex}) is not in the catalog`);
  return {
    product_id: product.product_id,
    variant_id: variant.variant_id,
    sku: variant.sku,
    vendor: product.vendor,
    title: product.title,
    price: variant.price,
    quantity,
  };
};

let nextLineId = 1_000_000;

/** An `orders/*` payload: the order, its lines and its customer, totals from the lines. */
export const orderPayload = (overrides: {
  id: number;
  customerId: number | null;
  email?: string;
  createdAt: string;
  updatedAt?: string;
  currency?: string;
  lines: LineItemInput[];
  cancelledAt?: string | null;
  test?: boolean;
  /** Refunds made so far (`refundPayload`s), listed as Shopify lists them on the order. */
  refunds?: RefundWebhook[];
}) => {
  const total = overrides.lines.reduce((sum, l) => sum + Number(l.price) * l.quantity, 0);
  const email =
    overrides.email ?? (overrides.customerId ? `customer${overrides.customerId}@example.com` : null);
  return {
    id: overrides.id,
    admin_graphql_api_id: `gid://shopify/Order/${overrides.id}`,
    name: `#${overrides.id % 100000}`,
    email,
    contact_email: email,
    created_at: overrides.createdAt,
    updated_at: overrides.updatedAt ?? overrides.createdAt,
    processed_at: overrides.createdAt,
    cancelled_at: overrides.cancelledAt ?? null,
    currency: overrides.currency ?? 'JPY',
    presentment_currency: overrides.currency ?? 'JPY',
    total_price: total.toFixed(2),
    subtotal_price: total.toFixed(2),
    current_total_price: total.toFixed(2),
    financial_status: 'paid',
    source_name: 'web',
    tags: '',
    test: overrides.test ?? false,
    discount_codes: [],
    customer:
      overrides.customerId === null
        ? null
        : {
            id: overrides.customerId,
            email,
            admin_graphql_api_id: `gid://shopify/Customer/${overrides.customerId}`,
          },
    line_items: overrides.lines.map((line) => ({
      id: nextLineId++,
      ...line,
      name: line.title,
      price_set: null,
    })),
    refunds: (overrides.refunds ?? []).map(({ order_id: _orderId, ...refund }) => refund),
  };
};

/** A `refunds/create` payload: units of some lines taken back and the money returned. */
export const refundPayload = (refund: {
  id: number;
  orderId: number;
  createdAt: string;
  lines: { line: LineItemInput; quantity: number }[];
  /** Money returned; default: the refunded lines' price. */
  amount?: string;
  currency?: string;
}) => {
  const amount =
    refund.amount ?? refund.lines.reduce((sum, l) => sum + Number(l.line.price) * l.quantity, 0).toFixed(2);
  return {
    id: refund.id,
    order_id: refund.orderId,
    admin_graphql_api_id: `gid://shopify/Refund/${refund.id}`,
    created_at: refund.createdAt,
    processed_at: refund.createdAt,
    note: null,
    restock: true,
    refund_line_items: refund.lines.map(({ line, quantity }) => ({
      id: nextLineId++,
      line_item_id: nextLineId++,
      quantity,
      restock_type: 'return',
      subtotal: (Number(line.price) * quantity).toFixed(2),
      total_tax: '0.00',
      line_item: { ...line, name: line.title },
    })),
    transactions: [
      {
        id: nextLineId++,
        order_id: refund.orderId,
        kind: 'refund',
        status: 'success',
        gateway: 'bogus',
        amount,
        currency: refund.currency ?? 'JPY',
      },
    ],
    order_adjustments: [],
  };
};

export type OrderWebhook = ReturnType<typeof orderPayload>;
export type RefundWebhook = ReturnType<typeof refundPayload>;

/** A `customers/email_marketing_consent_update` payload. */
export const consentPayload = (
  customerId: number,
  state: string,
  consentUpdatedAt: string,
  email = `customer${customerId}@example.com`,
) => ({
  customer_id: customerId,
  email_address: email,
  email_marketing_consent: { state, opt_in_level: 'single_opt_in', consent_updated_at: consentUpdatedAt },
});

export const sign = (body: string | Buffer, secret: string) =>
  createHmac('sha256', secret).update(body).digest('base64');

export type Delivery = {
  topic: string;
  payload: unknown;
  shop?: string;
  /** X-Shopify-Event-Id; the same id on a redelivery. */
  eventId?: string;
  secret?: string;
  /** Override the signature (e.g. a wrong one); null omits the header. */
  signature?: string | null;
};

/** The headers Shopify sends with a webhook's raw body: the X-Shopify-* ones and its HMAC. */
export const webhookHeaders = (
  delivery: Omit<Delivery, 'payload'>,
  body: string | Buffer,
): Record<string, string> => {
  const signature =
    delivery.signature === undefined
      ? sign(body, delivery.secret ?? LOCAL_WEBHOOK_SECRET)
      : delivery.signature;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-topic': delivery.topic,
    'x-shopify-shop-domain': delivery.shop ?? DEMO_SHOP,
    'x-shopify-api-version': SHOPIFY_API_VERSION,
    'x-shopify-event-id': delivery.eventId ?? randomUUID(),
    'x-shopify-webhook-id': randomUUID(),
    'x-shopify-triggered-at': new Date().toISOString(),
  };
  if (signature !== null) headers['x-shopify-hmac-sha256'] = signature;
  return headers;
};

/** Posts one webhook like Shopify does: raw JSON body, HMAC and the X-Shopify-* headers. */
export const deliver = async (
  baseUrl: string,
  delivery: Delivery,
): Promise<{ status: number; body: string }> => {
  const body = JSON.stringify(delivery.payload);
  const headers = webhookHeaders(delivery, body);
  const response = await fetch(`${baseUrl}/webhooks/shopify`, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
};

/**
 * Delivers every webhook with at most `concurrency` requests in flight. A request that fails at
 * the network level counts as status 0. With `attempts` > 1 a webhook not answered 2xx is sent
 * again (same event id), as Shopify retries. Results come in completion order.
 */
export const deliverAll = async (
  baseUrl: string,
  deliveries: readonly Delivery[],
  concurrency: number,
  attempts = 1,
): Promise<{ status: number; ms: number; attempts: number }[]> => {
  const results: { status: number; ms: number; attempts: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        if (!delivery) break;
        const stable = { ...delivery, eventId: delivery.eventId ?? randomUUID() };
        const started = performance.now();
        let status = 0;
        let attempt = 0;
        while (attempt < attempts && !(status >= 200 && status < 300)) {
          attempt++;
          ({ status } = await deliver(baseUrl, stable).catch(() => ({ status: 0 })));
        }
        results.push({ status, ms: performance.now() - started, attempts: attempt });
      }
    }),
  );
  return results;
};

/** mulberry32: a small seeded PRNG, so the same seed tells the same story (demo, tests). */
export const seededRandom = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
