import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FEED_SHARDS } from '#adapters/store/keys.ts';
import type { CachedTimingResult } from '../analytics/cached-timing.ts';
import type { CompactionResult } from '../analytics/compaction.ts';
import { type FeedReadResult, measureFeedRead } from '../analytics/feed-read.ts';
import { runIsolated } from '../analytics/isolated.ts';
import { REFRESH_FUNCTION, refreshCost } from '../analytics/refresh-cost.ts';
import type { ReportTimingResult } from '../analytics/report-timing.ts';
import type { Benchmark, Figures } from '../benchmark.ts';
import { round } from '../stats.ts';

const SHOP = 'bench-analytics.myshopify.com';
const MEAN_ORDERS = 10;
/** The reports function's memory (the Analytics construct's), which the reports' peak must fit. */
const REPORTS_FUNCTION_MB = 2048;
/**
 * The engine's DuckDB memory limit: 80 % of the reports function's memory, what DuckDB's own default
 * (80 % of the RAM it sees) gives inside that function; on this machine the default would be 19 GB.
 */
const REPORT_MEMORY_LIMIT = `${Math.floor(REPORTS_FUNCTION_MB * 0.8)}MB`;
const REPORT_THREADS = 2;

/**
 * ANALYTICS_CUSTOMERS (default 1,000,000; BENCH_QUICK 10,000) customers with ten orders each on
 * average; ANALYTICS_FEED_CUSTOMERS of them (default 5,000; BENCH_QUICK 1,000) in DynamoDB Local.
 */
const Environment = z.object({
  ANALYTICS_CUSTOMERS: z.coerce.number().int().min(100).optional(),
  ANALYTICS_FEED_CUSTOMERS: z.coerce.number().int().min(10).optional(),
});

const whole = (n: number) => Math.round(n).toLocaleString('en');
const seconds = (ms: number) => round(ms / 1000);
const max = (values: readonly number[]) => values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);

/**
 * The whole feed's reading, from the sample's items per customer and per order fact, sizes and
 * DynamoDB Local's read rate: every customer has an aggregate; order facts are counted exactly;
 * transitions, sends and suppressions scale with customers.
 */
const fullFeed = (sample: FeedReadResult, compaction: CompactionResult) => {
  const perCustomer = (n: number) => n / sample.customers;
  const items = {
    aggregate: compaction.customers,
    fact: compaction.facts,
    transition: Math.round(perCustomer(sample.items.transition) * compaction.customers),
    send: Math.round(perCustomer(sample.items.send) * compaction.customers),
    suppression: Math.round(perCustomer(sample.items.suppression) * compaction.customers),
  };
  const total = items.aggregate + items.fact + items.transition + items.send + items.suppression;
  const bytes =
    items.aggregate * sample.bytesPerItem.aggregate +
    items.fact * sample.bytesPerItem.fact +
    items.transition * sample.bytesPerItem.transition +
    items.send * sample.bytesPerItem.send +
    items.suppression * sample.bytesPerItem.suppression;
  // Pages of at most 1 MB per shard; half a read unit per 4 KB of a page, rounded up (a quarter
  // of a unit a page on average).
  const pages = Math.ceil(bytes / 1024 ** 2) + FEED_SHARDS;
  const readUnits = (bytes / 4096) * 0.5 + pages * 0.25;
  return { items, total, bytes, pages, readUnits, readSeconds: total / sample.itemsPerSecond };
};

const reportTable = (reports: ReportTimingResult, cached: CachedTimingResult): string[] => {
  const find = <T extends { report: string; variant: string }>(
    list: readonly T[],
    report: string,
    variant: string,
  ) => list.find((t) => t.report === report && t.variant === variant);
  const cell = (ms: number | undefined) => (ms === undefined ? '—' : String(Math.round(ms))).padStart(8);
  const fine = (ms: number | undefined) => (ms === undefined ? '—' : ms.toFixed(1)).padStart(7);
  const lines = [
    `  ${'report'.padEnd(22)} | ${'default: cold'.padStart(13)} ${'median'.padStart(8)} | ${'filtered: cold'.padStart(14)} ${'median'.padStart(8)} | ${'memo'.padStart(7)} ${'bucket'.padStart(7)} (ms, default) | peak RSS MB`,
  ];
  for (const report of [...new Set(reports.times.map((t) => t.report))]) {
    const d = find(reports.times, report, 'default');
    const f = find(reports.times, report, 'filtered');
    const c = find(cached.times, report, 'default');
    lines.push(
      `  ${report.padEnd(22)} | ${cell(d?.coldMs).padStart(13)} ${cell(d?.medianMs)} | ${cell(f?.coldMs).padStart(14)} ${cell(f?.medianMs)} | ${fine(c?.memoMs)} ${fine(c?.bucketMs)} | ${cell(Math.max(d?.peakRssMb ?? 0, f?.peakRssMb ?? 0))}`,
    );
  }
  return lines;
};

