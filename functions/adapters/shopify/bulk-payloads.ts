import { z } from 'zod';
import type { ShopifyChange } from '#domain/change.ts';
import { EMAIL_MARKETING_STATES } from '#domain/conditions.ts';
import { toMinorUnits } from '#domain/money.ts';
import type { OrderFacts, OrderLine, RefundFacts } from '#domain/order.ts';
import { utc } from './payloads.ts';

/**
 * The lines of a Bulk Operation's JSONL (GraphQL Admin API 2026-10 field names), as backfill and
 * reconciliation read them. Only the fields used are read; others are ignored. Ids are GIDs
 * (`gid://shopify/Order/1`): their numeric part is the id the webhooks use.
 */

const gidOf = (type: string) =>
  z
    .string()
    .regex(new RegExp(`^gid://shopify/${type}/\\d+$`), `expected a ${type} gid`)
    .transform((gid) => gid.slice(gid.lastIndexOf('/') + 1));
const Timestamp = z.iso.datetime({ offset: true });
const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');
const Currency = z.string().regex(/^[A-Za-z]{3}$/);
/** A list field: GraphQL answers null for a field selected but not set, which reads as empty. */
const list = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .nullish()
    .transform((items): z.output<T>[] => items ?? []);
const MoneyBag = z.object({ shopMoney: z.object({ amount: Decimal, currencyCode: Currency }) });

/** A connection as a bulk query may give it inline: `{edges:[{node}]}`, `{nodes:[…]}` or a plain list. */
const connection = <T extends z.ZodType>(node: T) =>
  z
    .union([
      z.object({ edges: z.array(z.object({ node })).max(5_000) }),
      z.object({ nodes: z.array(node).max(5_000) }),
      z.array(node).max(5_000),
      z.null(),
    ])
    .transform((c): z.output<T>[] => {
      if (c === null) return [];
      if (Array.isArray(c)) return c;
      if ('nodes' in c) return c.nodes;
      return (c.edges as { node: z.output<T> }[]).map((edge) => edge.node);
    })
    .default([]);

export const BulkCustomer = z.object({
  id: gidOf('Customer'),
  email: z.string().max(320).nullish(),
  updatedAt: Timestamp,
  tags: list(z.string().max(255), 250),
  defaultAddress: z
    .object({ countryCodeV2: z.string().max(2).nullish(), provinceCode: z.string().max(10).nullish() })
    .nullish(),
  emailMarketingConsent: z
    .object({
      marketingState: z
        .string()
        .transform((s) => s.toLowerCase())
        .pipe(z.enum(EMAIL_MARKETING_STATES)),
      consentUpdatedAt: Timestamp.nullish(),
    })
    .nullish(),
});
export type BulkCustomer = z.infer<typeof BulkCustomer>;

const LineFields = {
  quantity: z.number().int().nonnegative().max(1_000_000),
  title: z.string().max(1_000).default(''),
  sku: z.string().max(255).nullish(),
  vendor: z.string().max(255).nullish(),
  product: z.object({ id: gidOf('Product') }).nullish(),
  variant: z.object({ id: gidOf('ProductVariant') }).nullish(),
};
const { quantity: _quantity, ...LineIdentity } = LineFields;
export const BulkLineItem = z.object({ id: gidOf('LineItem'), ...LineFields, __parentId: gidOf('Order') });

const BulkRefund = z.object({
  id: gidOf('Refund'),
  createdAt: Timestamp,
  refundLineItems: connection(z.object({ quantity: LineFields.quantity, lineItem: z.object(LineIdentity) })),
  transactions: connection(
    z.object({ kind: z.string().max(50), status: z.string().max(50).nullish(), amountSet: MoneyBag }),
  ),
});

