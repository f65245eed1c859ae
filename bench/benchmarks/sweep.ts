import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { aggregatePut } from '#adapters/store/customers.ts';
import { type DueTally, readDue } from '#adapters/store/due-index.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { type CustomerAggregate, emptyAggregate } from '#domain/aggregate.ts';
import { DAY_MS } from '#domain/timing.ts';
import { wakeTime } from '#domain/wake.ts';
import { journeyConfig } from '#journeys/index.ts';
import { SWEEP_LIMIT, sweepDue } from '../../functions/sweep/sweep.ts';
import { createCustomerTable } from '../../local/customer-table.ts';
import { DynamoDbLocal } from '../../local/dynamodb.ts';
import type { Benchmark } from '../benchmark.ts';
import { median, round } from '../stats.ts';

const SHOP = 'bench-sweep.myshopify.com';
/** SWEEP_CUSTOMERS (default 1,000,000; BENCH_QUICK 20,000) customers, SWEEP_DUE (10,000; 200) of them due. */
const Environment = z.object({
  SWEEP_CUSTOMERS: z.coerce.number().int().min(100).optional(),
  SWEEP_DUE: z.coerce.number().int().min(1).optional(),
});
const BATCH = 25;
const WRITERS = 16;

/**
 * Customer `i` of the bench shop: two in five are regulars (three orders), the rest bought once.
 * The first `due` regulars' last order was just over 45 days ago (lapsing-regulars flips for them
 * by now); the other regulars ordered within the last 44 days (their flip is ahead); a one-time
 * buyer has no time condition that can move them (no wake time at all).
 */
const customer = (i: number, due: number, now: number): CustomerAggregate => {
  const regular = i % 5 < 2;
  const regularIndex = Math.floor(i / 5) * 2 + (i % 5);
  const lastOrder = !regular
    ? now - (i % 300) * DAY_MS
    : regularIndex < due
      ? now - 45 * DAY_MS - 3_600_000 - (regularIndex % 3_600) * 1_000
      : now - (regularIndex % 44) * DAY_MS - 60_000;
  const at = new Date(lastOrder).toISOString();
  return {
    ...emptyAggregate(SHOP, String(1_000_000 + i), at),
    email: `c${i}@example.com`,
    ordersCount: regular ? 3 : 1,
    totalSpent: { amount: regular ? 1440 : 480, currency: 'JPY' },
    firstOrderAt: new Date(lastOrder - (regular ? 60 : 0) * DAY_MS).toISOString(),
    lastOrderAt: at,
    emailMarketing: { state: 'subscribed', updatedAt: at },
    version: regular ? 3 : 1,
  };
};

/** Writes the customers' aggregate items as the apply path would (with their wake times), 16 batches at a time. */
const load = async (table: StoreTable, customers: number, due: number, now: number) => {
  let next = 0;
  let waking = 0;
  const writer = async () => {
    while (next < customers) {
      const start = next;
      next = Math.min(customers, next + BATCH);
      let requests = Array.from({ length: next - start }, (_, k) => {
        const aggregate = customer(start + k, due, now);
        const wakeAt = wakeTime(journeyConfig, aggregate);
        if (wakeAt) waking++;
        const { item } = aggregatePut(
          SHOP,
          aggregate.customerId,
          { aggregate, pendingOrder: null },
          null,
          false,
          wakeAt,
        );
        return { PutRequest: { Item: item } };
      });
      while (requests.length > 0) {
        const { UnprocessedItems } = await table.doc.send(
          new BatchWriteCommand({ RequestItems: { [table.name]: requests } }),
        );
        requests = (UnprocessedItems?.[table.name] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  return waking;
};

export const sweep: Benchmark = {
  name: 'sweep',
  label: 'P10',
  description: 'the sweep of time-based stages: 1,000,000 customers, 10,000 due → index items read',
  target: [
    // "About 10,000": every due customer read once, nothing else (an index page's overshoot at most).
    { metric: 'itemsReadPerDue', comparison: '<=', threshold: 1.01, unit: '×' },
  ],
  warm: null,
  run: async (context) => {
    const env = Environment.parse(process.env);
    const customers = env.SWEEP_CUSTOMERS ?? (context.quick ? 20_000 : 1_000_000);
    const due = Math.min(env.SWEEP_DUE ?? (context.quick ? 200 : 10_000), Math.floor(customers / 3));
    const now = Date.now();
    const db = await DynamoDbLocal.start();
    try {
      const table = await createCustomerTable(db, 'sweep', { stream: false });
      const loading = performance.now();
      const waking = await load(table, customers, due, now);
      const loadSeconds = (performance.now() - loading) / 1000;
      context.log(
        `  loaded ${customers.toLocaleString('en')} customers (${waking.toLocaleString('en')} with a wake time) in ${round(loadSeconds)} s`,
      );
      const reads: { items: number; pages: number; readUnits: number; ms: number }[] = [];
      // One read more than asked, first: DynamoDB Local's JIT is cold.
      for (let run = 0; run <= context.runs; run++) {
        const tally: DueTally = { pages: 0, readUnits: 0 };
        const started = performance.now();
        const items = await readDue(table, 'WAKE', new Date(now).toISOString(), SWEEP_LIMIT, tally);
        if (run > 0) reads.push({ items: items.length, ...tally, ms: performance.now() - started });
      }
      const read = reads[0] ?? { items: 0, pages: 0, readUnits: 0, ms: 0 };
      const applyPath = new ApplyPath(table, journeyConfig, async () => 'bench-pepper');
      const sweeping = performance.now();
      const report = await sweepDue({ table, applyPath }, new Date(now));
      const sweepSeconds = (performance.now() - sweeping) / 1000;
      const left = await readDue(table, 'WAKE', new Date(now).toISOString(), SWEEP_LIMIT);
      if (report.applied !== due || left.length !== 0)
        throw new Error(
          `the sweep applied ${report.applied} of ${due} due customers, ${left.length} left due`,
        );
      const figures = {
        customers,
        withWakeTime: waking,
        due,
        itemsRead: read.items,
        itemsReadPerDue: read.items / due,
        pages: read.pages,
        indexReadUnits: read.readUnits,
        readMs: median(reads.map((r) => r.ms)),
        sweepSeconds,
        customersPerSecond: due / sweepSeconds,
        loadSeconds,
      };
      return {
        figures,
        summary: `${read.items.toLocaleString('en')} index items read for ${due.toLocaleString('en')} due of ${customers.toLocaleString('en')} (${round(figures.readMs)} ms, ${read.pages} pages, ${round(read.readUnits)} RCU); sweep ${round(sweepSeconds)} s`,
      };
    } finally {
      db.stop();
    }
  },
};
