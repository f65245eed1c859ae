import type { CustomerAggregate } from '#domain/aggregate.ts';
import { emptyAggregate, rebuildFromOrders } from '#domain/aggregate.ts';
import { type OrderContribution, type OrderFacts, orderContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { catalog, seededRandom } from '../../local/shopify-webhooks.ts';
import { aggregateOfOrders } from '../../test/support/factories.ts';
import type { Benchmark } from '../benchmark.ts';
import { medianOfRuns } from '../stats.ts';

const SHOP = 'bench.myshopify.com';

/** `count` orders of one customer, a day apart, one to three catalog lines each. */
export const orderHistory = (count: number, random: () => number): OrderFacts[] =>
  Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString();
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      const product = catalog.products[Math.floor(random() * catalog.products.length)] ?? catalog.products[0];
      const variant = product?.variants[0];
      return {
        productId: String(product?.product_id),
        variantId: String(variant?.variant_id),
        sku: variant?.sku ?? null,
        vendor: product?.vendor ?? null,
        title: product?.title ?? '',
        quantity: 1 + Math.floor(random() * 2),
      };
    });
    return {
      orderId: String(10_000_000 + i),
      customerId: '1',
      email: 'bench@example.com',
      placedAt: at,
      updatedAt: at,
      total: { amount: 480 * lines.length, currency: 'JPY' },
      lines,
      cancelled: false,
      test: false,
      tags: i % 5 === 0 ? ['gift'] : [],
      discountCodes: [],
      channel: 'web',
      address: null,
    };
  });

/**
 * Loyalty Loop's way: each order is applied to the stored aggregate (constant work per order),
 * the fold the store's tests build a long-standing customer with.
 */
export const applyIncrementally = (orders: readonly OrderFacts[]): CustomerAggregate | null =>
  aggregateOfOrders(orders, { shop: SHOP });

/** The baseline: on each order, the customer's aggregate is recomputed from their whole history. */
export const recomputeEachTime = (orders: readonly OrderFacts[]): CustomerAggregate | null => {
  const history: OrderContribution[] = [];
  let aggregate: CustomerAggregate | null = null;
  for (const facts of orders) {
    history.push(orderContribution(facts, journeyConfig));
    aggregate = rebuildFromOrders(
      emptyAggregate(SHOP, facts.customerId, facts.updatedAt),
      history,
      facts.updatedAt,
    );
  }
  return aggregate;
};

/** Orders per second of both ways over the same history, measured in this process. */
export const aggregationThroughput = (orders: readonly OrderFacts[]) => {
  const time = (apply: (o: readonly OrderFacts[]) => CustomerAggregate | null) => {
    const started = performance.now();
    const result = apply(orders);
    return { seconds: (performance.now() - started) / 1000, result };
  };
  const incremental = time(applyIncrementally);
  const baseline = time(recomputeEachTime);
  // Both ways must agree, or the comparison means nothing.
  // Compared on what orders make (the baseline starts each time from an empty customer, without email).
  const strip = (a: CustomerAggregate | null) =>
    JSON.stringify(a ? { ...a, email: null, address: null, version: 0, updatedAt: '' } : null);
  if (strip(incremental.result) !== strip(baseline.result))
    throw new Error('incremental and recomputed aggregates differ');
  return {
    incrementalOrdersPerSecond: orders.length / incremental.seconds,
    recomputeOrdersPerSecond: orders.length / baseline.seconds,
  };
};

export const aggregation: Benchmark = {
  name: 'aggregation',
  label: 'P7',
  description:
    'the pure domain: orders/s applied incrementally vs recomputed from the whole history on each order',
  target: [{ metric: 'speedup', comparison: '>', threshold: 1, unit: '×' }],
  warm: null,
  run: async (context) => {
    const orders = context.quick ? 500 : 2_000;
    const figures = await medianOfRuns(context.runs, async () => {
      const measured = aggregationThroughput(orderHistory(orders, seededRandom(7)));
      return {
        ...measured,
        speedup: measured.incrementalOrdersPerSecond / measured.recomputeOrdersPerSecond,
      };
    });
    return {
      figures: { orders, ...figures },
      summary: `${Math.round(figures.incrementalOrdersPerSecond).toLocaleString('en')} vs ${Math.round(figures.recomputeOrdersPerSecond).toLocaleString('en')} orders/s (${orders.toLocaleString('en')}-order customer)`,
    };
  },
};
