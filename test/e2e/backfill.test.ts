import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { demoHistoryJsonl } from '../../local/shopify-admin/demo-history.ts';
import { type StackEvent, useLocalStack } from '../support/local-stack.ts';
import { catalogLine, DEMO_SHOP, orderPayloadFactory, RUM_BABA_ID } from '../support/shopify-payloads.ts';

const run = promisify(execFile);
const YEAR_SHOP = 'year-of-history.myshopify.com';
const local = useLocalStack({
  shopifyAdminTokens: { [DEMO_SHOP]: 'shpat_local', [YEAR_SHOP]: 'shpat_year' },
});
const RUM_BABA = `gid://shopify/Product/${RUM_BABA_ID}`;

/** History as a Bulk Operation returns it: a subscribed customer who bought Rum Baba twice last year. */
const twiceLastYear = (customerId: number) => {
  const lines = [
    {
      id: `gid://shopify/Customer/${customerId}`,
      email: `customer${customerId}@example.com`,
      updatedAt: '2025-11-01T00:00:00Z',
      emailMarketingConsent: { marketingState: 'SUBSCRIBED', consentUpdatedAt: '2025-01-10T00:00:00Z' },
    },
  ];
  const orders = [1, 2].flatMap((n) => [
    {
      id: `gid://shopify/Order/${customerId}${n}`,
      createdAt: `2025-0${n * 3}-01T09:00:00Z`,
      updatedAt: `2025-0${n * 3}-01T09:00:00Z`,
      totalPriceSet: { shopMoney: { amount: '480.00', currencyCode: 'JPY' } },
      customer: { id: `gid://shopify/Customer/${customerId}` },
      refunds: [],
    },
    {
      id: `gid://shopify/LineItem/${customerId}${n}0`,
      quantity: 1,
      title: 'Rum Baba',
      product: { id: RUM_BABA },
      __parentId: `gid://shopify/Order/${customerId}${n}`,
    },
  ]);
  return [...lines, ...orders].map((line) => JSON.stringify(line)).join('\n');
};

const loadHistory = async (shop: string, jsonl: string) => {
  const response = await fetch(`${local.url}/_local/shopify/history?shop=${shop}`, {
    method: 'POST',
    body: jsonl,
  });
  expect(response.status).toBe(200);
};

/** `npm run backfill -- --shop S --local URL`, as an operator runs it. */
const backfill = (shop: string, ...extra: string[]) =>
  run(process.execPath, ['scripts/backfill.ts', '--shop', shop, '--local', local.url, ...extra], {
    cwd: new URL('../..', import.meta.url).pathname,
  });

/** `npm run reindex -- --shop S --local URL`. */
const reindex = (shop: string, ...extra: string[]) =>
  run(process.execPath, ['scripts/reindex.ts', '--shop', shop, '--local', local.url, ...extra], {
    cwd: new URL('../..', import.meta.url).pathname,
  });

