import { beforeAll, describe, expect, it } from 'vitest';
import type { ReportName, ReportResult } from '#domain/analytics/reports.ts';
import { demoHistoryJsonl } from '../../local/shopify-admin/demo-history.ts';
import { runJob } from '../../scripts/admin-job.ts';
import {
  type OrderFigures,
  PlainShop,
  ShopAt,
  stagesEntered,
  type Window,
} from '../support/independent-analytics.ts';
import { LOCAL_ADMIN_KEY, useLocalStack } from '../support/local-stack.ts';
import {
  catalogLine,
  type Delivery,
  type LineItemInput,
  type OrderWebhook,
  orderPayloadFactory,
  RUM_BABA_ID,
  refundPayloadFactory,
} from '../support/shopify-payloads.ts';

// The proof runs the real path: history backfilled through the apply path, webhooks on top, the
// refresh over the fact log, the reports over HTTP. Each figure is compared with
// `support/independent-analytics.ts`, which reads the same JSONL and payloads on its own.

const SHOP = 'analytics-proof.myshopify.com';
const EMPTY_SHOP = 'analytics-empty.myshopify.com';
const local = useLocalStack({
  shopifyAdminTokens: { [SHOP]: 'shpat_proof', [EMPTY_SHOP]: 'shpat_empty' },
  meterCapacity: true,
});

const DAY = 86_400_000;
const RUM_BABAS = ['8001000000001', '8001000000008'];
const SANDWICH_ID = 8001000000002;
const CROISSANT_ID = 8001000000003;
/** Customers of the webhooks: one without an email address, one who pays only in dollars. */
const NO_EMAIL = 9300000000001;
const DOLLARS_ONLY = 9300000000002;

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const iso = (time: number) => new Date(Math.floor(time / 1000) * 1000).toISOString();
/** A catalog line priced in dollars (the catalog's prices are yen). */
const inDollars = (productId: number, quantity: number, price: string): LineItemInput => ({
  ...catalogLine(productId, quantity),
  price,
});

const reportPath = (name: string, query: Record<string, string> = {}, shop = SHOP) => {
  const search = new URLSearchParams(query).toString();
  return `/api/shops/${shop}/analytics/${name}${search ? `?${search}` : ''}`;
};

/** A report over HTTP with the admin key; it must answer 200. */
const reportOf = async <R extends ReportName>(
  name: R,
  query: Record<string, string> = {},
  shop = SHOP,
): Promise<ReportResult<R>> => {
  const answer = await local.admin<ReportResult<R>>(reportPath(name, query, shop), LOCAL_ADMIN_KEY);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
};

/** Expected figures with every fraction compared to 9 digits (integers — counts, money — exactly). */
const closeTo = <T>(expected: T): T => {
  if (typeof expected === 'number' && !Number.isInteger(expected)) return expect.closeTo(expected, 9) as T;
  if (Array.isArray(expected)) return expected.map(closeTo) as T;
  if (expected !== null && typeof expected === 'object')
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, closeTo(value)])) as T;
  return expected;
};

const shop = new PlainShop();
let today = '';
let allHistory: Window = { from: null, to: '' };
let refreshed: { customers: number; orders: number } = { customers: 0, orders: 0 };
/** What the webhooks changed: a yen regular's dollar order, a history order refunded in full, a fan's order cancelled. */
const scenario = { mixedCustomer: '', usdOrder: '9400000000005', refundedOrder: '', cancelledOrder: '' };

