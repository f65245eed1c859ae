import { describe, expect, it } from 'vitest';
import { BulkCustomer, BulkLineItem, BulkOrder } from '#adapters/shopify/bulk-payloads.ts';
import { demoHistoryJsonl } from '../../local/shopify-admin/demo-history.ts';
import { ShopData } from '../../local/shopify-admin/store.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const YEAR_START = Date.parse('2025-06-01T00:00:00Z');
const RUM_BABA_PRODUCTS = ['gid://shopify/Product/8001000000001', 'gid://shopify/Product/8001000000008'];

type Line = Record<string, unknown> & { id: string };
const jsonl = demoHistoryJsonl({ now: NOW });
const lines = jsonl
  .trim()
  .split('\n')
  .map((text) => JSON.parse(text) as Line);
const ofType = (type: string) => lines.filter((line) => line.id.startsWith(`gid://shopify/${type}/`));
const customers = ofType('Customer');
const orders = ofType('Order') as (Line & {
  createdAt: string;
  cancelledAt: string | null;
  test: boolean;
  customer: { id: string } | null;
  refunds: unknown[];
})[];
const lineItems = ofType('LineItem') as (Line & { __parentId: string; product: { id: string } })[];

describe('demoHistoryJsonl', () => {
  it('tells the same year for the same seed and day, another for another seed', () => {
    expect(demoHistoryJsonl({ now: NOW + 3600_000 })).toBe(jsonl);
    expect(demoHistoryJsonl({ now: NOW, seed: 7 })).not.toBe(jsonl);
  });

  it('has ~300 customers and ~1,000 orders within the past 365 days', () => {
    expect(customers).toHaveLength(300);
    expect(orders).toHaveLength(1000);
    for (const order of orders) {
      const at = Date.parse(order.createdAt);
      expect(at).toBeGreaterThanOrEqual(YEAR_START);
      expect(at).toBeLessThan(NOW);
    }
  });

  it('lists every line item after its own order', () => {
    const position = new Map(lines.map((line, index) => [line.id, index]));

    for (const item of lineItems) {
      const parent = position.get(item.__parentId);
      expect(parent, item.id).toBeDefined();
      expect(position.get(item.id)).toBeGreaterThan(parent ?? Number.POSITIVE_INFINITY);
    }
  });

  it('has Rum Baba fans, refunds, cancellations, guests and test orders', () => {
    // Arrange
    const rumBabaOrders = new Set(
      lineItems.filter((item) => RUM_BABA_PRODUCTS.includes(item.product.id)).map((item) => item.__parentId),
    );
    const perCustomer = new Map<string, number>();

    // Act
    for (const order of orders)
      if (order.customer && rumBabaOrders.has(order.id) && !order.cancelledAt && !order.test)
        perCustomer.set(order.customer.id, (perCustomer.get(order.customer.id) ?? 0) + 1);

    // Assess
    const fans = [...perCustomer.values()].filter((count) => count >= 3);
    expect(fans.length).toBeGreaterThanOrEqual(10);
    expect([...perCustomer.values()].filter((count) => count === 1).length).toBeGreaterThan(10);
    expect(orders.filter((o) => o.refunds.length > 0 && !o.cancelledAt).length).toBeGreaterThan(20);
    expect(orders.filter((o) => o.cancelledAt).length).toBeGreaterThan(10);
    expect(orders.filter((o) => o.customer === null).length).toBeGreaterThan(0);
    expect(orders.filter((o) => o.test).length).toBeGreaterThan(0);
  });

  it("reads as the project's bulk history schemas expect (GraphQL 2025-10 names)", () => {
    for (const customer of customers) expect(BulkCustomer.safeParse(customer).error).toBeUndefined();
    for (const order of orders) expect(BulkOrder.safeParse(order).error).toBeUndefined();
    for (const item of lineItems) expect(BulkLineItem.safeParse(item).error).toBeUndefined();
  });

  it('loads into the Admin stand-in as one shop history', () => {
    expect(new ShopData().loadHistory(jsonl)).toEqual({
      customers: 300,
      orders: 1000,
      lineItems: lineItems.length,
    });
  });
});