describe('backfill through the local stack', () => {
  it('knows last year’s buyers from day one, emails nobody for history, and sends the next order’s stage email', {
    timeout: 120_000,
  }, async () => {
    await loadHistory(DEMO_SHOP, twiceLastYear(6001));

    const { stdout } = await backfill(DEMO_SHOP);
    await local.settle();

    expect(stdout).toMatch(/backfill of bakery-demo\.myshopify\.com done: 4 records applied, 0 unusable/);
    expect((await local.customer(6001)).body).toMatchObject({
      ordersCount: 2,
      journeys: { 'rum-baba-fans': 'second-rum-baba' },
      emailMarketing: { state: 'subscribed' },
    });
    expect(await local.emailsTo('customer6001@example.com')).toEqual([]);
    // In entry order (the aggregate version): EventBridge, like the evaluator's batches, keeps none.
    const ofCustomer = (events: StackEvent[]) =>
      events
        .filter(
          (e) =>
            e.detail.customerId === '6001' &&
            e['detail-type'] === 'Journey Stage Changed' &&
            e.detail.journeyId === 'rum-baba-fans',
        )
        .sort((a, b) => Number(a.detail.entryId) - Number(b.detail.entryId));
    const historical = ofCustomer(await local.busEvents());
    expect(historical.map((e) => [e.detail.to, e.detail.backfill])).toEqual([
      ['first-rum-baba', true],
      ['second-rum-baba', true],
    ]);

    // After install, their third Rum Baba arrives as a webhook: the fans' email, not a first-purchase coupon.
    await local.deliver({
      topic: 'orders/create',
      payload: orderPayloadFactory({
        id: 60013,
        customer: { id: 6001 },
        created_at: new Date().toISOString(),
        line_items: [catalogLine(RUM_BABA_ID)],
      }),
    });
    await local.settle();
    expect(await local.emailsTo('customer6001@example.com')).toHaveLength(1);
    expect(
      ofCustomer(await local.busEvents())
        .slice(2)
        .map((e) => [e.detail.to, e.detail.backfill]),
    ).toEqual([['rum-baba-fan', false]]);

    // Run again from the start: nothing counted twice, nobody emailed.
    const again = await backfill(DEMO_SHOP, '--restart');
    await local.settle();
    expect(again.stdout).toMatch(/done: 4 records applied/);
    expect((await local.customer(6001)).body).toMatchObject({ ordersCount: 3 });
    expect(await local.emailsTo('customer6001@example.com')).toHaveLength(1);
  });

  it('backfills the demo bakery’s year of history to completion and emails nobody', {
    timeout: 180_000,
  }, async () => {
    const shop = YEAR_SHOP;
    await loadHistory(shop, demoHistoryJsonl({ customers: 60, orders: 200 }));
    const before = (await local.emails()).length;

    const { stdout } = await backfill(shop);
    await local.settle();

    expect(stdout).toMatch(/done: \d+ records applied, 0 unusable/);
    expect((await local.emails()).length).toBe(before);
    const stageEvents = (await local.busEvents()).filter(
      (e) => e.detail.shop === shop && e['detail-type'] === 'Journey Stage Changed',
    );
    expect(stageEvents.length).toBeGreaterThan(10);
    expect(stageEvents.every((e) => e.detail.backfill === true)).toBe(true);
  });

  it('reindexes a shop through the admin API: everyone already counts the deployed selectors, `--all` counts them again, silently', {
    timeout: 120_000,
  }, async () => {
    for (const id of [7001, 7002])
      await local.deliver({
        topic: 'orders/create',
        payload: orderPayloadFactory({
          id: id * 10,
          customer: { id },
          created_at: new Date().toISOString(),
          line_items: [catalogLine(RUM_BABA_ID)],
        }),
      });
    await local.settle();
    const events = (await local.busEvents()).length;
    const emails = (await local.emails()).length;

    const first = await reindex(DEMO_SHOP);
    const all = await reindex(DEMO_SHOP, '--all');
    await local.settle();

    const counts = /done for \d+ selector\(s\): (\d+) customers, (\d+) counted again, (\d+) already counted/;
    const [, customers, again, current] = counts.exec(first.stdout) ?? [];
    expect(Number(customers)).toBeGreaterThanOrEqual(2);
    expect([again, current]).toEqual(['0', customers]);
    expect(counts.exec(all.stdout)?.slice(1)).toEqual([customers, customers, '0']);
    const progress = await fetch(`${local.url}/api/shops/${DEMO_SHOP}/reindex`, {
      headers: { authorization: 'Bearer local-admin-key' },
    });
    expect(await progress.json()).toMatchObject({ status: 'done', all: true, reindexed: Number(customers) });
    // Counted again, nothing moved: no stage change, no email.
    expect((await local.busEvents()).length).toBe(events);
    expect((await local.emails()).length).toBe(emails);
    expect((await local.customer(7001)).body).toMatchObject({ ordersCount: 1 });
  });
});
