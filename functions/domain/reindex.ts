import { type CustomerAggregate, rebuildFromOrders } from './aggregate.ts';
import {
  type ContributionOptions,
  net,
  type OrderContribution,
  type ProductSelector,
  type RefundContribution,
  selectorKey,
  selectorUnits,
} from './order.ts';

/**
 * Reindexing: when journeys or segments start counting orders by a selector the stored aggregates
 * do not count yet (a new product selection), every customer's counters are rebuilt from their
 * stored orders' lines — no Shopify backfill needed. Until a customer is reindexed, journeys and
 * segments that need the new selector wait for them (`countsFor`): they neither enter nor leave
 * a stage on counters that miss the customer's earlier orders.
 */

/** The selector keys a configuration counts. */
export const selectorKeys = (selectors: readonly ProductSelector[]): string[] =>
  [...new Set(selectors.map(selectorKey))].sort();

/** Whether an aggregate counts every order by each of `keys` (see `CustomerAggregate.counted`). */
export const countsFor = (agg: CustomerAggregate, keys: readonly string[]): boolean =>
  agg.counted === undefined || keys.every((key) => agg.counted?.includes(key));

/**
 * The aggregate as a write under a configuration with these selector keys leaves it: a new
 * customer counts them all (they have no earlier orders); an existing one keeps only those it
 * counted that are still configured — a selector dropped and configured again later is not
 * counted in between, so it needs a reindex then.
 */
export const withCounted = (
  agg: CustomerAggregate,
  isNew: boolean,
  keys: readonly string[],
): CustomerAggregate => {
  if (isNew) return { ...agg, counted: [...keys] };
  if (agg.counted === undefined) return agg;
  return { ...agg, counted: agg.counted.filter((key) => keys.includes(key)) };
};

/** Whether the customer needs a reindex for a configuration with these selector keys. */
export const needsReindex = (agg: CustomerAggregate, keys: readonly string[]): boolean =>
  agg.counted !== undefined && !countsFor(agg, keys);

/**
 * Units per selector of stored units when the lines are not stored (orders kept before lines
 * were): exact for a selector by product ids alone, else null.
 */
const fromProducts = (
  products: Record<string, number>,
  selectors: readonly ProductSelector[],
): Record<string, number> | null => {
  const units: Record<string, number> = {};
  for (const selector of selectors) {
    const { productIds, ...others } = selector;
    if (Object.values(others).some((values) => values && values.length > 0)) return null;
    const n = (productIds ?? []).reduce((sum, id) => sum + (products[id] ?? 0), 0);
    if (n > 0) units[selectorKey(selector)] = n;
  }
  return units;
};

/** A refund counted again for `selectors`; `exact` false when it predates stored lines and a selector needs them. */
const recountRefund = (refund: RefundContribution, selectors: readonly ProductSelector[]) => {
  const units = refund.lines
    ? selectorUnits(refund.lines, selectors)
    : fromProducts(refund.products, selectors);
  return { refund: { ...refund, selectors: units ?? refund.selectors }, exact: units !== null };
};

/**
 * An order's contribution counted again for `options`' selectors, from its stored lines (less its
 * refunds'). `exact` is false for an order stored before lines were kept whose selectors need
 * more than product ids: it keeps the counts it had.
 */
export const recount = (
  order: OrderContribution,
  options: ContributionOptions,
): { order: OrderContribution; exact: boolean } => {
  const units = order.lines
    ? selectorUnits(order.lines, options.selectors)
    : fromProducts(order.gross.products, options.selectors);
  const refunds = order.refunds.map((refund) => recountRefund(refund, options.selectors));
  const gross = { ...order.gross, selectors: units ?? order.gross.selectors };
  const refunded = refunds.map(({ refund }) => refund);
  return {
    order: { ...order, ...net(gross, refunded), gross, refunds: refunded },
    exact: units !== null && refunds.every(({ exact }) => exact),
  };
};

/**
 * A customer reindexed: every stored order counted again for the configured selectors, the
 * order-derived fields rebuilt from them (as `rebuildFromOrders`, exact), and the aggregate marked
 * as counting every configured selector. `inexact`: orders whose new counts could not be exact.
 */
export const reindexCustomer = (
  agg: CustomerAggregate,
  orders: readonly OrderContribution[],
  options: ContributionOptions,
): { aggregate: CustomerAggregate; orders: OrderContribution[]; inexact: number } => {
  const recounted = orders.map((order) => recount(order, options));
  return {
    aggregate: {
      ...rebuildFromOrders(
        agg,
        recounted.map(({ order }) => order),
        agg.updatedAt,
      ),
      counted: selectorKeys(options.selectors),
    },
    orders: recounted.map(({ order }) => order),
    inexact: recounted.filter(({ exact }) => !exact).length,
  };
};
