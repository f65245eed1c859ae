import { catalogLine, deliver, deliverAll, orderPayload } from '../../local/shopify-webhooks.ts';
import type { Benchmark } from '../benchmark.ts';
import { consentDelivery, newOrderId, settle } from '../deliveries.ts';
import { medianOfRuns, percentile, round } from '../stats.ts';

export const webhookToEmail: Benchmark = {
  name: 'webhook-to-email',
  label: 'P2',
  description:
    'webhook accepted → stage email visible, for a stage without delay (the first Rum Baba coupon)',
  target: [{ metric: 'p95Ms', comparison: '<=', threshold: 1_000, unit: 'ms' }],
  warm: ['ingest'],
  run: async (context) => {
    const { stack } = context;
    const figures = await medianOfRuns(context.runs, async (run) => {
      const shop = `bench-e2e-${run}.myshopify.com`;
      // New addresses every run: an email already sent to an address would be found at once.
      const customers = Array.from({ length: context.quick ? 10 : 40 }, (_, i) => 70_000 + run * 1_000 + i);
      await deliverAll(
        stack.url,
        customers.map((c) => consentDelivery(shop, c)),
        8,
      );
      await settle(stack);
      const latencies: number[] = [];
      for (const customerId of customers) {
        const response = await deliver(stack.url, {
          shop,
          topic: 'orders/create',
          payload: orderPayload({
            id: newOrderId(),
            customerId,
            createdAt: new Date().toISOString(),
            lines: [catalogLine(8001000000001)],
          }),
        });
        const accepted = performance.now();
        if (response.status !== 200) throw new Error(`order answered ${response.status}`);
        const to = encodeURIComponent(`customer${customerId}@example.com`);
        for (;;) {
          const emails = (await (await fetch(`${stack.url}/_local/emails?to=${to}`)).json()) as unknown[];
          if (emails.length > 0) break;
          if (performance.now() - accepted > 30_000) throw new Error(`no email for customer ${customerId}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        latencies.push(performance.now() - accepted);
        await settle(stack);
      }
      return { p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) };
    });
    return { figures, summary: `p50 ${round(figures.p50Ms)} / p95 ${round(figures.p95Ms)} ms` };
  },
};