/** The webhooks sent after the backfill, chosen from the history so that they change something. */
const webhooksOver = (history: PlainShop, now: number): Delivery[] => {
  const counted = history.figures().filter((o) => o.counts && o.net === o.gross);
  const rumBaba = (o: OrderFigures) => RUM_BABAS.some((p) => o.products.has(p));
  const ordersOf = (customer: string) => counted.filter((o) => o.customer === customer);
  const fanOrder = counted.find((o) => rumBaba(o) && ordersOf(o.customer).filter(rumBaba).length >= 3);
  const refunded = counted.find((o) => rumBaba(o) && o.customer !== fanOrder?.customer);
  const regular = counted.find(
    (o) => ordersOf(o.customer).length >= 2 && ![fanOrder?.customer, refunded?.customer].includes(o.customer),
  );
  if (!fanOrder || !refunded || !regular)
    throw new Error('the demo history has no fan, Rum Baba order or regular');
  scenario.mixedCustomer = regular.customer;
  scenario.refundedOrder = refunded.id;
  scenario.cancelledOrder = fanOrder.id;
  const linesOf = (id: string) =>
    (history.order(id)?.lines ?? []).map((l) => ({
      line: catalogLine(Number(l.productId), l.quantity),
      quantity: l.quantity,
    }));
  const placed = (
    id: string,
    customer: number,
    daysAgo: number,
    lines: LineItemInput[],
    currency = 'JPY',
  ): OrderWebhook =>
    orderPayloadFactory({
      id: Number(id),
      customer: { id: customer },
      created_at: iso(now - daysAgo * DAY),
      currency,
      line_items: lines,
    });
  const withoutEmail = (order: OrderWebhook): OrderWebhook => ({
    ...order,
    email: null,
    contact_email: null,
    customer: order.customer && { ...order.customer, email: null },
  });
  const created = (payload: OrderWebhook): Delivery => ({ shop: SHOP, topic: 'orders/create', payload });
  // Now, to the second: newer than any version of the history (which ends before today).
  const cancelledAt = iso(now);
  return [
    // A customer without an email address who orders twice.
    created(
      withoutEmail(
        placed('9400000000001', NO_EMAIL, 40, [catalogLine(RUM_BABA_ID), catalogLine(CROISSANT_ID, 2)]),
      ),
    ),
    created(withoutEmail(placed('9400000000002', NO_EMAIL, 12, [catalogLine(RUM_BABA_ID)]))),
    // Dollars: a customer who pays only in them, and a yen regular who once does.
    created(
      placed(
        '9400000000003',
        DOLLARS_ONLY,
        20,
        [inDollars(RUM_BABA_ID, 2, '4.80'), inDollars(SANDWICH_ID, 1, '6.50')],
        'USD',
      ),
    ),
    created(placed('9400000000004', DOLLARS_ONLY, 6, [inDollars(CROISSANT_ID, 3, '2.90')], 'USD')),
    created(
      placed(scenario.usdOrder, Number(regular.customer), 4, [inDollars(SANDWICH_ID, 2, '6.50')], 'USD'),
    ),
    // One Rum Baba of two taken back from the first dollar order, in dollars.
    {
      shop: SHOP,
      topic: 'refunds/create',
      payload: refundPayloadFactory({
        id: 9500000000001,
        order_id: 9400000000003,
        created_at: iso(now - 18 * DAY),
        refund_line_items: [{ line_item: inDollars(RUM_BABA_ID, 2, '4.80'), quantity: 1 }],
        amount: '4.80',
        currency: 'USD',
      }),
    },
    // A history order refunded in full: every line, all its money.
    {
      shop: SHOP,
      topic: 'refunds/create',
      payload: refundPayloadFactory({
        id: 9500000000002,
        order_id: Number(refunded.id),
        created_at: iso(now - DAY),
        refund_line_items: linesOf(refunded.id).map(({ line, quantity }) => ({ line_item: line, quantity })),
        amount: String(refunded.gross),
      }),
    },
    // A fan's Rum Baba order of the history cancelled.
    {
      shop: SHOP,
      topic: 'orders/cancelled',
      payload: orderPayloadFactory({
        id: Number(fanOrder.id),
        customer: { id: Number(fanOrder.customer) },
        created_at: iso(fanOrder.placedAt),
        updated_at: cancelledAt,
        cancelled_at: cancelledAt,
        line_items: linesOf(fanOrder.id).map(({ line }) => line),
      }),
    },
  ];
};

beforeAll(async () => {
  const now = local.stack.clock.now();
  const jsonl = demoHistoryJsonl({ now, seed: 20260415, customers: 150, orders: 500 });
  const loaded = await fetch(`${local.url}/_local/shopify/history?shop=${SHOP}`, {
    method: 'POST',
    body: jsonl,
  });
  expect(loaded.status).toBe(200);
  const run = await runJob(
    'backfill',
    { shop: SHOP, api: local.url, adminKey: LOCAL_ADMIN_KEY, query: '', pollMs: 250 },
    () => {},
  );
  expect(run.status).toBe('done');
  await local.settle();

  const history = new PlainShop().addBulkJsonl(jsonl);
  const webhooks = webhooksOver(history, now);
  for (const delivery of webhooks) expect((await local.deliver(delivery)).status).toBe(200);
  const answer = await fetch(`${local.url}/_local/analytics/refresh?shop=${SHOP}`, { method: 'POST' });
  const empty = await fetch(`${local.url}/_local/analytics/refresh?shop=${EMPTY_SHOP}`, { method: 'POST' });

  expect(answer.status).toBe(200);
  expect(empty.status).toBe(200);
  refreshed =
    ((await answer.json()) as { results: { refreshed: { customers: number; orders: number }[] }[] })
      .results[0]?.refreshed[0] ?? refreshed;
  shop.addBulkJsonl(jsonl);
  for (const delivery of webhooks) shop.addWebhook(delivery.topic, delivery.payload);
  today = isoDay(local.stack.clock.now());
  allHistory = { from: null, to: today };
}, 170_000);

