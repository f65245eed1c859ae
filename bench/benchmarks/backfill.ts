import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { HistoryReader } from '#adapters/shopify/history-reader.ts';
import { type BackfillPhase, BackfillRuns } from '#adapters/store/backfills.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { journeyConfig } from '#journeys/index.ts';
import { runBackfill } from '../../functions/backfill/run.ts';
import { createCustomerTable } from '../../local/customer-table.ts';
import { DynamoDbLocal } from '../../local/dynamodb.ts';
import { GeneratedBulkSource, GeneratedHistory } from '../backfill/generated-history.ts';
import { historyCensus, tableCensus } from '../backfill/table-census.ts';
import { dynamoDbLocalWriteRates } from '../backfill/write-floor.ts';
import type { Benchmark, Figures } from '../benchmark.ts';
import { round } from '../stats.ts';

const SHOP = 'bench-backfill.myshopify.com';
const PEPPER = async () => 'bench-pepper';
/**
 * The tables are the CustomerTable's shape without its stream: no evaluator runs here, and DynamoDB
 * Local's stream makes each write pay for the stream records of earlier tables (see
 * `createCustomerTable`), which would measure the emulator, not the backfill.
 */
const NO_STREAM = { stream: false };

/**
 * Webhooks in flight at once in the replay: a fleet of ingest functions, each applying one order.
 * On 2 cores DynamoDB Local answers as fast at 8, 16, 32 or 64 (measured within 10 %), so the
 * replay has its best rate, not a held-back one.
 */
const WEBHOOK_CONCURRENCY = 32;
/** What one order of history writes: its customer's aggregate, its own item and its link. */
const ITEMS_PER_ORDER = 3;

/** BACKFILL_ORDERS (default 1,000,000; BENCH_QUICK 20,000) orders of a fifth as many customers; the replay's sample. */
const Environment = z.object({
  BACKFILL_ORDERS: z.coerce.number().int().min(100).optional(),
  BACKFILL_REPLAY_ORDERS: z.coerce.number().int().min(100).optional(),
});

const applyDeps = (table: StoreTable) => ({
  applyPath: new ApplyPath(table, journeyConfig, PEPPER),
  quarantine: new Quarantine(table),
  runs: new BackfillRuns(table),
});

/** A backfill of the whole history through the real runner; seconds per phase (the phase's first checkpoint on). */
const timedBackfill = async (table: StoreTable, history: GeneratedHistory, log: (line: string) => void) => {
  const began = new Map<BackfillPhase, number>();
  let lastLog = 0;
  const started = performance.now();
  const run = await runBackfill(
    {
      ...applyDeps(table),
      source: GeneratedBulkSource.of(history),
      onProgress: (progress) => {
        if (!began.has(progress.phase)) began.set(progress.phase, performance.now());
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(
            `  ${progress.phase}: line ${progress.line.toLocaleString('en')}, ${progress.applied.toLocaleString('en')} applied`,
          );
        }
      },
    },
    SHOP,
  );
  const ended = performance.now();
  if (run.status !== 'done' || run.problems > 0)
    throw new Error(`the backfill ended ${run.status} with ${run.problems} problem(s): ${run.error ?? ''}`);
  const ordersStarted = began.get('orders') ?? ended;
  return {
    customersSeconds: (ordersStarted - started) / 1000,
    ordersSeconds: (ended - ordersStarted) / 1000,
    seconds: (ended - started) / 1000,
    applied: run.applied,
  };
};

/** The changes a file's lines give, read as the backfill reads them. */
const changesOf = (lines: Iterable<string>): ShopifyChange[] => {
  const reader = new HistoryReader();
  const changes: ShopifyChange[] = [];
  let line = 0;
  for (const text of lines) changes.push(...reader.push(text, ++line).changes);
  changes.push(...reader.end().changes);
  return changes;
};

/**
 * The first `size` orders of the same history replayed as webhooks are applied: one order per
 * `ApplyPath.apply`, not silent, `WEBHOOK_CONCURRENCY` at once in file order, on a table where
 * their customers already are (loaded first, not timed). The same DynamoDB Local, table shape and
 * process as the backfill, so the two differ only in how the apply path is driven; through the
 * local stack's webhook route each order would also pay the gateway, the HMAC, a function
 * invocation and the evaluator downstream (P3 sustains 156 webhooks/s there), so this replay is
 * the webhooks' best case and the ratio a lower bound.
 */
