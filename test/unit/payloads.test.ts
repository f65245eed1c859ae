import { describe, expect, it } from 'vitest';
import {
  ConsentPayload,
  OrderPayload,
  RefundPayload,
  toConsentChange,
  toOrderFacts,
  toRefundFacts,
} from '#adapters/shopify/payloads.ts';
import { catalogLine, consentPayload, orderPayload, refundPayload } from '../../scripts/shopify-sim.ts';

const rumBabaLine = catalogLine(8001000000001, 2);

describe('Shopify order payloads', () => {
  it('map to order facts in UTC with integer minor units', () => {
    const payload = OrderPayload.parse(
      orderPayload({
        id: 9001,
        customerId: 7001,
        createdAt: '2026-11-02T09:00:00+09:00',
        lines: [rumBabaLine],
      }),
    );
    expect(toOrderFacts(payload)).toEqual({
      orderId: '9001',
      customerId: '7001',
      email: 'customer7001@example.com',
      placedAt: '2026-11-02T00:00:00.000Z',
      updatedAt: '2026-11-02T00:00:00.000Z',
      total: { amount: 960, currency: 'JPY' },
      lines: [
        {
          productId: '8001000000001',
          variantId: '4500100000001',
          sku: 'RB-001',
          vendor: 'Demo Bakery',
          title: 'Rum Baba',
          quantity: 2,
        },
      ],
      cancelled: false,
      test: false,
      tags: [],
      discountCodes: [],
      channel: 'web',
      address: null,
      refunds: [],
    });
  });

  it('map a refund, listed on the order or delivered by refunds/create, to the same facts', () => {
    const refund = refundPayload({
      id: 55,
      orderId: 9001,
      createdAt: '2026-11-03T09:00:00+09:00',
      lines: [{ line: rumBabaLine, quantity: 1 }],
    });
    const expected = {
      refundId: '55',
      orderId: '9001',
      createdAt: '2026-11-03T00:00:00.000Z',
      amount: { amount: 480, currency: 'JPY' },
      lines: [
        {
          productId: '8001000000001',
          variantId: '4500100000001',
          sku: 'RB-001',
          vendor: 'Demo Bakery',
          title: 'Rum Baba',
          quantity: 1,
        },
      ],
    };
    expect(toRefundFacts(RefundPayload.parse(refund))).toEqual(expected);
    const order = OrderPayload.parse(
      orderPayload({
        id: 9001,
        customerId: 7001,
        createdAt: '2026-11-02T09:00:00+09:00',
        lines: [rumBabaLine],
        refunds: [refund],
      }),
    );
    expect(toOrderFacts(order)?.refunds).toEqual([expected]);
    // The order's figures stay the original ones: the refund is taken off by id, once.
    expect(toOrderFacts(order)?.total).toEqual({ amount: 960, currency: 'JPY' });
  });

  it('count only successful refund transactions as money returned', () => {
    const refund = refundPayload({ id: 56, orderId: 1, createdAt: '2026-11-03T00:00:00Z', lines: [] });
    const failed = { ...refund, transactions: refund.transactions.map((t) => ({ ...t, status: 'failure' })) };
    expect(toRefundFacts(RefundPayload.parse(failed)).amount).toBeNull();
  });

  it('yield no facts for a guest order', () => {
    expect(
      toOrderFacts(
        OrderPayload.parse(
          orderPayload({ id: 1, customerId: null, createdAt: '2026-11-02T09:00:00Z', lines: [rumBabaLine] }),
        ),
      ),
    ).toBeNull();
  });

  it.each([
    ['a missing id', { id: undefined }],
    ['a price that is not a decimal', { total_price: 'free' }],
    ['a negative quantity', { line_items: [{ ...rumBabaLine, quantity: -1 }] }],
    ['a date that is not ISO 8601', { created_at: 'yesterday' }],
  ])('are rejected with %s', (_name, override) => {
    const payload = {
      ...orderPayload({ id: 1, customerId: 7, createdAt: '2026-11-02T09:00:00Z', lines: [rumBabaLine] }),
      ...override,
    };
    expect(OrderPayload.safeParse(payload).success).toBe(false);
  });
});

describe('consent payloads', () => {
  it('map the state (any case) and time', () => {
    const payload = ConsentPayload.parse({
      ...consentPayload(7001, 'SUBSCRIBED', '2026-11-01T10:00:00+09:00'),
    });
    expect(toConsentChange(payload)).toEqual({
      state: 'subscribed',
      updatedAt: '2026-11-01T01:00:00.000Z',
      email: 'customer7001@example.com',
    });
  });

  it('reject an unknown state', () => {
    expect(ConsentPayload.safeParse(consentPayload(1, 'maybe', '2026-11-01T10:00:00Z')).success).toBe(false);
  });
});
