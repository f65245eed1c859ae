import { ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { type Applied, ApplyPath } from '#apply/apply-change.ts';
import type { ShopifyChange } from '#domain/change.ts';
import type { OrderFacts, RefundFacts } from '#domain/order.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { journeyConfig } from '#journeys/index.ts';
import { CROISSANT, orderFactory, RUM_BABA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const local = useDynamoDbLocal();
const DAY = 86_400_000;
const BASE = Date.parse('2026-06-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

/** Customer 4 was redacted before anything else arrives: nothing may bring them back. */
const REDACTED = '4';
/** Six orders, each of one customer (1–4), placed on different days so bounds can move. */
const ORDER_IDS = ['101', '102', '103', '104', '105', '106'];
const customerOf = (orderId: string) => String((Number(orderId) % 4) + 1);

/** Refund `n` of an order: the same facts wherever it is listed (refunds never change). */
const refundOf = (orderId: string, n: number): RefundFacts => ({
  refundId: `${orderId}0${n}`,
  orderId,
  createdAt: at(BASE + Number(orderId) * DAY + n * 3_600_000),
  amount: { amount: 100 * n, currency: 'JPY' },
  lines: [{ ...RUM_BABA, quantity: 1 }],
});

/** Version `v` (0–3) of an order: later versions change lines, list refunds, or cancel it. */
const orderVersion = (orderId: string, v: number): OrderFacts =>
  orderFactory({
    orderId,
    customerId: customerOf(orderId),
    email: `c${customerOf(orderId)}@example.com`,
    placedAt: at(BASE + (Number(orderId) % 7) * DAY),
    updatedAt: at(BASE + (Number(orderId) % 7) * DAY + v * 3_600_000),
    lines: v % 2 === 0 ? [RUM_BABA] : [{ ...RUM_BABA, quantity: 2 }, CROISSANT],
    total: { amount: v % 2 === 0 ? 480 : 1_300, currency: 'JPY' },
    cancelled: v === 3,
    refunds: v >= 2 ? [refundOf(orderId, 1)] : [],
    tags: v === 1 ? ['gift'] : [],
  });

const change: fc.Arbitrary<ShopifyChange> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ o: fc.constantFrom(...ORDER_IDS), v: fc.integer({ min: 0, max: 3 }) })
      .map(({ o, v }): ShopifyChange => ({ type: 'order', order: orderVersion(o, v) })),
  },
  fc
    .record({ o: fc.constantFrom(...ORDER_IDS), n: fc.integer({ min: 1, max: 2 }) })
    .map(({ o, n }): ShopifyChange => ({ type: 'refund', refund: refundOf(o, n) })),
  fc
    .record({
      c: fc.constantFrom('1', '2', '3', REDACTED),
      h: fc.integer({ min: 0, max: 5 }),
      s: fc.boolean(),
    })
    .map(
      ({ c, h, s }): ShopifyChange => ({
        type: 'consent',
        customerId: c,
        consent: {
          state: s ? 'subscribed' : 'unsubscribed',
          updatedAt: at(BASE + h * 3_600_000),
          email: `c${c}@example.com`,
        },
      }),
    ),
  fc
    .record({ c: fc.constantFrom('1', '2', '3'), h: fc.integer({ min: 0, max: 5 }), present: fc.boolean() })
    .map(
      ({ c, h, present }): ShopifyChange => ({
        type: 'customer-tags',
        customerId: c,
        tags: { tags: ['vip'], present, at: at(BASE + h * 3_600_000) },
      }),
    ),
  fc.record({ c: fc.constantFrom('1', '2', '3'), h: fc.integer({ min: 0, max: 5 }) }).map(
    ({ c, h }): ShopifyChange => ({
      type: 'customer',
      customerId: c,
      update: {
        email: `c${c}+${h}@example.com`,
        address: { countryCode: 'JP', provinceCode: h % 2 ? 'JP-13' : 'JP-14' },
        at: at(BASE + h * 3_600_000),
      },
    }),
  ),
);

