import { describe, expect, it } from 'vitest';
import { applyConsent, replaceContribution } from '#domain/aggregate.ts';
import { consentChange, customerChange, orderChange } from '#domain/apply.ts';
import { orderContribution, selectorKey, supersedes } from '#domain/order.ts';
import { aggregateFactory, CROISSANT, orderFactory, RUM_BABA, RUM_BABA_GIFT } from '../support/factories.ts';

const SHOP = 'bakery-demo.myshopify.com';
const RUM_BABA_SELECTOR = { productIds: ['8001000000001', '8001000000008'] };
const options = { selectors: [RUM_BABA_SELECTOR] };
const NOW = '2026-11-24T00:00:00.000Z';

describe('orderContribution', () => {
  it('counts an order containing both Rum Baba products once, and units per product', () => {
    const c = orderContribution(
      orderFactory({ lines: [{ ...RUM_BABA, quantity: 3 }, RUM_BABA_GIFT, CROISSANT] }),
      options,
    );
    expect(c.selectors).toEqual({ [selectorKey(RUM_BABA_SELECTOR)]: 4 });
    expect(c.products).toEqual({ '8001000000001': 3, '8001000000008': 1, '8001000000003': 1 });
    expect(c.counts).toBe(true);
  });

  it.each([
    ['cancelled', { cancelled: true }],
    ['test', { test: true }],
  ])('a %s order is remembered but counts for nothing', (_name, override) => {
    expect(orderContribution(orderFactory(override), options).counts).toBe(false);
  });

  it('counts test orders when asked to', () => {
    expect(
      orderContribution(orderFactory({ test: true }), { ...options, countTestOrders: true }).counts,
    ).toBe(true);
  });

  it('ignores zero-quantity lines for product counters', () => {
    expect(
      orderContribution(orderFactory({ lines: [{ ...RUM_BABA, quantity: 0 }, CROISSANT] }), options)
        .selectors,
    ).toEqual({});
  });

  it('keys selectors independently of order and duplicates', () => {
    expect(selectorKey({ productIds: ['2', '1', '2'] })).toBe(selectorKey({ productIds: ['1', '2'] }));
    expect(selectorKey({ skus: ['A'] })).not.toBe(selectorKey({ productIds: ['A'] }));
  });
});

describe('applying orders', () => {
  it('replaces an older version of the same order instead of adding it twice', () => {
    const v1 = orderFactory({ lines: [RUM_BABA], total: { amount: 480, currency: 'JPY' } });
    const v2 = orderFactory({
      updatedAt: '2026-11-03T00:00:00.000Z',
      lines: [RUM_BABA, CROISSANT],
      total: { amount: 780, currency: 'JPY' },
    });
    const first = orderChange({ shop: SHOP, current: null, stored: undefined, facts: v1, options, now: NOW });
    if (typeof first === 'string') throw new Error(`unexpected ${first}`);
    const second = orderChange({
      shop: SHOP,
      current: first.aggregate,
      stored: first.order,
      facts: v2,
      options,
      now: NOW,
    });
    if (typeof second === 'string') throw new Error(`unexpected ${second}`);
    expect(second.aggregate).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 780, currency: 'JPY' },
      version: 2,
    });
    expect(second.aggregate.products['8001000000003']).toEqual({ orders: 1, units: 1 });
  });

  it('ends in the same aggregate whichever version arrives first', () => {
    const v1 = orderFactory({ lines: [RUM_BABA] });
    const v2 = orderFactory({ updatedAt: '2026-11-03T00:00:00.000Z', cancelled: true });
    const inOrder = (() => {
      const a = orderChange({ shop: SHOP, current: null, stored: undefined, facts: v1, options, now: NOW });
      if (typeof a === 'string') throw new Error(`unexpected ${a}`);
      const b = orderChange(
        { shop: SHOP, current: a.aggregate, stored: a.order, facts: v2, options, now: NOW },
        [],
      );
      if (typeof b === 'string') throw new Error(`unexpected ${b}`);
      return b.aggregate;
    })();
    const reversed = orderChange({
      shop: SHOP,
      current: null,
      stored: undefined,
      facts: v2,
      options,
      now: NOW,
    });
    if (typeof reversed === 'string') throw new Error(`unexpected ${reversed}`);
    expect(
      orderChange({
        shop: SHOP,
        current: reversed.aggregate,
        stored: reversed.order,
        facts: v1,
        options,
        now: NOW,
      }),
    ).toBe('stale');
    const { version: _a, ...left } = inOrder;
    const { version: _b, ...right } = reversed.aggregate;
    expect(left).toEqual(right);
    expect(left.ordersCount).toBe(0);
  });

  it('treats an equal updated_at as a replay', () => {
    expect(supersedes({ updatedAt: '2026-11-02T00:00:00Z' }, { updatedAt: '2026-11-02T00:00:00.000Z' })).toBe(
      false,
    );
  });

  it('keeps first and last order dates across orders', () => {
    const early = orderContribution(
      orderFactory({ orderId: '1', placedAt: '2026-10-01T00:00:00.000Z' }),
      options,
    );
    const late = orderContribution(
      orderFactory({ orderId: '2', placedAt: '2026-11-01T00:00:00.000Z' }),
      options,
    );
    const agg = replaceContribution(
      replaceContribution(aggregateFactory(), undefined, late, NOW),
      undefined,
      early,
      NOW,
    );
    expect([agg.firstOrderAt, agg.lastOrderAt, agg.ordersCount]).toEqual([
      '2026-10-01T00:00:00.000Z',
      '2026-11-01T00:00:00.000Z',
      2,
    ]);
  });
});

