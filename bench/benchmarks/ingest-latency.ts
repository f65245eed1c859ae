import type { Benchmark, RouteName } from '../benchmark.ts';
import { ROUTES } from '../deliveries.ts';
import { medianOfRuns, round } from '../stats.ts';
import { LATENCY_RATE, latencyWindow } from './floor.ts';

export const ingestLatency: Benchmark = {
  name: 'ingest-latency',
  label: 'P1',
  description: `ingest latency at a fixed ${LATENCY_RATE} webhooks/s, as a ratio to the floor measured in the same run`,
  target: [
    { metric: 'p50Ratio', comparison: '<=', threshold: 1.5, unit: '×' },
    { metric: 'p99Ratio', comparison: '<=', threshold: 2, unit: '×' },
  ],
  warm: ['ingest', 'floor'],
  run: async (context) => {
    const count = context.quick ? 300 : 1_500;
    const figures = await medianOfRuns(context.runs, async (run) => {
      const window = (name: RouteName) =>
        latencyWindow(
          context.stack,
          ROUTES[name],
          `bench-ingest-${name}-${run}.myshopify.com`,
          count,
          LATENCY_RATE,
        );
      // Each run measures both sides back to back; which goes first alternates, so neither always
      // meets the machine in the state the other left it in.
      const order: RouteName[] = run % 2 === 0 ? ['floor', 'ingest'] : ['ingest', 'floor'];
      const measured = new Map<RouteName, Awaited<ReturnType<typeof window>>>();
      for (const name of order) measured.set(name, await window(name));
      const floor = measured.get('floor');
      const ingest = measured.get('ingest');
      if (!floor || !ingest) throw new Error('a latency window is missing');
      return {
        p50Ms: ingest.p50Ms,
        p99Ms: ingest.p99Ms,
        errors: ingest.errors,
        floorP50Ms: floor.p50Ms,
        floorP99Ms: floor.p99Ms,
        floorErrors: floor.errors,
        p50Ratio: ingest.p50Ms / floor.p50Ms,
        p99Ratio: ingest.p99Ms / floor.p99Ms,
      };
    });
    return {
      figures: { rate: LATENCY_RATE, requests: count, ...figures },
      summary: `p50 ${round(figures.p50Ratio, 2)}× / p99 ${round(figures.p99Ratio, 2)}× the floor (ingest ${round(figures.p50Ms)} / ${round(figures.p99Ms)} ms, floor ${round(figures.floorP50Ms)} / ${round(figures.floorP99Ms)} ms; ${figures.errors + figures.floorErrors} errors)`,
    };
  },
};