const freshPath = async () => {
  const table = await local.freshTable();
  const applyPath = new ApplyPath(table, journeyConfig, async () => TEST_PEPPER);
  await applyPath.apply(SHOP, {
    type: 'privacy',
    request: { type: 'customer-redact', customerId: REDACTED, email: null },
    at: at(BASE - DAY),
  });
  return { table, applyPath };
};

/**
 * Every item of a table, in key order. An aggregate is compared by what it holds — the aggregate,
 * its version, whether history wrote it — and its pending order only as one of the customer's
 * stored orders: `applyMany` writes an order's item with its aggregate, so keeps no pending copy,
 * where `apply` keeps the last one (its item written too). Whatever is pending must be stored.
 */
const tableState = async (table: StoreTable) => {
  const { Items = [] } = await table.doc.send(
    new ScanCommand({ TableName: table.name, ConsistentRead: true }),
  );
  const items = new Map(Items.map((item) => [`${item.pk}\n${item.sk}`, item]));
  return [...items.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, item]) => {
      const state = decodeState(item);
      if (!state) return item;
      const pending = state.pendingOrder;
      if (pending) {
        const stored = items.get(`${item.pk}\nORDER#${pending.contribution.orderId}`);
        expect(Number(stored?.appliedVersion)).toBeGreaterThanOrEqual(pending.version);
      }
      const { state: _bytes, ...rest } = item;
      return { ...rest, aggregate: state.aggregate };
    });
};

const statusOf = (result: Applied | UnusableChange) =>
  result instanceof UnusableChange ? `unusable: ${result.message}` : result.status;

/** `changes` through `apply`, one after another, as the reference. */
const oneByOne = async (applyPath: ApplyPath, changes: readonly ShopifyChange[]) => {
  const statuses: string[] = [];
  for (const c of changes)
    statuses.push(
      statusOf(
        await applyPath.apply(SHOP, c, { silent: true }).catch((error: unknown) => {
          if (error instanceof UnusableChange) return error;
          throw error;
        }),
      ),
    );
  return statuses;
};

/** `changes` through `applyMany`, in consecutive batches of the given sizes. */
const inBatches = async (
  applyPath: ApplyPath,
  changes: readonly ShopifyChange[],
  sizes: readonly number[],
) => {
  const statuses: string[] = [];
  let from = 0;
  for (let b = 0; from < changes.length; b++) {
    const size = sizes[b % Math.max(1, sizes.length)] ?? changes.length;
    const batch = changes.slice(from, from + size);
    from += batch.length;
    statuses.push(...(await applyPath.applyMany(SHOP, batch, { silent: true })).map(statusOf));
  }
  return statuses;
};