export const analytics: Benchmark = {
  name: 'analytics',
  label: 'P9',
  description:
    'analytics at 1,000,000 customers / 10,000,000 orders (generated): refresh build time and memory, feed read rate on DynamoDB Local, each report cold and cached, the cost of one refresh on AWS',
  target: [
    { metric: 'slowestReportColdMs', comparison: '<=', threshold: 2_000, unit: 'ms' },
    { metric: 'slowestReportMedianMs', comparison: '<=', threshold: 2_000, unit: 'ms' },
    { metric: 'slowestMemoHitMs', comparison: '<=', threshold: 50, unit: 'ms' },
    { metric: 'slowestBucketHitMs', comparison: '<=', threshold: 50, unit: 'ms' },
    // Memory as a share of 2,048 MB (a FigureTarget has no MB unit).
    { metric: 'reportsPeakRssPercentOf2048Mb', comparison: '<=', threshold: 100, unit: '%' },
    { metric: 'refreshPeakRssPercentOf2048Mb', comparison: '<=', threshold: 100, unit: '%' },
  ],
  warm: null,
  run: async (context) => {
    const environment = Environment.parse(process.env);
    const customers = environment.ANALYTICS_CUSTOMERS ?? (context.quick ? 10_000 : 1_000_000);
    const feedCustomers = environment.ANALYTICS_FEED_CUSTOMERS ?? (context.quick ? 1_000 : 5_000);
    const reportRuns = Math.max(3, context.runs);
    const work = await mkdtemp(join(tmpdir(), 'analytics-bench-'));
    try {
      context.log(
        `  generating and compacting ${whole(customers)} customers (~${whole(customers * MEAN_ORDERS)} orders)…`,
      );
      const compaction = await runIsolated(
        'compact',
        { shop: SHOP, dir: work, customers, orders: customers * MEAN_ORDERS },
        { cwd: work, log: context.log },
      );
      const refreshMs = compaction.totalMs - compaction.generateMs;
      context.log(
        `  compaction: ${seconds(compaction.totalMs)} s in all, of which generating ${seconds(compaction.generateMs)} s, rows ${seconds(compaction.rowsMs)} s, appending ${seconds(compaction.appendMs)} s, Parquet ${seconds(compaction.finishMs)} s; CPU ${seconds(compaction.resources.cpuSeconds * 1000)} s; peak RSS ${whole(compaction.resources.maxRssMb)} MB; load ≤ ${round(compaction.resources.maxLoadAverage)}`,
      );
      context.log(`  reading a ${whole(feedCustomers)}-customer sample of the feed from DynamoDB Local…`);
      const sample = await measureFeedRead({
        shop: SHOP,
        customers: feedCustomers,
        meanOrders: MEAN_ORDERS,
        reads: context.quick ? 1 : Math.max(3, context.runs),
      });
      const feed = fullFeed(sample, compaction);
      context.log(
        `  feed: ${whole(sample.itemsPerSecond)} items/s (${whole(sample.customersPerSecond)} customers/s), ${whole(sample.bytesPerItem.all)} bytes/item; the whole feed ≈ ${whole(feed.total)} items, ${round(feed.bytes / 1024 ** 3, 2)} GB, ${seconds(feed.readSeconds * 1000)} s`,
      );
      const { asOf } = compaction;
      const snapshotDir = join(work, 'snapshot');
      context.log(
        `  each report, ${reportRuns} runs, DuckDB memory limit ${REPORT_MEMORY_LIMIT}, ${REPORT_THREADS} threads…`,
      );
      const reports = await runIsolated(
        'reports',
        {
          dir: snapshotDir,
          asOf,
          runs: reportRuns,
          threads: REPORT_THREADS,
          memoryLimit: REPORT_MEMORY_LIMIT,
        },
        { cwd: work, log: context.log },
      );
      context.log('  cached answers through ReportService on a local S3…');
      const cached = await runIsolated(
        'cached',
        { shop: SHOP, dir: snapshotDir, asOf },
        { cwd: work, log: context.log },
      );

      const timeLeftForFeed = REFRESH_FUNCTION.timeoutSeconds - refreshMs / 1000 - cached.publishMs / 1000;
      const refreshSeconds = feed.readSeconds + refreshMs / 1000 + cached.publishMs / 1000;
      const cost = refreshCost({
        feedReadUnits: feed.readUnits,
        seconds: refreshSeconds,
        snapshotFiles: Object.keys(compaction.files).length,
        snapshotBytes: compaction.snapshotBytes,
      });
      const refreshPeakMb = Math.max(compaction.resources.maxRssMb, compaction.resources.peakRssMb);
      const reportsPeakMb = Math.max(reports.resources.maxRssMb, reports.resources.peakRssMb);
      const figures: Figures = {
        // One compaction, whatever BENCH_RUNS: at full scale it takes minutes.
        compactionRuns: 1,
        customers: compaction.customers,
        orders: compaction.orders,
        orderFacts: compaction.facts,
        snapshotRows: compaction.rows,
        snapshotFiles: compaction.files,
        snapshotMb: compaction.snapshotBytes / 1024 ** 2,
        compactionSeconds: refreshMs / 1000,
        compactionWithGeneratorSeconds: compaction.totalMs / 1000,
        generatorSeconds: compaction.generateMs / 1000,
        rowsSeconds: compaction.rowsMs / 1000,
        appendSeconds: compaction.appendMs / 1000,
        parquetSeconds: compaction.finishMs / 1000,
        compactionCpuSeconds: compaction.resources.cpuSeconds,
        compactionMaxLoadAverage: compaction.resources.maxLoadAverage,
        cores: availableParallelism(),
        refreshPeakRssMb: refreshPeakMb,
        refreshPeakRssSampledMb: compaction.resources.peakRssMb,
        refreshPeakRssPercentOf2048Mb: (refreshPeakMb / 2048) * 100,
        feedSample: { ...sample, readsMs: sample.readsMs.map((ms) => round(ms)) },
        feedItemsPerSecond: sample.itemsPerSecond,
        feedBytesPerItem: sample.bytesPerItem.all,
        feedEstimate: {
          ...feed,
          note: 'the full feed from the sample: items per customer and sizes per kind; read time at DynamoDB Local’s rate',
        },
        feedReadSeconds: feed.readSeconds,
        snapshotPublishSeconds: cached.publishMs / 1000,
        refreshSeconds,
        refreshSecondsFormula:
          'feed items ÷ DynamoDB Local items/s + compaction (rows, appends, Parquet; generator excluded) + publish to the local S3',
        refreshFitsLambdaTimeout: refreshSeconds <= REFRESH_FUNCTION.timeoutSeconds,
        // The read rate the feed would need for the refresh to end within the function's timeout.
        feedItemsPerSecondForLambdaTimeout: timeLeftForFeed > 0 ? feed.total / timeLeftForFeed : null,
        reportMemoryLimit: REPORT_MEMORY_LIMIT,
        reportThreads: REPORT_THREADS,
        reportRuns,
        reportOpenMs: reports.openMs,
        reports: reports.times.map((t) => ({
          ...t,
          runsMs: t.runsMs.map((ms) => round(ms)),
          runsCpuMs: t.runsCpuMs.map((ms) => round(ms)),
        })),
        slowestReportColdMs: max(reports.times.map((t) => t.coldMs)),
        slowestReportMedianMs: max(reports.times.map((t) => t.medianMs)),
        reportsMaxLoadAverage: reports.resources.maxLoadAverage,
        reportsPeakRssMb: reportsPeakMb,
        reportsPeakRssSampledMb: reports.resources.peakRssMb,
        reportsPeakRssPercentOf2048Mb: (reportsPeakMb / REPORTS_FUNCTION_MB) * 100,
        cached: cached.times,
        slowestComputedThroughServiceMs: max(cached.times.map((t) => t.computedMs)),
        slowestMemoHitMs: max(cached.times.map((t) => t.memoMs)),
        slowestBucketHitMs: max(cached.times.map((t) => t.bucketMs)),
        coldServiceFirstRequestMs: cached.coldServiceFirstMs,
        refreshDollars: cost.dollars.total,
        refreshCost: cost,
      };
      context.log('');
      for (const line of reportTable(reports, cached)) context.log(line);
      context.log(
        `  one refresh on AWS ≈ $${cost.dollars.total.toFixed(4)}: DynamoDB $${cost.dollars.dynamoDb.toFixed(4)} (${whole(feed.readUnits)} RRU), Lambda $${cost.dollars.lambda.toFixed(4)} (${round(refreshSeconds)} s × 3,008 MB = ${whole(cost.inputs.gbSeconds)} GB-s), S3 requests $${cost.dollars.s3Requests.toFixed(6)}, storage $${cost.dollars.s3Storage.toFixed(4)}`,
      );
      return {
        figures,
        summary: `refresh of ${whole(compaction.customers)} customers / ${whole(compaction.orders)} orders ≈ ${round(refreshSeconds)} s (feed ${round(feed.readSeconds)} s + compaction ${seconds(refreshMs)} s + publish ${seconds(cached.publishMs)} s), peak ${whole(refreshPeakMb)} MB, $${cost.dollars.total.toFixed(3)}; reports slowest cold ${whole(figures.slowestReportColdMs as number)} ms / median ${whole(figures.slowestReportMedianMs as number)} ms, peak ${whole(reportsPeakMb)} MB; cached memo ${round(figures.slowestMemoHitMs as number)} ms, bucket ${round(figures.slowestBucketHitMs as number)} ms`,
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
