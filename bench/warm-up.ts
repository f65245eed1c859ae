import type { LocalStack } from '../local/stack.ts';
import { orderDelivery, type Route, settle } from './deliveries.ts';
import { percentile, round } from './stats.ts';
import { sendAtRate } from './traffic.ts';

export type WarmUp = {
  route: string;
  windows: number;
  /** Whether successive windows agreed before the cap. */
  agreed: boolean;
  p50sMs: number[];
};

/**
 * Warms a route up until it is steady rather than for a fixed time: windows of `size` order
 * webhooks at `rate`, until the p50s of `agreeing` + 1 successive windows each differ from the
 * one before by less than `tolerance`. One agreeing pair is not enough: while the route is still
 * cold it falls behind the rate, and two windows queueing alike agree on a p50 ten times the
 * steady one. The first window is never compared (cold JIT, empty connection pools, DynamoDB
 * Local's JVM); the pipeline settles after each window, so each starts from the same idle state.
 */
export const warmUp = async (
  stack: LocalStack,
  route: Route,
  options: { rate: number; size: number; maxWindows: number; tolerance?: number; agreeing?: number },
): Promise<WarmUp> => {
  const tolerance = options.tolerance ?? 0.1;
  const agreeing = options.agreeing ?? 2;
  const p50s: number[] = [];
  let agreed = 0;
  const result = (steady: boolean): WarmUp => ({
    route: route.name,
    windows: p50s.length,
    agreed: steady,
    p50sMs: p50s.map((ms) => round(ms, 2)),
  });
  for (let window = 1; window <= options.maxWindows; window++) {
    const shop = `bench-warmup-${route.name}.myshopify.com`;
    const deliveries = Array.from({ length: options.size }, (_, i) => orderDelivery(shop, 1 + (i % 500)));
    const { results } = await sendAtRate(route.base(stack), deliveries, options.rate);
    await settle(stack);
    const p50 = percentile(
      results.map((r) => r.ms),
      50,
    );
    const previous = p50s.at(-1);
    p50s.push(p50);
    if (window < 3 || previous === undefined) continue;
    agreed = Math.abs(p50 - previous) / previous < tolerance ? agreed + 1 : 0;
    if (agreed >= agreeing) return result(true);
  }
  return result(false);
};
