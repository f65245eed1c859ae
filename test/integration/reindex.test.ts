import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState, isSilent } from '#adapters/store/aggregate-item.ts';
import { CustomerReindex } from '#adapters/store/customer-reindex.ts';
import { ReindexRuns } from '#adapters/store/reindexes.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { JourneySchema, stageTransitions } from '#domain/journey.ts';
import type { ContributionOptions, OrderContribution, OrderFacts, ProductSelector } from '#domain/order.ts';
import { selectorKeys } from '#domain/reindex.ts';
import { journeyConfig } from '#journeys/index.ts';
import { reindexDue, runReindex } from '../../functions/reindex/run.ts';
import { CROISSANT, orderFactory, RUM_BABA, TEA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const OTHER_SHOP = 'other-bakery.myshopify.com';
const local = useDynamoDbLocal();
const DAY = 86_400_000;
const BASE = Date.parse('2026-03-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

/** A selector no deployed journey counts by yet: croissants by SKU, and the tea partner's products by vendor. */
const CROISSANTS: ProductSelector = { skus: [CROISSANT.sku as string] };
const TEA_PARTNER: ProductSelector = { vendors: ['Tea Partner'] };
const before: ContributionOptions = { selectors: journeyConfig.selectors };
const after: ContributionOptions = { selectors: [...journeyConfig.selectors, CROISSANTS, TEA_PARTNER] };

/** A journey deployed later, counting by the new selector: croissant buyers, then regulars. */
const croissantJourney = JourneySchema.parse({
  id: 'croissant-regulars',
  name: 'Croissant regulars',
  stages: [
    { id: 'one-croissant', when: { type: 'ordersContaining', products: CROISSANTS, count: { min: 1 } } },
    { id: 'croissant-regular', when: { type: 'ordersContaining', products: CROISSANTS, count: { min: 3 } } },
  ],
});

/** Customer c's order n: croissants in most, tea in some, a refund of a croissant in one, one cancelled. */
const order = (c: number, n: number, version = 0): OrderFacts =>
  orderFactory({
    orderId: `${c}0${n}`,
    customerId: String(c),
    email: `c${c}@example.com`,
    placedAt: at(BASE + (c + n * 9) * DAY),
    updatedAt: at(BASE + (c + n * 9) * DAY + version * 3_600_000),
    lines: [
      ...(n % 3 !== 2 ? [{ ...CROISSANT, quantity: 1 + (n % 2) }] : []),
      ...(c % 2 === 0 ? [TEA] : []),
      RUM_BABA,
    ],
    total: { amount: 1_200 + c * 10 + n, currency: 'JPY' },
    cancelled: c === 3 && n === 1,
    refunds:
      c === 2 && n === 0 && version > 0
        ? [
            {
              refundId: `${c}0${n}1`,
              orderId: `${c}0${n}`,
              createdAt: at(BASE + (c + n * 9) * DAY + 3_600_000),
              amount: { amount: 300, currency: 'JPY' },
              lines: [{ ...CROISSANT, quantity: 1 }],
            },
          ]
        : [],
  });

/** Customers 1–4 with 1–4 orders (customer 5 none yet), one order updated with a refund, a consent-only customer 6. */
const history = (): ShopifyChange[] => [
  ...[1, 2, 3, 4, 5].flatMap((c) =>
    Array.from({ length: c % 5 }, (_, n): ShopifyChange => ({ type: 'order', order: order(c, n) })),
  ),
  { type: 'order', order: order(2, 0, 1) },
  {
    type: 'consent',
    customerId: '6',
    consent: { state: 'subscribed', updatedAt: at(BASE), email: 'c6@example.com' },
  },
];

const applyAll = async (path: ApplyPath, shop: string, changes: readonly ShopifyChange[]) => {
  for (const change of changes) await path.apply(shop, change);
};

const items = async (table: StoreTable) => {
  const { Items = [] } = await table.doc.send(
    new ScanCommand({ TableName: table.name, ConsistentRead: true }),
  );
  return Items;
};

/** Each customer's aggregate (less its version) and stored orders (less the version that counted them). */
const customers = async (table: StoreTable, shop = SHOP) => {
  const all = await items(table);
  const state = new Map<
    string,
    { aggregate: Omit<CustomerAggregate, 'version'>; orders: OrderContribution[] }
  >();
  for (const item of all.filter((i) => String(i.pk).startsWith(`SHOP#${shop}#CUSTOMER#`))) {
    const decoded = decodeState(item);
    const id = String(item.pk).split('#').at(-1) as string;
    const entry = state.get(id) ?? { aggregate: undefined as never, orders: [] };
    if (decoded) {
      const { version: _v, ...aggregate } = decoded.aggregate;
      entry.aggregate = aggregate;
      // Whatever is pending is the newest copy of its order.
      if (decoded.pendingOrder) entry.orders.push(decoded.pendingOrder.contribution);
    } else if (item.kind === 'order') entry.orders.push(item.contribution as OrderContribution);
    state.set(id, entry);
  }
  for (const entry of state.values()) {
    const byId = new Map(entry.orders.map((o) => [o.orderId, o]));
    entry.orders = [...byId.values()].sort((a, b) => a.orderId.localeCompare(b.orderId));
  }
  return Object.fromEntries([...state.entries()].sort(([a], [b]) => a.localeCompare(b)));
};

const reindexDeps = (table: StoreTable, options: ContributionOptions, pageSize = 3) => ({
  customers: new CustomerReindex(table),
  runs: new ReindexRuns(table),
  options,
  pageSize,
});

describe('reindex when journeys count by a new selector (DynamoDB Local)', () => {
  it('counts every customer again from stored orders, silently, ending where applying everything under the new journeys ends', async () => {
    const table = await local.freshTable();
    const reference = await local.freshTable();
    // Before the deploy: the bakery's journeys; another shop's customers share the table.
    await applyAll(new ApplyPath(table, before, async () => TEST_PEPPER), SHOP, history());
    await applyAll(new ApplyPath(table, before, async () => TEST_PEPPER), OTHER_SHOP, history().slice(0, 3));
    await applyAll(new ApplyPath(reference, after, async () => TEST_PEPPER), SHOP, history());
    const untouched = await customers(table, OTHER_SHOP);

    expect(reindexDue(await new ReindexRuns(table).get(SHOP), after)).toBe(true);
    const run = await runReindex(reindexDeps(table, after), SHOP);

    expect(run).toMatchObject({ status: 'done', scanned: 5, reindexed: 5, current: 0, inexact: 0 });
    expect(run.selectors).toEqual(selectorKeys(after.selectors));
    const reindexed = await customers(table);
    expect(reindexed).toEqual(await customers(reference));
    // Croissants counted from every stored order: three of customer 4's four orders, five units;
    // customer 2's refunded croissant taken off.
    const croissants = selectorKeys([CROISSANTS])[0] as string;
    expect(reindexed['4']?.aggregate.counters[croissants]).toMatchObject({ orders: 3, units: 5 });
    expect(reindexed['2']?.aggregate.counters[croissants]).toMatchObject({ orders: 1, units: 2 });
    expect(reindexed['6']?.aggregate.counted).toEqual(selectorKeys(after.selectors));
    // Silently: a stage it enters is history, not a reason to email.
    const aggregates = (await items(table)).filter(
      (i) => i.kind === 'aggregate' && String(i.pk).includes(SHOP),
    );
    expect(aggregates.every((item) => isSilent(item))).toBe(true);
    // The other shop's customers are not this run's.
    expect(await customers(table, OTHER_SHOP)).toEqual(untouched);
    expect(reindexDue(await new ReindexRuns(table).get(SHOP), after)).toBe(false);
  });

  it('holds the new journey for a customer until they are reindexed, then enters them silently where their whole history puts them', async () => {
    const table = await local.freshTable();
    await applyAll(new ApplyPath(table, before, async () => TEST_PEPPER), SHOP, history());
    const deployed = new ApplyPath(table, after, async () => TEST_PEPPER);
    const aggregateOf = async (customerId: string) => {
      const item = (await items(table)).find(
        (i) => i.pk === `SHOP#${SHOP}#CUSTOMER#${customerId}` && i.sk === 'AGGREGATE',
      );
      return { aggregate: decodeState(item)?.aggregate as CustomerAggregate, silent: isSilent(item) };
    };

    // After the deploy, before the reindex: customer 4 (three croissant orders so far) orders a croissant.
    const old = await aggregateOf('4');
    await deployed.apply(SHOP, { type: 'order', order: order(4, 6) });
    const webhook = await aggregateOf('4');
    // Counted alone, the new order would make them a one-croissant buyer: the journey waits instead.
    expect(stageTransitions([croissantJourney], old.aggregate, webhook.aggregate)).toEqual([]);

    await runReindex(reindexDeps(table, after), SHOP);

    const reindexed = await aggregateOf('4');
    expect(reindexed.silent).toBe(true);
    expect(stageTransitions([croissantJourney], webhook.aggregate, reindexed.aggregate)).toEqual([
      expect.objectContaining({ journeyId: 'croissant-regulars', from: null, to: 'croissant-regular' }),
    ]);
    // From now on the journey follows them as it follows everyone.
    await deployed.apply(SHOP, { type: 'order', order: order(4, 6, 1) });
    const next = await aggregateOf('4');
    expect(next.silent).toBe(false);
    expect(stageTransitions([croissantJourney], reindexed.aggregate, next.aggregate)).toEqual([]);
  });

  it('stopped at its deadline after each page, goes on where it stopped; run again, it does nothing twice', async () => {
    const table = await local.freshTable();
    const reference = await local.freshTable();
    await applyAll(new ApplyPath(table, before, async () => TEST_PEPPER), SHOP, history());
    await applyAll(new ApplyPath(reference, after, async () => TEST_PEPPER), SHOP, history());
    const deps = reindexDeps(table, after, 2);

    const runs = [];
    for (let i = 0; i < 20; i++) {
      const run = await runReindex(deps, SHOP, { deadline: 0 });
      runs.push(run);
      if (run.status === 'done') break;
    }

    expect(runs.length).toBeGreaterThan(2);
    expect(runs.at(-1)).toMatchObject({ status: 'done', scanned: 5, reindexed: 5 });
    expect(await customers(table)).toEqual(await customers(reference));
    // Done for these selectors: answered as it is; restarted, it finds everyone counted already.
    expect(await runReindex(deps, SHOP)).toEqual(runs.at(-1));
    expect(await runReindex(deps, SHOP, { restart: true })).toMatchObject({
      status: 'done',
      reindexed: 0,
      current: 5,
    });
    expect(await customers(table)).toEqual(await customers(reference));
  });

  it('loses nothing to webhooks applied while it runs', async () => {
    const table = await local.freshTable();
    const reference = await local.freshTable();
    const later: ShopifyChange[] = [1, 2, 3, 4, 5].flatMap((c) => [
      { type: 'order', order: order(c, 6) },
      { type: 'order', order: order(c, 6, 1) },
    ]);
    await applyAll(new ApplyPath(table, before, async () => TEST_PEPPER), SHOP, history());
    await applyAll(new ApplyPath(reference, after, async () => TEST_PEPPER), SHOP, [...history(), ...later]);
    const deployed = new ApplyPath(table, after, async () => TEST_PEPPER);

    await Promise.all([
      runReindex(reindexDeps(table, after, 1), SHOP),
      Promise.all(later.map((change) => deployed.apply(SHOP, change))),
    ]);

    expect(await customers(table)).toEqual(await customers(reference));
  });
});
