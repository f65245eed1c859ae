import { describe, expect, it } from 'vitest';
import { ConsentPayload, OrderPayload, toConsentChange, toOrderFacts } from '#adapters/shopify/payloads.ts';
import { catalogLine, consentPayload, orderPayload } from '../../scripts/shopify-sim.ts';

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
    });
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
