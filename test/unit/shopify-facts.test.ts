import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '#adapters/shopify/lossless-json.ts';
import { OrderPayload, RefundPayload, toOrderFacts, toRefundFacts } from '#adapters/shopify/payloads.ts';
import { applyCustomerTags, emptyAggregate } from '#domain/aggregate.ts';
import { orderContribution, refundContribution, withRefund } from '#domain/order.ts';
import { parseWebhook } from '../../functions/ingest/topics.ts';
import { DEMO_SHOP, orderPayloadFactory, refundPayloadFactory } from '../support/shopify-payloads.ts';

const OPTIONS = { selectors: [] };
/** The contribution of an order payload (one with a customer). */
const contributionOf = (payload: unknown) => {
  const facts = toOrderFacts(OrderPayload.parse(payload));
  if (!facts) throw new Error('the order has no customer');
  return orderContribution(facts, OPTIONS);
};

describe('ids beyond 2^53, as in Shopify’s own sample payloads', () => {
  // The shape of shopify.dev's orders/create sample: ids too large for a double.
  const sample = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508",
    "created_at":"2021-12-31T19:00:00-05:00","updated_at":"2021-12-31T19:00:00-05:00","currency":"USD",
    "total_price":"398.00","test":false,"customer":{"id":115310627314723954,"email":"john@example.com"},
    "line_items":[{"id":866550311766439020,"product_id":632910392,"variant_id":808950810,"title":"IPod Nano - 8GB",
    "quantity":1,"sku":"IPOD2008PINK","vendor":null}],"refunds":[]}`;

  it('are parsed to their exact digits, other numbers as usual', () => {
    expect(
      parseJsonLossless('{"a":820982911946154508,"b":1.5,"c":1e300,"d":[9007199254740993],"e":42}'),
    ).toEqual({
      a: '820982911946154508',
      b: 1.5,
      c: 1e300,
      d: ['9007199254740993'],
      e: 42,
    });
  });

  it('reach the order facts exact, so the webhook is applied, not quarantined', () => {
    const parsed = parseWebhook({
      topic: 'orders/create',
      shop: DEMO_SHOP,
      body: Buffer.from(sample),
      triggeredAt: '2022-01-01T00:00:00.000Z',
      headerProblem: null,
    });

    expect(parsed).toMatchObject({
      kind: 'change',
      change: { type: 'order', order: { orderId: '820982911946154508', customerId: '115310627314723954' } },
    });
  });
});

describe('refund transactions without a currency', () => {
  const refundWith = (currency: string | null) => ({
    ...refundPayloadFactory({ id: 5, order_id: 9001 }),
    transactions: [{ amount: '480.00', kind: 'refund', status: 'success', currency }],
  });

  it('inside their order take the order’s currency', () => {
    // The factory types refunds as it makes them; a null currency is what Shopify may send.
    const order = OrderPayload.parse({ ...orderPayloadFactory(), refunds: [refundWith(null)] });
    const facts = toOrderFacts(order);
    expect(facts?.refunds?.[0]?.amount).toEqual({ amount: 480, currency: 'JPY' });
  });

  it('on their own (refunds/create) are taken off in the order’s currency when they meet it', () => {
    const refund = toRefundFacts(RefundPayload.parse(refundWith(null)));
    expect(refund).toMatchObject({ amount: null, inOrderCurrency: ['480.00'] });
    const order = contributionOf(orderPayloadFactory());
    expect(order.spent).toEqual({ amount: 480, currency: 'JPY' });

    expect(withRefund(order, refundContribution(refund, OPTIONS))?.spent).toEqual({
      amount: 0,
      currency: 'JPY',
    });
  });

  it('in a currency of two decimals are counted in its minor units', () => {
    const usd = { ...orderPayloadFactory({ currency: 'USD' }), total_price: '12.50' };
    const refund = toRefundFacts({
      ...RefundPayload.parse(refundWith(null)),
      transactions: [{ amount: '2.50', kind: 'refund', status: 'success', currency: null }],
    });
    const left = withRefund(contributionOf(usd), refundContribution(refund, OPTIONS));
    expect(left?.spent).toEqual({ amount: 1_000, currency: 'USD' });
  });
});

describe('a tag added and removed at the same time', () => {
  const at = '2026-11-01T00:00:00.000Z';
  const added = { tags: ['vip'], present: true, at };
  const removed = { tags: ['vip'], present: false, at };
  const base = emptyAggregate(DEMO_SHOP, '1', at);
  const apply = (first: typeof added, second: typeof added) => {
    const once = applyCustomerTags(base, first, at) ?? base;
    return (applyCustomerTags(once, second, at) ?? once).customerTags.vip?.present;
  };

  it('ends removed whichever arrives first', () => {
    expect([apply(added, removed), apply(removed, added)]).toEqual([false, false]);
  });

  it('and a later add still wins over an earlier remove', () => {
    const later = { ...added, at: '2026-11-02T00:00:00.000Z' };
    expect([apply(removed, later), apply(later, removed)]).toEqual([true, true]);
  });
});
