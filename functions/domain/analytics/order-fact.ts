import type { OrderContribution } from '../order.ts';

/** One product of an order as analytics counts it: units left after refunds. */
export type FactProduct = { productId: string; title: string; units: number };

/**
 * One applied version of an order, as the fact log keeps it: what analytics needs and nothing a
 * journey counts by (selectors change with the configuration; these figures do not).
 */
export type OrderFact = {
  orderId: string;
  placedAt: string;
  /** Shopify's `updated_at` of the version. */
  updatedAt: string;
  /** False for cancelled and test orders. */
  counts: boolean;
  excluded: 'cancelled' | 'test' | null;
  currency: string;
  /** Minor units before refunds. */
  gross: number;
  /** Minor units after refunds, never below zero. */
  net: number;
  /** Products with units left after refunds. */
  products: FactProduct[];
  /** The refunds taken off so far, by id. */
  refundIds: string[];
};

/** The fact of an order version as the aggregate counted it. */
export const orderFact = (contribution: OrderContribution): OrderFact => {
  const titles = new Map<string, string>();
  for (const line of contribution.lines ?? []) {
    if (line.productId !== null && !titles.has(line.productId)) titles.set(line.productId, line.title);
  }
  return {
    orderId: contribution.orderId,
    placedAt: contribution.placedAt,
    updatedAt: contribution.updatedAt,
    counts: contribution.counts,
    excluded: contribution.counts ? null : (contribution.excluded ?? 'cancelled'),
    currency: contribution.spent.currency,
    gross: contribution.gross.spent.amount,
    net: contribution.spent.amount,
    products: Object.entries(contribution.products)
      .filter(([, units]) => units > 0)
      .map(([productId, units]) => ({ productId, title: titles.get(productId) ?? productId, units }))
      .sort((a, b) => a.productId.localeCompare(b.productId)),
    refundIds: contribution.refunds.map((refund) => refund.refundId),
  };
};
