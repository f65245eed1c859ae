import { describe, expect, it } from 'vitest';
import { HistoryReader, ORDER_WINDOW } from '#adapters/shopify/history-reader.ts';
import type { ShopifyChange } from '#domain/change.ts';

const customer = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Customer/${id}`,
    email: `c${id}@example.com`,
    updatedAt: '2025-06-01T10:00:00+09:00',
    tags: ['regular'],
    defaultAddress: { countryCodeV2: 'jp', provinceCode: 'JP-26' },
    emailMarketingConsent: { marketingState: 'SUBSCRIBED', consentUpdatedAt: '2025-05-01T00:00:00Z' },
    ...extra,
  });
const order = (id: string, customerId: string | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Order/${id}`,
    createdAt: '2025-06-02T09:00:00+09:00',
    updatedAt: '2025-06-02T09:00:00+09:00',
    totalPriceSet: { shopMoney: { amount: '960.00', currencyCode: 'JPY' } },
    customer: customerId ? { id: `gid://shopify/Customer/${customerId}` } : null,
    sourceName: 'web',
    tags: ['gift'],
    discountCodes: ['WELCOME'],
    refunds: [],
    ...extra,
  });
const item = (id: string, orderId: string, productId = '8001000000001', quantity = 2) =>
  JSON.stringify({
    id: `gid://shopify/LineItem/${id}`,
    quantity,
    title: 'Rum Baba',
    sku: 'RB-001',
    vendor: 'Demo Bakery',
    product: { id: `gid://shopify/Product/${productId}` },
    variant: { id: 'gid://shopify/ProductVariant/4500100000001' },
    __parentId: `gid://shopify/Order/${orderId}`,
  });

const readAll = (lines: string[]) => {
  const reader = new HistoryReader();
  const changes: ShopifyChange[] = [];
  const problems: { line: number; reason: string }[] = [];
  lines.forEach((text, i) => {
    const batch = reader.push(text, i + 1);
    changes.push(...batch.changes);
    problems.push(...batch.problems);
  });
  const last = reader.end();
  return { changes: [...changes, ...last.changes], problems: [...problems, ...last.problems], reader };
};

describe('reading a Bulk Operation’s JSONL', () => {
  it('turns a customer into their profile, consent and tags, as webhooks would bring them', () => {
    const { changes, problems } = readAll([customer('1')]);

    expect(problems).toEqual([]);
    expect(changes).toEqual([
      {
        type: 'customer',
        customerId: '1',
        update: {
          email: 'c1@example.com',
          address: { countryCode: 'JP', provinceCode: 'JP-26' },
          at: '2025-06-01T01:00:00.000Z',
        },
      },
      {
        type: 'consent',
        customerId: '1',
        consent: { state: 'subscribed', updatedAt: '2025-05-01T00:00:00.000Z', email: 'c1@example.com' },
      },
      {
        type: 'customer-tags',
        customerId: '1',
        tags: { tags: ['regular'], present: true, at: '2025-06-01T01:00:00.000Z' },
      },
    ]);
  });

  it('gathers an order’s line items, wherever after it they come, and its refunds inline', () => {
    const refunded = order('11', '1', {
      refunds: [
        {
          id: 'gid://shopify/Refund/5',
          createdAt: '2025-06-03T00:00:00Z',
          refundLineItems: {
            edges: [
              {
                node: {
                  quantity: 1,
                  lineItem: { title: 'Rum Baba', product: { id: 'gid://shopify/Product/8001000000001' } },
                },
              },
            ],
          },
          transactions: {
            nodes: [
              {
                kind: 'REFUND',
                status: 'SUCCESS',
                amountSet: { shopMoney: { amount: '480', currencyCode: 'JPY' } },
              },
            ],
          },
        },
      ],
    });
    const { changes, problems } = readAll([
      order('10', '1'),
      refunded,
      item('100', '10'),
      item('110', '11', '8001000000003', 1),
      item('101', '10', '8001000000003', 1),
    ]);

    expect(problems).toEqual([]);
    const orders = changes.flatMap((c) => (c.type === 'order' ? [c.order] : []));
    expect(
      orders.map((o) => [o.orderId, o.customerId, o.lines.map((l) => `${l.productId}×${l.quantity}`)]),
    ).toEqual([
      ['10', '1', ['8001000000001×2', '8001000000003×1']],
      ['11', '1', ['8001000000003×1']],
    ]);
    expect(orders[0]).toMatchObject({
      total: { amount: 960, currency: 'JPY' },
      placedAt: '2025-06-02T00:00:00.000Z',
      tags: ['gift'],
      discountCodes: ['WELCOME'],
      channel: 'web',
      cancelled: false,
    });
    expect(orders[1]?.refunds).toEqual([
      {
        refundId: '5',
        orderId: '11',
        createdAt: '2025-06-03T00:00:00.000Z',
        amount: { amount: 480, currency: 'JPY' },
        lines: [
          {
            productId: '8001000000001',
            variantId: null,
            sku: null,
            vendor: null,
            title: 'Rum Baba',
            quantity: 1,
          },
        ],
      },
    ]);
  });

  it('reports unusable lines by number and reads on; skips guest orders', () => {
    const { changes, problems } = readAll([
      '{"id":',
      order('20', null),
      JSON.stringify({ id: 'gid://shopify/Order/21', totalPriceSet: 'free' }),
      customer('2', { updatedAt: 'yesterday' }),
      JSON.stringify({ id: 'gid://shopify/Product/1' }),
      item('300', '999'),
      order('22', '3', {
        totalPriceSet: { shopMoney: { amount: '99999999999999999999', currencyCode: 'JPY' } },
      }),
      customer('3'),
    ]);

    expect(problems.map((p) => p.line)).toEqual([1, 3, 4, 5, 6, 7]);
    expect(problems[0]?.reason).toBe('not JSON: SyntaxError');
    expect(changes.map((c) => c.type)).toEqual(['customer', 'consent', 'customer-tags']);
  });

  it('keeps at most ORDER_WINDOW orders waiting, and says where a stopped run must resume', () => {
    const reader = new HistoryReader();
    const emitted: string[] = [];
    for (let n = 1; n <= ORDER_WINDOW + 2; n++)
      for (const c of reader.push(order(String(n), '1'), n).changes)
        if (c.type === 'order') emitted.push(c.order.orderId);

    expect(emitted).toEqual(['1', '2']);
    expect(reader.resumeLine()).toBe(3);
    const late = reader.push(item('900', '1'), ORDER_WINDOW + 3);
    expect(late.problems[0]?.reason).toMatch(/came more than 1000 orders after it/);
  });

  it('keeps ids beyond 2^53 exact', () => {
    const { changes } = readAll([
      '{"id":"gid://shopify/Order/820982911946154508","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z","totalPriceSet":{"shopMoney":{"amount":"1","currencyCode":"USD"}},"customer":{"id":"gid://shopify/Customer/115310627314723954"}}',
    ]);
    expect(changes[0]).toMatchObject({
      type: 'order',
      order: { orderId: '820982911946154508', customerId: '115310627314723954' },
    });
  });
});
