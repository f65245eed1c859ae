import { describe, expect, it } from 'vitest';
import { emptyAggregate } from '#domain/aggregate.ts';
import { segmentTransitions } from '#domain/journey.ts';
import {
  type OrderContribution,
  orderContribution,
  type ProductSelector,
  selectorKey,
} from '#domain/order.ts';
import { countsFor, recount, reindexCustomer, selectorKeys, withCounted } from '#domain/reindex.ts';
import { CROISSANT, orderFactory, RUM_BABA, TEA } from '../support/factories.ts';

const SHOP = 'bakery-demo.myshopify.com';
const BY_PRODUCT: ProductSelector = { productIds: [CROISSANT.productId as string] };
const BY_SKU: ProductSelector = { skus: [CROISSANT.sku as string] };
const BY_VENDOR: ProductSelector = { vendors: ['Tea Partner'] };

const placed = orderFactory({
  orderId: '1',
  lines: [{ ...CROISSANT, quantity: 2 }, TEA, RUM_BABA],
  refunds: [
    {
      refundId: '11',
      orderId: '1',
      createdAt: '2026-05-02T00:00:00Z',
      amount: { amount: 100, currency: 'JPY' },
      lines: [{ ...CROISSANT, quantity: 1 }],
    },
  ],
});

/** An order stored before contributions kept their lines. */
const withoutLines = (order: OrderContribution): OrderContribution => {
  const { lines: _lines, ...rest } = order;
  return { ...rest, refunds: rest.refunds.map(({ lines: _l, ...refund }) => refund) };
};

describe('recount: an order counted again for selectors configured after it was stored', () => {
  it('counts the new selectors from the stored lines, its refunds taken off, as if they had been configured all along', () => {
    const stored = orderContribution(placed, { selectors: [] });
    const options = { selectors: [BY_SKU, BY_VENDOR] };

    const { order, exact } = recount(stored, options);

    expect(exact).toBe(true);
    expect(order).toEqual(orderContribution(placed, options));
    expect(order.selectors).toEqual({ [selectorKey(BY_SKU)]: 1, [selectorKey(BY_VENDOR)]: 1 });
  });

  it('counts an order stored without lines by product ids, exactly; by anything else it keeps what it had and says so', () => {
    const stored = withoutLines(orderContribution(placed, { selectors: [] }));

    expect(recount(stored, { selectors: [BY_PRODUCT] })).toEqual({
      order: expect.objectContaining({ selectors: { [selectorKey(BY_PRODUCT)]: 1 } }),
      exact: true,
    });
    expect(recount(stored, { selectors: [BY_SKU] })).toEqual({
      order: expect.objectContaining({ selectors: {} }),
      exact: false,
    });
  });
});

describe('counted selectors: which journeys a customer can be evaluated for', () => {
  const keys = selectorKeys([BY_SKU, BY_VENDOR]);

  it('a new customer counts every configured selector; an existing one keeps only those still configured', () => {
    const fresh = emptyAggregate(SHOP, '1', '2026-05-01T00:00:00Z');
    expect(withCounted(fresh, true, keys).counted).toEqual(keys);
    const old = { ...fresh, counted: [selectorKey(BY_SKU), selectorKey(BY_PRODUCT)] };
    expect(withCounted(old, false, keys).counted).toEqual([selectorKey(BY_SKU)]);
    // Written before reindexing existed: taken as complete, and left so.
    expect(withCounted(fresh, false, keys).counted).toBeUndefined();
    expect(countsFor(fresh, keys)).toBe(true);
    expect(countsFor(old, keys)).toBe(false);
  });

  it('a segment by a selector the customer does not count yet is neither entered nor left; the reindex enters it', () => {
    const segment = {
      id: 'tea-buyers',
      name: 'Tea buyers',
      when: { type: 'ordersContaining' as const, products: BY_VENDOR, count: { min: 1 } },
    };
    const order = orderContribution(placed, { selectors: [BY_VENDOR] });
    const before = { ...emptyAggregate(SHOP, '1', placed.updatedAt), counted: [] };
    const waiting = reindexCustomer(before, [order], { selectors: [BY_VENDOR] }).aggregate;

    expect(segmentTransitions([segment], before, { ...waiting, counted: [] })).toEqual([]);
    expect(segmentTransitions([segment], { ...waiting, counted: [] }, waiting)).toEqual([
      expect.objectContaining({ segmentId: 'tea-buyers', entered: true }),
    ]);
  });
});
