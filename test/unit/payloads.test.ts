import { describe, expect, it } from 'vitest';
import {
  ConsentPayload,
  OrderPayload,
  RefundPayload,
  toConsentChange,
  toOrderFacts,
  toRefundFacts,
} from '#adapters/shopify/payloads.ts';
import { orderFactory, RUM_BABA } from '../support/factories.ts';
import {
  catalogLine,
  consentPayloadFactory,
  orderPayloadFactory,
  RUM_BABA_ID,
  refundPayloadFactory,
} from '../support/shopify-payloads.ts';

const rumBabaLine = catalogLine(RUM_BABA_ID, 2);

describe('Shopify order payloads', () => {
  it('map to order facts in UTC with integer minor units', () => {
    const payload = OrderPayload.parse(orderPayloadFactory({ line_items: [rumBabaLine] }));

    const facts = toOrderFacts(payload);

    // Order 9001 of customer 7001, placed 2026-11-02 00:00 UTC, on the web, without tags, codes or address.
    expect(facts).toEqual(
      orderFactory({
        email: 'customer7001@example.com',
        total: { amount: 960, currency: 'JPY' },
        lines: [{ ...RUM_BABA, quantity: 2 }],
        refunds: [],
      }),
    );
  });

  it('map a refund, listed on the order or delivered by refunds/create, to the same facts', () => {
    const refund = refundPayloadFactory({
      id: 55,
      created_at: '2026-11-03T09:00:00+09:00',
      refund_line_items: [{ line_item: rumBabaLine, quantity: 1 }],
    });
    const order = OrderPayload.parse(orderPayloadFactory({ line_items: [rumBabaLine], refunds: [refund] }));
    const expected = {
      refundId: '55',
      orderId: '9001',
      createdAt: '2026-11-03T00:00:00.000Z',
      amount: { amount: 480, currency: 'JPY' },
      lines: [{ ...RUM_BABA, quantity: 1 }],
    };

    const delivered = toRefundFacts(RefundPayload.parse(refund));
    const listed = toOrderFacts(order);

    expect(delivered).toEqual(expected);
    expect(listed?.refunds).toEqual([expected]);
    // The order's figures stay the original ones: the refund is taken off by id, once.
    expect(listed?.total).toEqual({ amount: 960, currency: 'JPY' });
  });

  it('count only successful refund transactions as money returned', () => {
    const refund = refundPayloadFactory({ id: 56, order_id: 1, refund_line_items: [] });
    const failed = { ...refund, transactions: refund.transactions.map((t) => ({ ...t, status: 'failure' })) };

    const facts = toRefundFacts(RefundPayload.parse(failed));

    expect(facts.amount).toBeNull();
  });

  it('yield no facts for a guest order', () => {
    const guest = orderPayloadFactory({
      id: 1,
      customer: null,
      created_at: '2026-11-02T09:00:00Z',
      line_items: [rumBabaLine],
    });

    const facts = toOrderFacts(OrderPayload.parse(guest));

    expect(facts).toBeNull();
  });

  it.each([
    ['a missing id', { id: undefined }],
    ['a price that is not a decimal', { total_price: 'free' }],
    ['a negative quantity', { line_items: [{ ...rumBabaLine, quantity: -1 }] }],
    ['a date that is not ISO 8601', { created_at: 'yesterday' }],
  ])('are rejected with %s', (_name, override) => {
    const payload = {
      ...orderPayloadFactory({
        id: 1,
        customer: { id: 7 },
        created_at: '2026-11-02T09:00:00Z',
        line_items: [rumBabaLine],
      }),
      ...override,
    };

    const parsed = OrderPayload.safeParse(payload);

    expect(parsed.success).toBe(false);
  });
});

describe('consent payloads', () => {
  it('map the state (any case) and time', () => {
    const payload = ConsentPayload.parse(
      consentPayloadFactory({
        email_marketing_consent: { state: 'SUBSCRIBED', consent_updated_at: '2026-11-01T10:00:00+09:00' },
      }),
    );

    const change = toConsentChange(payload);

    expect(change).toEqual({
      state: 'subscribed',
      updatedAt: '2026-11-01T01:00:00.000Z',
      email: 'customer7001@example.com',
    });
  });

  it('reject an unknown state', () => {
    const payload = consentPayloadFactory({
      customer_id: 1,
      email_marketing_consent: { state: 'maybe', consent_updated_at: '2026-11-01T10:00:00Z' },
    });

    const parsed = ConsentPayload.safeParse(payload);

    expect(parsed.success).toBe(false);
  });
});
