import type { LocalStack } from '../../local/stack.ts';
import type { BenchContext, Benchmark } from '../benchmark.ts';
import { orderDelivery, ROUTES, type Route, random, settle } from '../deliveries.ts';
import { medianOfRuns, percentile, round } from '../stats.ts';
import { sustainedRate } from '../sustained.ts';
import { sendAtRate } from '../traffic.ts';

/** The fixed rate latency is measured at, for the ingest and its floor alike. */
export const LATENCY_RATE = 100;

/** Client round trips of `count` order webhooks sent open loop at `rate` to one route. */
export const latencyWindow = async (
  stack: LocalStack,
  route: Route,
  shop: string,
  count: number,
  rate: number,
) => {
  const deliveries = Array.from({ length: count }, () => orderDelivery(shop, 1 + Math.floor(random() * 500)));
  const { results } = await sendAtRate(route.base(stack), deliveries, rate);
  await settle(stack);
  const ms = results.map((r) => r.ms);
  return {
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    errors: results.filter((r) => r.status !== 200).length,
  };
};

/** The floor's highest sustained rate, searched once per `npm run bench` (the floor and throughput benchmarks share it). */
export const floorSustainedRate = (context: BenchContext) =>
  context.once('floor-sustained', () =>
    sustainedRate(
      context.stack,
      ROUTES.floor,
      { probeSeconds: context.quick ? 5 : 10, confirmSeconds: context.quick ? 10 : 60 },
      context.log,
    ),
  );

export const floor: Benchmark = {
  name: 'floor',
  label: 'P0',
  description:
    'the floor any ingest must pay: a signed webhook through the local gateway to a function that verifies its HMAC and does one conditional DynamoDB write',
  target: [],
  warm: ['floor'],
  run: async (context) => {
    const count = context.quick ? 300 : 1_500;
    const latency = await medianOfRuns(context.runs, (run) =>
      latencyWindow(context.stack, ROUTES.floor, `bench-floor-${run}.myshopify.com`, count, LATENCY_RATE),
    );
    const sustained = await floorSustainedRate(context);
    return {
      figures: { rate: LATENCY_RATE, requests: count, ...latency, ...sustained },
      summary: `p50 ${round(latency.p50Ms)} / p99 ${round(latency.p99Ms)} ms at ${LATENCY_RATE}/s (${latency.errors} errors); sustains ${sustained.sustainedPerSecond}/s`,
    };
  },
};
