import type { LocalStack } from '../local/stack.ts';
import { orderDelivery, type Route, random, settle } from './deliveries.ts';
import { percentile, round } from './stats.ts';
import { sendAtRate } from './traffic.ts';

export type Probe = {
  rate: number;
  seconds: number;
  achievedPerSecond: number;
  p99Ms: number;
  errors: number;
  lost: number;
  ok: boolean;
};

/** One open-loop run at `rate` for `seconds`: sustained if every request was answered 200, left on time and was kept. */
export const sustains = async (
  stack: LocalStack,
  route: Route,
  rate: number,
  seconds: number,
  label: string,
  log: (line: string) => void,
): Promise<Probe> => {
  const shop = `bench-tput-${route.name}-${label}.myshopify.com`;
  const deliveries = Array.from({ length: Math.round(rate * seconds) }, () =>
    orderDelivery(shop, 1 + Math.floor(random() * 5_000)),
  );
  const { results, seconds: took } = await sendAtRate(route.base(stack), deliveries, rate);
  await settle(stack);
  const errors = results.filter((r) => r.status !== 200).length;
  const lost = deliveries.length - (await route.stored(stack, shop));
  const achieved = deliveries.length / took;
  const p99 = percentile(
    results.map((r) => r.ms),
    99,
  );
  // Sustained: every request left within a second of its schedule, and the run kept the rate.
  const ok =
    errors === 0 &&
    lost === 0 &&
    Math.max(...results.map((r) => r.lateMs)) < 1_000 &&
    achieved >= rate * 0.97;
  log(
    `  ${route.name} ${label}: ${rate}/s for ${seconds} s → ${round(achieved)}/s, p99 ${round(p99)} ms, ${errors} errors, ${lost} lost: ${ok ? 'sustained' : 'not sustained'}`,
  );
  return { rate, seconds, achievedPerSecond: achieved, p99Ms: p99, errors, lost, ok };
};

/**
 * The highest rate a route sustains: open-loop probes from 100/s up by 25 % until one fails, then
 * longer runs from the last good rate down by 10 % until one holds. The same search for the ingest
 * and for the floor, so their ratio compares like with like.
 */
export const sustainedRate = async (
  stack: LocalStack,
  route: Route,
  options: { probeSeconds: number; confirmSeconds: number },
  log: (line: string) => void,
) => {
  let rate = 100;
  let best = 0;
  // 20 probes reach 100 × 1.25^19 ≈ 6,900/s: far beyond what this machine can serve.
  for (let probe = 0; probe < 20; probe++) {
    const result = await sustains(stack, route, rate, options.probeSeconds, `probe-${rate}`, log);
    if (!result.ok) break;
    best = rate;
    rate = Math.round(rate * 1.25);
  }
  for (let candidate = best; candidate >= 50; candidate = Math.round(candidate * 0.9)) {
    const result = await sustains(
      stack,
      route,
      candidate,
      options.confirmSeconds,
      `confirm-${candidate}`,
      log,
    );
    if (result.ok)
      return { sustainedPerSecond: candidate, seconds: options.confirmSeconds, probeCeiling: rate };
  }
  return { sustainedPerSecond: 0, seconds: options.confirmSeconds, probeCeiling: rate };
};
