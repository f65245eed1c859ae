import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { REPORTS, type ReportName } from '#domain/analytics/reports.ts';
import { definitionsOf } from '#domain/analytics/snapshot-rows.ts';
import { journeyConfig } from '#journeys/index.ts';
import { ReportService } from '../../functions/analytics/report-service.ts';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import { S3Local } from '../../local/s3.ts';
import { queryOf, VARIANTS, type Variant } from './report-timing.ts';

const BUCKET = 'analytics-bench';
const SQL_DIR = new URL('../../functions/analytics/reports/', import.meta.url);

export type CachedTimingInput = { shop: string; dir: string; asOf: string };

export type CachedTime = {
  report: ReportName;
  variant: Variant;
  /** The first request on the first service: computed, then cached in memory and in the bucket. */
  computedMs: number;
  /** The same request again on the same service: answered from its memory. */
  memoMs: number;
  /** The same request on a second service (snapshot already open): answered from the bucket. */
  bucketMs: number;
};

export type CachedTimingResult = {
  /** Uploading the snapshot to the local S3 (`SnapshotStore.publish`). */
  publishMs: number;
  /** A new service's very first request (a new instance of the function), of an answer already in the bucket. */
  coldServiceFirstMs: number;
  times: CachedTime[];
};

const timed = async (answer: () => Promise<{ status: number }>): Promise<number> => {
  const started = performance.now();
  const { status } = await answer();
  const ms = performance.now() - started;
  if (status !== 200) throw new Error(`a report answered ${status}`);
  return ms;
};

/**
 * The report service as the analytics function runs it, on a local S3 (`S3Local`): the snapshot
 * published, then every report and variant asked of a first service (computed, then asked again:
 * its memory), and of a second, new service (as another instance of the function would be), which
 * finds each answer in the bucket. A third service's very first request is timed on its own: what
 * a new instance pays for an answer already cached, whatever the service opens first for it.
 */
export const timeCached = async (input: CachedTimingInput): Promise<CachedTimingResult> => {
  const work = await mkdtemp(join(tmpdir(), 'analytics-bench-cache-'));
  const s3 = await S3Local.start(join(work, 's3'), [BUCKET]);
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const store = new SnapshotStore(client, BUCKET);
  const service = (name: string) =>
    new ReportService(store, {
      workDir: join(work, name),
      sqlDir: SQL_DIR,
      definitions: definitionsOf(journeyConfig),
      now: () => new Date(input.asOf),
    });
  try {
    const publishing = performance.now();
    await store.publish(input.shop, input.dir, {
      snapshotId: `bench-${input.asOf.replace(/[:.]/g, '-')}`,
      refreshedAt: input.asOf,
    });
    const publishMs = performance.now() - publishing;
    const first = service('first');
    const partial: Omit<CachedTime, 'bucketMs'>[] = [];
    for (const report of REPORTS)
      for (const variant of VARIANTS) {
        const ask = () => first.answer(input.shop, report, queryOf(variant, input.asOf));
        partial.push({ report, variant, computedMs: await timed(ask), memoMs: await timed(ask) });
      }
    const coldServiceFirstMs = await timed(() => service('cold').answer(input.shop, 'summary', {}));
    // Another instance, warmed by a request of its own (a day none of the timed requests asks, so
    // computed): its first-request costs are paid, and each timed request is a read from the bucket.
    const second = service('second');
    const dayBefore = new Date(Date.parse(input.asOf) - 86_400_000).toISOString().slice(0, 10);
    await second.answer(input.shop, 'summary', { to: dayBefore });
    const times: CachedTime[] = [];
    for (const time of partial)
      times.push({
        ...time,
        bucketMs: await timed(() =>
          second.answer(input.shop, time.report, queryOf(time.variant, input.asOf)),
        ),
      });
    return { publishMs, coldServiceFirstMs, times };
  } finally {
    client.destroy();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
};