export const BulkOrder = z.object({
  id: gidOf('Order'),
  email: z.string().max(320).nullish(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  processedAt: Timestamp.nullish(),
  cancelledAt: Timestamp.nullish(),
  test: z
    .boolean()
    .nullish()
    .transform((test) => test === true),
  tags: list(z.string().max(255), 250),
  discountCodes: list(z.string().max(255), 100),
  sourceName: z.string().max(255).nullish(),
  totalPriceSet: MoneyBag,
  customer: z.object({ id: gidOf('Customer') }).nullish(),
  refunds: list(BulkRefund, 1_000),
});
export type BulkOrder = z.infer<typeof BulkOrder>;
export type BulkLineItem = z.infer<typeof BulkLineItem>;

const toLine = (
  line: Omit<z.infer<z.ZodObject<typeof LineFields>>, 'quantity'>,
  quantity: number,
): OrderLine => ({
  productId: line.product?.id ?? null,
  variantId: line.variant?.id ?? null,
  sku: line.sku || null,
  vendor: line.vendor ?? null,
  title: line.title,
  quantity,
});

const toRefund = (orderId: string, refund: z.infer<typeof BulkRefund>): RefundFacts => {
  const paid = refund.transactions.filter(
    (t) => t.kind.toUpperCase() === 'REFUND' && (t.status ?? 'SUCCESS').toUpperCase() === 'SUCCESS',
  );
  const currency = paid[0]?.amountSet.shopMoney.currencyCode.toUpperCase();
  return {
    refundId: refund.id,
    orderId,
    createdAt: utc(refund.createdAt),
    amount: currency
      ? {
          amount: paid
            .filter((t) => t.amountSet.shopMoney.currencyCode.toUpperCase() === currency)
            .reduce((sum, t) => sum + toMinorUnits(t.amountSet.shopMoney.amount, currency), 0),
          currency,
        }
      : null,
    lines: refund.refundLineItems.map((r) => toLine(r.lineItem, r.quantity)),
  };
};

/** An order of history with its line items: the change it stands for (null: a guest order). */
export const bulkOrderChange = (order: BulkOrder, items: readonly BulkLineItem[]): ShopifyChange | null => {
  if (!order.customer) return null;
  const currency = order.totalPriceSet.shopMoney.currencyCode.toUpperCase();
  const facts: OrderFacts = {
    orderId: order.id,
    customerId: order.customer.id,
    email: order.email ?? null,
    placedAt: utc(order.processedAt ?? order.createdAt),
    updatedAt: utc(order.updatedAt),
    total: { amount: toMinorUnits(order.totalPriceSet.shopMoney.amount, currency), currency },
    lines: items.map((item) => toLine(item, item.quantity)),
    cancelled: order.cancelledAt != null,
    test: order.test,
    tags: order.tags,
    discountCodes: order.discountCodes,
    channel: order.sourceName || null,
    address: null,
    refunds: order.refunds.map((r) => toRefund(order.id, r)),
  };
  return { type: 'order', order: facts };
};

/** A customer of history: their profile, consent and tags, each as the change a webhook would bring. */
export const bulkCustomerChanges = (customer: BulkCustomer): ShopifyChange[] => {
  const at = utc(customer.updatedAt);
  const { id: customerId } = customer;
  const address = customer.defaultAddress
    ? {
        countryCode: customer.defaultAddress.countryCodeV2?.toUpperCase() || null,
        provinceCode: customer.defaultAddress.provinceCode || null,
      }
    : null;
  const changes: ShopifyChange[] = [
    { type: 'customer', customerId, update: { email: customer.email ?? null, address, at } },
  ];
  const consent = customer.emailMarketingConsent;
  if (consent)
    changes.push({
      type: 'consent',
      customerId,
      consent: {
        state: consent.marketingState,
        updatedAt: consent.consentUpdatedAt ? utc(consent.consentUpdatedAt) : at,
        email: customer.email ?? null,
      },
    });
  if (customer.tags.length > 0)
    changes.push({ type: 'customer-tags', customerId, tags: { tags: customer.tags, present: true, at } });
  return changes;
};