const webhookReplay = async (db: DynamoDbLocal, history: GeneratedHistory, size: number) => {
  const table = await createCustomerTable(db, 'webhook-replay', NO_STREAM);
  const sample = [...takeOrders(history, size)];
  const customers = [...new Set(sample.map((o) => o.customer))];
  const { applyPath } = applyDeps(table);
  await runBackfill(
    {
      ...applyDeps(table),
      source: new GeneratedBulkSource({
        customers: () => customers.map((c) => history.customerLine(c)),
        orders: () => [],
      }),
    },
    SHOP,
  );
  const orders = changesOf(sample.flatMap((o) => o.lines));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WEBHOOK_CONCURRENCY }, async () => {
      for (let i = next++; i < orders.length; i = next++) {
        const order = orders[i];
        if (order) await applyPath.apply(SHOP, order);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const census = await tableCensus(table);
  if (census.orders !== orders.length)
    throw new Error(`the replay stored ${census.orders} of ${orders.length} orders`);
  return { orders: orders.length, seconds, ordersPerSecond: orders.length / seconds };
};

const whole = (n: number) => Math.round(n).toLocaleString('en');

function* takeOrders(history: GeneratedHistory, size: number) {
  let taken = 0;
  for (const order of history.generatedOrders()) {
    if (taken++ >= size) return;
    yield order;
  }
}

export const backfill: Benchmark = {
  name: 'backfill',
  label: 'P8',
  description:
    'backfill of 1,000,000 orders of 200,000 customers on DynamoDB Local (orders/s), and over replaying the same orders as webhooks',
  target: [
    { metric: 'ordersPerSecond', comparison: '>=', threshold: 5_000, unit: '/s' },
    { metric: 'speedup', comparison: '>=', threshold: 10, unit: '×' },
  ],
  warm: null,
  run: async (context) => {
    const environment = Environment.parse(process.env);
    const orders = environment.BACKFILL_ORDERS ?? (context.quick ? 20_000 : 1_000_000);
    const replayOrders = Math.min(
      orders,
      environment.BACKFILL_REPLAY_ORDERS ?? (context.quick ? 2_000 : 20_000),
    );
    const history = new GeneratedHistory({ customers: Math.max(1, Math.round(orders / 5)), orders });
    let counted = 0;
    for (const order of history.generatedOrders()) if (order.counts) counted++;
    const db = await DynamoDbLocal.start();
    try {
      const floorTable = await createCustomerTable(db, 'write-floor', NO_STREAM);
      const floor = await dynamoDbLocalWriteRates(floorTable, {
        seconds: context.quick ? 5 : 10,
        warmSeconds: context.quick ? 5 : 10,
      });
      // Its hundreds of thousands of items would only take memory from the backfill's.
      await db.client.send(new DeleteTableCommand({ TableName: floorTable.name }));
      context.log(
        `  DynamoDB Local: ${Math.round(floor.batchWriteItemsPerSecond)} items/s by BatchWriteItem, ${Math.round(floor.transactionItemsPerSecond)} conditional items/s in transactions, ${Math.round(floor.conditionalPutsPerSecond)} conditional puts/s`,
      );
      const table = await createCustomerTable(db, 'backfill', NO_STREAM);
      const timed = await timedBackfill(table, history, context.log);
      const census = await historyCensus(table, SHOP, history);
      const expected = {
        aggregates: history.customers,
        orders,
        orderLinks: orders,
        ordersCounted: counted,
        wrongLinks: 0,
      };
      if (JSON.stringify(census) !== JSON.stringify(expected))
        throw new Error(`the table holds ${JSON.stringify(census)}, expected ${JSON.stringify(expected)}`);
      const replay = await webhookReplay(db, history, replayOrders);
      const ordersPerSecond = orders / timed.ordersSeconds;
      // What DynamoDB Local lets any backfill reach, writing each order's items under conditions
      // (transactions), or even without any (BatchWriteItem).
      const ceiling = floor.transactionItemsPerSecond / ITEMS_PER_ORDER;
      const unconditionalCeiling = floor.batchWriteItemsPerSecond / ITEMS_PER_ORDER;
      const figures: Figures = {
        // One run, whatever BENCH_RUNS: a million orders take a quarter of an hour.
        backfillRuns: 1,
        orders,
        customers: history.customers,
        ordersPerSecond,
        overallOrdersPerSecond: orders / timed.seconds,
        customersPerSecond: history.customers / timed.customersSeconds,
        ...timed,
        census,
        webhookReplayOrders: replay.orders,
        webhookReplayConcurrency: WEBHOOK_CONCURRENCY,
        webhookReplayOrdersPerSecond: replay.ordersPerSecond,
        speedup: ordersPerSecond / replay.ordersPerSecond,
        dynamoDbLocalBatchWriteItemsPerSecond: floor.batchWriteItemsPerSecond,
        dynamoDbLocalTransactionItemsPerSecond: floor.transactionItemsPerSecond,
        dynamoDbLocalConditionalPutsPerSecond: floor.conditionalPutsPerSecond,
        itemsPerOrder: ITEMS_PER_ORDER,
        ceilingOrdersPerSecond: ceiling,
        unconditionalCeilingOrdersPerSecond: unconditionalCeiling,
        ofCeilingPercent: (ordersPerSecond / ceiling) * 100,
      };
      return {
        figures,
        summary: `${whole(ordersPerSecond)} orders/s (${round(timed.seconds)} s in all for ${orders.toLocaleString('en')}) vs ${whole(replay.ordersPerSecond)}/s as webhooks = ${round(ordersPerSecond / replay.ordersPerSecond)}×; DynamoDB Local allows ${whole(ceiling)} orders/s (${whole(floor.transactionItemsPerSecond)} conditional items/s), ${whole(unconditionalCeiling)} unconditionally (${whole(floor.batchWriteItemsPerSecond)} items/s by BatchWriteItem)`,
      };
    } finally {
      db.stop();
    }
  },
};