describe('applying customer updates', () => {
  it('records a new address and email without moving the evaluation time back', () => {
    const agg = aggregateFactory({ updatedAt: '2026-11-10T00:00:00.000Z', version: 3 });
    const older = '2026-11-01T00:00:00.000Z';
    const next = customerChange(
      SHOP,
      '7001',
      agg,
      { email: 'a@b.c', address: { countryCode: 'JP', provinceCode: 'JP-13' }, at: older },
      older,
    );
    expect(next).toMatchObject({
      email: 'a@b.c',
      address: { countryCode: 'JP' },
      version: 4,
      updatedAt: '2026-11-10T00:00:00.000Z',
    });
    const mailOnly = customerChange(SHOP, '7001', agg, { email: 'a@b.c', address: null, at: older }, older);
    expect(mailOnly).toMatchObject({ email: 'a@b.c', version: 4, updatedAt: '2026-11-10T00:00:00.000Z' });
  });

  it('reports no change when nothing new is said', () => {
    const agg = aggregateFactory({ email: 'a@b.c' });
    expect(customerChange(SHOP, '7001', agg, { email: 'a@b.c', address: null, at: NOW }, NOW)).toBeNull();
  });
});

describe('applying consent', () => {
  it('records the state and the address', () => {
    const agg = consentChange(
      SHOP,
      '7001',
      null,
      { state: 'subscribed', updatedAt: '2026-11-01T00:00:00.000Z', email: 'a@b.c' },
      NOW,
    );
    expect(agg).toMatchObject({ email: 'a@b.c', emailMarketing: { state: 'subscribed' }, version: 1 });
  });

  it('ignores a consent update older than the one recorded', () => {
    const agg = aggregateFactory({
      emailMarketing: { state: 'unsubscribed', updatedAt: '2026-11-05T00:00:00.000Z' },
    });
    expect(
      applyConsent(agg, { state: 'subscribed', updatedAt: '2026-11-01T00:00:00.000Z', email: null }, NOW),
    ).toBeNull();
  });

  it('reports no change for a replay', () => {
    const agg = aggregateFactory({
      email: 'a@b.c',
      emailMarketing: { state: 'subscribed', updatedAt: '2026-11-05T00:00:00.000Z' },
    });
    expect(
      applyConsent(agg, { state: 'subscribed', updatedAt: '2026-11-05T00:00:00.000Z', email: 'a@b.c' }, NOW),
    ).toBeNull();
  });
});