describe('analytics reports over the demo store, through the local stack, against an independent computation', () => {
  it('the refresh reads every customer and every order of a customer that Shopify told the stack about', async () => {
    const figures = new Map(shop.figures().map((o) => [o.id, o]));

    const noEmail = await local.customer(NO_EMAIL, { shop: SHOP });

    expect(refreshed).toMatchObject({ customers: shop.customers.size, orders: figures.size });
    expect(noEmail.body).toMatchObject({ email: null, ordersCount: 2 });
    expect([...figures.values()].filter((o) => o.currency === 'USD')).toHaveLength(3);
    expect(figures.get('9400000000003')).toMatchObject({ gross: 1610, net: 1130, units: 2, counts: true });
    expect(figures.get(scenario.refundedOrder)).toMatchObject({ net: 0, units: 0, counts: false });
    expect(figures.get(scenario.cancelledOrder)).toMatchObject({ cancelled: true, counts: false });
  });

  it('summary: every figure, and every currency of byCurrency, as docs/analytics.md defines it', async () => {
    const expected = new ShopAt(shop, allHistory).summary();

    const summary = await reportOf('summary');

    expect(summary).toMatchObject(closeTo({ ...expected, from: null, to: today }));
  });

  it('money figures are the main currency’s only: dollars are reported beside the yen, never converted into them', async () => {
    const orders = new ShopAt(shop, allHistory).windowOrders;
    const yen = orders.filter((o) => o.currency === 'JPY');
    const dollars = orders.filter((o) => o.currency === 'USD');

    const summary = await reportOf('summary');

    expect(summary.currency).toBe('JPY');
    expect(summary.revenue).toBe(yen.reduce((total, o) => total + o.net, 0));
    expect(summary.orders).toBe(yen.length + dollars.length);
    // 2 × $4.80 + $6.50 less one $4.80 refunded, $8.70, $13.00: cents, as they were paid.
    expect(summary.byCurrency.find((c) => c.currency === 'USD')).toEqual({
      currency: 'USD',
      orders: 3,
      revenue: 1130 + 870 + 1300,
      aov: 1100,
    });
    expect(dollars.map((o) => o.customer)).toContain(scenario.mixedCustomer);
    expect(orders.some((o) => o.customer === scenario.mixedCustomer && o.currency === 'JPY')).toBe(true);
  });

  it('f2: the cohort’s second orders, the 30/60/90/180-day windows and the window’s repeat orders', async () => {
    const expected = new ShopAt(shop, allHistory).f2();

    const f2 = await reportOf('f2');

    expect(f2).toMatchObject(closeTo(expected));
  });

  it('nth-order: customers, orders, revenue, aov and the days since the previous order per order number', async () => {
    const expected = new ShopAt(shop, allHistory).nthOrder();

    const nth = await reportOf('nth-order');

    expect(nth).toMatchObject(closeTo(expected));
  });

  it('cohorts: customers per first-order month, revenue per customer in month 0 and in the last month', async () => {
    const expected = new ShopAt(shop, allHistory).cohorts();

    const { cohorts, currency, byCurrency } = await reportOf('cohorts');

    expect({ currency, byCurrency }).toEqual({
      currency: expected.currency,
      byCurrency: expected.byCurrency,
    });
    expect(cohorts.map((c) => [c.month, c.customers])).toEqual(
      expected.cohorts.map((c) => [c.month, c.customers]),
    );
    const ends = (months: { m: number; revenuePerCustomer: number; ordersPerCustomer: number }[]) => [
      months[0],
      months.at(-1),
    ];
    expect(cohorts.map((c) => ends(c.months))).toMatchObject(
      closeTo(expected.cohorts.map((c) => ends(c.months))),
    );
  });

  it('second-purchase: the cohort’s second orders and the customers per product in them', async () => {
    const expected = new ShopAt(shop, allHistory).secondPurchase();

    const second = await reportOf('second-purchase');

    expect(second).toMatchObject(closeTo({ product: null, ...expected }));
  });

  it('repurchase-intervals: subjects, events, censorings and the delays by which returners came back', async () => {
    const expected = new ShopAt(shop, allHistory).repurchaseIntervals();

    const { transitions } = await reportOf('repurchase-intervals');

    const figures = (t: Omit<(typeof transitions)[number], 'curve'>) => ({
      fromOrder: t.fromOrder,
      toOrder: t.toOrder,
      subjects: t.subjects,
      events: t.events,
      censored: t.censored,
      returnersHalf: t.percentilesOfReturners.find((p) => p.p === 50)?.day,
      percentiles: t.percentiles,
      percentilesOfReturners: t.percentilesOfReturners,
    });
    expect(transitions.map(figures)).toEqual(expected.map(figures));
    expect(expected.map((t) => t.events)).not.toContain(0);
  });

  it('segments: the row of all customers, those without orders and without an email address included', async () => {
    const expected = new ShopAt(shop, allHistory).segmentsAll();

    const segments = await reportOf('segments');

    expect(segments).toMatchObject(closeTo(expected));
  });

  it('funnel: customers who entered each Rum Baba stage, from their orders containing Rum Baba after refunds', async () => {
    const entered = stagesEntered(shop, RUM_BABAS, 4, Date.parse(`${today}T00:00:00Z`) + DAY);

    const funnel = await reportOf('funnel', { journey: 'rum-baba-fans' });

    expect(funnel.stages.map((s) => [s.id, s.entered])).toEqual(
      ['not-yet', 'first-rum-baba', 'second-rum-baba', 'rum-baba-fan'].map((id, i) => [id, entered[i]]),
    );
  });

  it('a window: summary and f2 count the window’s orders and cohort, the shop as it stood at the end of `to`', async () => {
    const midnight = Date.parse(`${today}T00:00:00Z`);
    const between = { from: isoDay(midnight - 150 * DAY), to: isoDay(midnight - 20 * DAY) };
    const at = new ShopAt(shop, between);

    const summary = await reportOf('summary', between);
    const f2 = await reportOf('f2', between);

    expect(summary).toMatchObject(closeTo({ ...at.summary(), ...between }));
    expect(f2).toMatchObject(closeTo({ ...at.f2(), ...between }));
    expect(summary.orders).toBeLessThan(new ShopAt(shop, allHistory).summary().orders);
  });

  it.each([
    [
      'an unknown report',
      'lifetime-value',
      {},
      /unknown report "lifetime-value"; known reports: summary, funnel/,
    ],
    ['a day that is not a calendar day', 'summary', { from: '2025-02-30' }, /from: is not a calendar date/],
    ['a date not written YYYY-MM-DD', 'f2', { to: '15/07/2025' }, /to: must be a date written YYYY-MM-DD/],
    ['from after to', 'summary', { from: '2025-07-02', to: '2025-07-01' }, /from \(2025-07-02\) is after to/],
    [
      'a holdouts conversion window of no days',
      'holdouts',
      { days: '0' },
      /days: must be a whole number of days from 1 to 365 \(got "0"\)/,
    ],
    [
      'an unknown segment',
      'segments',
      { segment: 'vip' },
      /unknown segment "vip"; known segments: lapsing-regulars/,
    ],
  ])('%s answers 400 with a message saying what is wrong', async (_case, name, query, message) => {
    const answer = await local.admin<{ message: string }>(reportPath(name, query));

    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(message);
  });

  it('a shop with no orders answers empty results, not errors', async () => {
    const summary = await reportOf('summary', {}, EMPTY_SHOP);
    const nth = await reportOf('nth-order', {}, EMPTY_SHOP);
    const cohorts = await reportOf('cohorts', {}, EMPTY_SHOP);
    const funnel = await reportOf('funnel', {}, EMPTY_SHOP);

    expect(summary).toMatchObject({ customers: 0, orders: 0, revenue: 0, currency: null, byCurrency: [] });
    expect(nth).toMatchObject({ customers: 0, currency: null, byCurrency: [] });
    expect(cohorts).toMatchObject({ cohorts: [], currency: null, byCurrency: [] });
    expect(funnel.stages.map((s) => s.entered)).toEqual([0, 0, 0, 0]);
  });

  it('a report is answered from the snapshot alone: its function has no table, and requests reach no DynamoDB', async () => {
    const fn = [...local.stack.functions.values()].find(
      (f) => f.environment.POWERTOOLS_SERVICE_NAME === 'loyalty-loop-analytics',
    );
    await local.settle();
    const meter = local.stack.capacity;
    const before = meter?.totals().requests ?? 0;

    // A window no test asked for, so every report is computed, not read from the cache.
    for (const name of [
      'summary',
      'f2',
      'segments',
      'nth-order',
      'cohorts',
      'routes',
      'bought-together',
      'holdouts',
    ] as const)
      await reportOf(name, { from: isoDay(Date.parse(`${today}T00:00:00Z`) - 77 * DAY) });

    expect(fn?.environment.ANALYTICS_BUCKET).toBeTruthy();
    expect(Object.keys(fn?.environment ?? {}).filter((name) => /TABLE/.test(name))).toEqual([]);
    // The meter saw the pipeline's requests (the backfill, the webhooks, the refresh), none of the reports'.
    expect(before).toBeGreaterThan(0);
    expect(meter?.totals().requests).toBe(before);
  });
});
