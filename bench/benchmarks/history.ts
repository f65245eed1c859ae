import { deliver, deliverAll } from '../../local/shopify-webhooks.ts';
import type { Benchmark } from '../benchmark.ts';
import { DAY, orderDelivery, ordersStored, settle } from '../deliveries.ts';
import { medianOfRuns, percentile, round } from '../stats.ts';

export const history: Benchmark = {
  name: 'history',
  label: 'P6',
  description: 'ingest latency for a customer with 1 prior order vs one with 1,000',
  target: [{ metric: 'differencePercent', comparison: 'within', threshold: 10, unit: '%' }],
  warm: ['ingest'],
  run: async (context) => {
    const { stack } = context;
    const shop = 'bench-history.myshopify.com';
    const small = 90_001;
    const large = 90_002;
    const prior = context.quick ? 200 : 1_000;
    await deliverAll(stack.url, [orderDelivery(shop, small, Date.now() - 2 * 365 * DAY)], 1);
    await deliverAll(
      stack.url,
      Array.from({ length: prior }, (_, i) =>
        orderDelivery(shop, large, Date.now() - 2 * 365 * DAY + i * 3_600_000),
      ),
      // One after another: concurrent orders of one customer would only contend for its aggregate.
      1,
    );
    await settle(stack);
    if ((await ordersStored(stack, shop)) !== prior + 1) throw new Error('the history was not stored');
    const figures = await medianOfRuns(context.runs, async () => {
      const one: number[] = [];
      const thousand: number[] = [];
      for (let i = 0; i < (context.quick ? 30 : 150); i++) {
        for (const [customer, samples] of [
          [small, one],
          [large, thousand],
        ] as const) {
          const started = performance.now();
          const { status } = await deliver(stack.url, orderDelivery(shop, customer));
          samples.push(performance.now() - started);
          if (status !== 200) throw new Error(`order answered ${status}`);
        }
      }
      await settle(stack);
      const p50One = percentile(one, 50);
      const p50Thousand = percentile(thousand, 50);
      return {
        p50OnePriorMs: p50One,
        p50ThousandPriorMs: p50Thousand,
        differencePercent: ((p50Thousand - p50One) / p50One) * 100,
      };
    });
    return {
      figures: { priorOrders: prior, ...figures },
      summary: `${round(figures.p50OnePriorMs)} vs ${round(figures.p50ThousandPriorMs)} ms (${round(figures.differencePercent)} %, ${prior.toLocaleString('en')} prior orders)`,
    };
  },
};
