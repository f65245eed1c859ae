import { type CustomerAggregate, emptyAggregate, type SelectorStats } from '#domain/aggregate.ts';
import { orderChange } from '#domain/apply.ts';
import type { OrderFacts, OrderLine } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';

export const RUM_BABA: OrderLine = {
  productId: '8001000000001',
  variantId: '4500100000001',
  sku: 'RB-001',
  vendor: 'Demo Bakery',
  title: 'Rum Baba',
  quantity: 1,
};
export const RUM_BABA_GIFT: OrderLine = {
  productId: '8001000000008',
  variantId: '4500100000008',
  sku: 'RB-GIFT-6',
  vendor: 'Demo Bakery',
  title: 'Rum Baba Gift Box',
  quantity: 1,
};
export const CROISSANT: OrderLine = {
  productId: '8001000000003',
  variantId: '4500100000003',
  sku: 'CR-001',
  vendor: 'Demo Bakery',
  title: 'Croissant',
  quantity: 1,
};
export const TEA: OrderLine = {
  productId: '8001000000005',
  variantId: '4500100000005',
  sku: 'TEA-EG-100',
  vendor: 'Tea Partner',
  title: 'Earl Grey Tea Leaves',
  quantity: 1,
};

export const orderFactory = (overrides: Partial<OrderFacts> = {}): OrderFacts => ({
  orderId: '9001',
  customerId: '7001',
  email: 'ann@example.com',
  placedAt: '2026-11-02T00:00:00.000Z',
  updatedAt: '2026-11-02T00:00:00.000Z',
  total: { amount: 480, currency: 'JPY' },
  lines: [RUM_BABA],
  cancelled: false,
  test: false,
  tags: [],
  discountCodes: [],
  channel: 'web',
  address: null,
  ...overrides,
});

export const aggregateFactory = (overrides: Partial<CustomerAggregate> = {}): CustomerAggregate => ({
  ...emptyAggregate('bakery-demo.myshopify.com', '7001', '2026-11-01T00:00:00.000Z'),
  ...overrides,
});

/**
 * A customer's aggregate after their orders, each applied in turn to the one before as the apply
 * path does (the demo journeys, no table); `now` is each change's evaluation time (default: the
 * order's update time). No aggregate for no orders.
 */
export const aggregateOfOrders = (
  orders: readonly OrderFacts[],
  options: { shop?: string; now?: string } = {},
): CustomerAggregate | null => {
  let aggregate: CustomerAggregate | null = null;
  for (const facts of orders) {
    const change = orderChange({
      shop: options.shop ?? 'bakery-demo.myshopify.com',
      current: aggregate,
      stored: undefined,
      facts,
      options: journeyConfig,
      now: options.now ?? facts.updatedAt,
    });
    if (typeof change === 'string') throw new Error(`order ${facts.orderId}: unexpected ${change}`);
    aggregate = change.aggregate;
  }
  return aggregate;
};

export const RUM_BABA_KEY = 'productIds=8001000000001,8001000000008';

/** Selector counters as the aggregate keeps them: `orders` orders (one unit each), last on `lastAt`. */
export const counter = (orders: number, lastAt = '2026-11-01T00:00:00.000Z') =>
  orders > 0 ? { orders, units: orders, firstAt: lastAt, lastAt } : undefined;

export const rumBabaCounters = (orders: number): Record<string, SelectorStats> => {
  const stats = counter(orders);
  return stats ? { [RUM_BABA_KEY]: stats } : {};
};