/** A table whose first `TransactWriteItems` lets `meanwhile` write first (another writer between read and write). */
const interleaved = (table: StoreTable, meanwhile: () => Promise<void>): StoreTable => {
  let pending: (() => Promise<void>) | null = meanwhile;
  const doc = new Proxy(table.doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        if (pending && command instanceof TransactWriteCommand) {
          const run = pending;
          pending = null;
          await run();
        }
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  return { doc, name: table.name };
};

describe('applyMany ends where apply, one change after another, ends (DynamoDB Local)', () => {
  it('for any history, after any webhooks, in batches of any size, and again when run twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
        async (changes, cut, sizes) => {
          const webhooks = changes.slice(0, cut % (changes.length + 1));
          const reference = await freshPath();
          const batched = await freshPath();
          for (const path of [reference, batched])
            for (const c of webhooks) await path.applyPath.apply(SHOP, c);

          const expected = await oneByOne(reference.applyPath, changes);
          const actual = await inBatches(batched.applyPath, changes, sizes);

          expect(actual).toEqual(expected);
          expect(await tableState(batched.table)).toEqual(await tableState(reference.table));
          // A resumed or repeated run: everything is a duplicate, nothing changes.
          expect(await inBatches(batched.applyPath, changes, [changes.length])).toEqual(
            await oneByOne(reference.applyPath, changes),
          );
          expect(await tableState(batched.table)).toEqual(await tableState(reference.table));
        },
      ),
      { numRuns: 25, seed: 20261202, endOnFailure: true },
    );
    // 25 histories, each applied four times over on DynamoDB Local: minutes on a busy machine.
  }, 240_000);

  it('folds a customer’s profile, consent and tags into one write, with the version one by one gives', async () => {
    const { table, applyPath } = await freshPath();
    const changes: ShopifyChange[] = [
      { type: 'customer', customerId: '1', update: { email: 'c1@example.com', address: null, at: at(BASE) } },
      {
        type: 'consent',
        customerId: '1',
        consent: { state: 'subscribed', updatedAt: at(BASE), email: 'c1@example.com' },
      },
      { type: 'customer-tags', customerId: '1', tags: { tags: ['vip'], present: true, at: at(BASE) } },
    ];

    const results = await applyPath.applyMany(SHOP, changes, { silent: true });

    expect(results.map(statusOf)).toEqual(['applied', 'applied', 'applied']);
    const [aggregate] = (await tableState(table)).filter((item) => item.kind === 'aggregate');
    expect(aggregate).toMatchObject({
      version: 3,
      silent: true,
      aggregate: { version: 3, email: 'c1@example.com', emailMarketing: { state: 'subscribed' } },
    });
  });

  it('reads again and loses nothing when a webhook for the same customer lands between its read and its write', async () => {
    const reference = await freshPath();
    const batched = await freshPath();
    const webhook: ShopifyChange = { type: 'order', order: orderVersion('101', 0) };
    const history: ShopifyChange[] = [
      { type: 'order', order: orderVersion('105', 1) },
      { type: 'order', order: orderVersion('101', 2) },
    ];
    await reference.applyPath.apply(SHOP, webhook);
    await oneByOne(reference.applyPath, history);

    const racing = new ApplyPath(
      interleaved(batched.table, async () => {
        await batched.applyPath.apply(SHOP, webhook);
      }),
      journeyConfig,
      async () => TEST_PEPPER,
    );
    await racing.applyMany(SHOP, history, { silent: true });

    expect(await tableState(batched.table)).toEqual(await tableState(reference.table));
  });

  it('takes in a refund parked between its read and its write', async () => {
    const reference = await freshPath();
    const batched = await freshPath();
    const refund: ShopifyChange = { type: 'refund', refund: refundOf('102', 2) };
    const history: ShopifyChange[] = [{ type: 'order', order: orderVersion('102', 0) }];
    await reference.applyPath.apply(SHOP, refund);
    await oneByOne(reference.applyPath, history);

    const racing = new ApplyPath(
      interleaved(batched.table, async () => {
        expect((await batched.applyPath.apply(SHOP, refund)).status).toBe('parked');
      }),
      journeyConfig,
      async () => TEST_PEPPER,
    );
    await racing.applyMany(SHOP, history, { silent: true });

    const state = await tableState(batched.table);
    expect(state).toEqual(await tableState(reference.table));
    expect(state.find((item) => item.kind === 'aggregate')).toMatchObject({
      aggregate: { totalSpent: { amount: 280 } },
    });
  });

  it('answers a change it can never apply as unusable, and a redacted customer as redacted, applying the others', async () => {
    const reference = await freshPath();
    const batched = await freshPath();
    // Customer 2's second order would take their spend past what a number holds exactly.
    const changes: ShopifyChange[] = [
      {
        type: 'order',
        order: { ...orderVersion('101', 0), total: { amount: Number.MAX_SAFE_INTEGER, currency: 'JPY' } },
      },
      { type: 'order', order: orderVersion('105', 0) },
      { type: 'order', order: orderVersion('102', 0) },
      { type: 'order', order: orderVersion('107', 0) },
    ];

    const results = (await batched.applyPath.applyMany(SHOP, changes, { silent: true })).map(statusOf);

    expect(results).toEqual(['applied', expect.stringMatching(/^unusable: /), 'applied', 'redacted']);
    expect(results).toEqual(await oneByOne(reference.applyPath, changes));
    expect(await tableState(batched.table)).toEqual(await tableState(reference.table));
  });
});
