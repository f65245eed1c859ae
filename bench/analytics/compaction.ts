import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCustomerSnapshot } from '#adapters/analytics/snapshot.ts';
import {
  type CustomerSnapshotRows,
  customerSnapshotRows,
  definitionsOf,
} from '#domain/analytics/snapshot-rows.ts';
import { journeyConfig } from '#journeys/index.ts';
import { GeneratedFeed, type GeneratedFeedOptions } from './generated-feed.ts';
import { ResourceSampler, type ResourceUse } from './memory.ts';

export type CompactionInput = GeneratedFeedOptions & { shop: string; dir: string };

export type CompactionResult = {
  /** The snapshot's as-of instant (the feed's end). */
  asOf: string;
  customers: number;
  orders: number;
  facts: number;
  rows: { customers: number; orders: number; orderProducts: number; memberships: number };
  /** Parquet and JSON files of the snapshot, bytes. */
  files: Record<string, number>;
  snapshotBytes: number;
  /** Wall time of the whole pass, generation included. */
  totalMs: number;
  /** Inside the generator (what reading the feed from DynamoDB stands in for; not the refresh's own work). */
  generateMs: number;
  /** Inside `customerSnapshotRows`. */
  rowsMs: number;
  /** The appenders taking each customer's rows (the rest of the pass while customers arrive). */
  appendMs: number;
  /** After the last customer: the key checks, the Parquet copies, the JSON files and the rename. */
  finishMs: number;
  resources: ResourceUse;
};

/**
 * What a refresh does once its feed is read, in this process, over a generated feed: each
 * customer's rows by `customerSnapshotRows` (under the demo journeys and segment), streamed into
 * `writeCustomerSnapshot` — the same two calls `refreshShop` makes, without DynamoDB and S3. Time
 * spent generating is measured apart, so the refresh's own work is the total less it.
 */
export const compact = async (
  input: CompactionInput,
  log: (line: string) => void = () => {},
): Promise<CompactionResult> => {
  const feed = new GeneratedFeed(input.shop, input);
  const sampler = new ResourceSampler();
  let generateMs = 0;
  let rowsMs = 0;
  let orders = 0;
  let facts = 0;
  let done = 0;
  let lastLog = performance.now();
  const started = performance.now();
  let generated = started;
  async function* bundles(): AsyncGenerator<CustomerSnapshotRows> {
    const customers = feed.generate();
    for (;;) {
      const before = performance.now();
      const next = await customers.next();
      const after = performance.now();
      generateMs += after - before;
      if (next.done) {
        generated = after;
        return;
      }
      orders += next.value.orders;
      facts += next.value.feed.facts.length;
      const rows = customerSnapshotRows(next.value.feed, journeyConfig, feed.asOf);
      rowsMs += performance.now() - after;
      if (++done % 10_000 === 0 && after - lastLog > 30_000) {
        lastLog = after;
        log(
          `  compaction: ${done.toLocaleString('en')} of ${feed.customers.toLocaleString('en')} customers, ${Math.round((after - started) / 1000)} s`,
        );
      }
      yield rows;
    }
  }
  const dir = join(input.dir, 'snapshot');
  const info = await writeCustomerSnapshot(dir, {
    shop: input.shop,
    refreshedAt: feed.asOf,
    definitions: definitionsOf(journeyConfig),
    customers: bundles(),
  });
  const ended = performance.now();
  const resources = sampler.stop();
  const files: Record<string, number> = {};
  for (const file of await readdir(dir)) files[file] = (await stat(join(dir, file))).size;
  return {
    asOf: feed.asOf,
    customers: info.counts.customers,
    orders,
    facts,
    rows: info.counts,
    files,
    snapshotBytes: Object.values(files).reduce((sum, size) => sum + size, 0),
    totalMs: ended - started,
    generateMs,
    rowsMs,
    appendMs: generated - started - generateMs - rowsMs,
    finishMs: ended - generated,
    resources,
  };
};
