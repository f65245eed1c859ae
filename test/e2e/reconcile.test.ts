import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack.ts';
import {
  catalogLine,
  consentDelivery,
  DEMO_SHOP,
  orderPayloadFactory,
  RUM_BABA_ID,
} from '../support/shopify-payloads.ts';

const local = useLocalStack();

/** An order as the Admin API holds it (a Bulk Operation line and its line item), never sent as a webhook. */
const orderInShopify = (orderId: number, customerId: number, at: string) =>
  [
    {
      id: `gid://shopify/Order/${orderId}`,
      createdAt: at,
      updatedAt: at,
      totalPriceSet: { shopMoney: { amount: '480.00', currencyCode: 'JPY' } },
      customer: { id: `gid://shopify/Customer/${customerId}` },
      refunds: [],
    },
    {
      id: `gid://shopify/LineItem/${orderId}0`,
      quantity: 1,
      title: 'Rum Baba',
      product: { id: `gid://shopify/Product/${RUM_BABA_ID}` },
      __parentId: `gid://shopify/Order/${orderId}`,
    },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n');

const advance = async (seconds: number) => {
  const response = await fetch(`${local.url}/_local/advance-time`, {
    method: 'POST',
    body: JSON.stringify({ seconds }),
  });
  return (await response.json()) as { now: string; schedulesFired: number };
};

describe('reconciliation through the local stack', () => {
  it('repairs an order whose webhook never came within one period, and sends its email once', {
    timeout: 120_000,
  }, async () => {
    const email = 'customer6101@example.com';
    await local.deliver(consentDelivery(6101));
    await local.deliver({
      topic: 'orders/create',
      payload: orderPayloadFactory({
        id: 61011,
        customer: { id: 6101 },
        created_at: new Date().toISOString(),
        line_items: [catalogLine(RUM_BABA_ID)],
      }),
    });
    await local.settle();
    expect(await local.emailsTo(email)).toHaveLength(1);

    // The second order is in Shopify, but its webhook is lost.
    const placed = new Date().toISOString();
    const loaded = await fetch(`${local.url}/_local/shopify/history?shop=${DEMO_SHOP}`, {
      method: 'POST',
      body: orderInShopify(61012, 6101, placed),
    });
    expect(loaded.status).toBe(200);
    // A minute: only the email dispatcher's schedule is due.
    expect((await advance(60)).schedulesFired).toBe(1);

    const period = await advance(15 * 60);
    await local.settle();

    // The reconciliation, the reindex check on the same period, the email dispatcher and the sweep.
    expect(period.schedulesFired).toBe(4);
    expect((await local.customer(6101)).body).toMatchObject({
      ordersCount: 2,
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
    });
    expect(await local.emailsTo(email)).toHaveLength(2);
    const report = await local.admin<{ watermark: string; last: Record<string, unknown> }>(
      `/api/shops/${DEMO_SHOP}/reconciliation`,
    );
    expect(report.status).toBe(200);
    expect(report.body.last).toMatchObject({ shop: DEMO_SHOP, orders: 1, repaired: 1, problems: [] });
    // The shop had never been reindexed for the deployed selectors: the check ran it, and found
    // every customer counting them already (they were first written under these journeys).
    const reindex = await local.admin<Record<string, unknown>>(`/api/shops/${DEMO_SHOP}/reindex`);
    expect(reindex.body).toMatchObject({ status: 'done', reindexed: 0, current: expect.any(Number) });
    expect(reindex.body.current).toBeGreaterThanOrEqual(1);

    // The next periods read it again (overlap) and change nothing: the email went out once.
    await advance(15 * 60);
    await local.settle();
    expect(await local.emailsTo(email)).toHaveLength(2);
    expect(
      (await local.admin<{ last: { repaired: number } }>(`/api/shops/${DEMO_SHOP}/reconciliation`)).body.last
        .repaired,
    ).toBe(0);
  });
});
