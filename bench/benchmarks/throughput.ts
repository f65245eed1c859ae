import type { Benchmark } from '../benchmark.ts';
import { ROUTES } from '../deliveries.ts';
import { round } from '../stats.ts';
import { sustainedRate } from '../sustained.ts';
import { floorSustainedRate } from './floor.ts';

export const throughput: Benchmark = {
  name: 'throughput',
  label: 'P3',
  description:
    'highest webhook rate sustained with zero errors and zero loss, as a ratio to the floor’s, found the same way in the same run',
  target: [{ metric: 'sustainedRatio', comparison: '>=', threshold: 0.7, unit: '×' }],
  warm: ['ingest', 'floor'],
  run: async (context) => {
    const floor = await floorSustainedRate(context);
    const ingest = await sustainedRate(
      context.stack,
      ROUTES.ingest,
      { probeSeconds: context.quick ? 5 : 10, confirmSeconds: context.quick ? 10 : 60 },
      context.log,
    );
    const sustainedRatio =
      floor.sustainedPerSecond > 0 ? ingest.sustainedPerSecond / floor.sustainedPerSecond : 0;
    return {
      figures: {
        ...ingest,
        floorSustainedPerSecond: floor.sustainedPerSecond,
        floorProbeCeiling: floor.probeCeiling,
        sustainedRatio,
      },
      summary: `${round(sustainedRatio, 2)}× the floor (${ingest.sustainedPerSecond} vs ${floor.sustainedPerSecond} webhooks/s for ${ingest.seconds} s)`,
    };
  },
};
