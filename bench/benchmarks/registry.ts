import type { Benchmark } from '../benchmark.ts';
import { aggregation } from './aggregation.ts';
import { analytics } from './analytics.ts';
import { backfill } from './backfill.ts';
import { coldStart } from './cold-start.ts';
import { cost } from './cost.ts';
import { floor } from './floor.ts';
import { history } from './history.ts';
import { ingestLatency } from './ingest-latency.ts';
import { sweep } from './sweep.ts';
import { throughput } from './throughput.ts';
import { webhookToEmail } from './webhook-to-email.ts';

/**
 * Every benchmark, in the order they run: the floor first (the reference of the ratios), the
 * throughput search last (it fills the table most and loads the machine hardest).
 */
export const BENCHMARKS: readonly Benchmark[] = [
  floor,
  ingestLatency,
  webhookToEmail,
  history,
  cost,
  aggregation,
  coldStart,
  backfill,
  analytics,
  sweep,
  throughput,
];
