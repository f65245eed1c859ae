import { DetailType, EVENT_SOURCE } from '#domain/events.ts';
import { deliverAll } from '../../local/shopify-webhooks.ts';
import type { Benchmark } from '../benchmark.ts';
import { consentDelivery, DAY, orderDelivery, random, settle } from '../deliveries.ts';
import { medianOfRuns, round } from '../stats.ts';

/** Published AWS prices, us-east-1, as used by the cost model (see the README for their date). */
export const PRICES = {
  apiGatewayHttpPerMillion: 1.0,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dynamoDbWriteRequestUnitsPerMillion: 0.625,
  dynamoDbReadRequestUnitsPerMillion: 0.125,
  eventBridgeCustomEventsPerMillion: 1.0,
};

export const cost: Benchmark = {
  name: 'cost',
  label: 'P5',
  description:
    'cost per million order webhooks (excluding SES) from measured capacity, invocations, durations and events',
  target: [{ metric: 'dollarsPerMillion', comparison: '<=', threshold: 3, unit: '$' }],
  warm: ['ingest'],
  run: async (context) => {
    const { stack } = context;
    const figures = await medianOfRuns(context.runs, async (run) => {
      const shop = `bench-cost-${run}.myshopify.com`;
      const customers = Array.from({ length: 300 }, (_, i) => 80_000 + run * 1_000 + i);
      await deliverAll(
        stack.url,
        customers.map((c) => consentDelivery(shop, c)),
        8,
      );
      await settle(stack);
      const meter = stack.capacity;
      if (!meter) throw new Error('capacity metering is off');
      meter.reset();
      const before = new Map(
        [...stack.functions.values()].map((f) => [f, { n: f.invocations, ms: f.billedMs }]),
      );
      const eventsBefore = stack.bus.events.length;
      const emailsBefore = (await stack.ses.emails()).length;
      const webhooks = context.quick ? 200 : 1_000;
      // Orders spread over weeks, so customers move through the journeys' stages and emails go out.
      const start = Date.now() - 90 * DAY;
      const deliveries = Array.from({ length: webhooks }, (_, i) =>
        orderDelivery(
          shop,
          customers[Math.floor(random() * customers.length)] ?? 80_000,
          start + i * ((90 * DAY) / webhooks),
        ),
      );
      // Two at a time: handler durations measured on a machine that is not saturated, closer to
      // Lambda, where every concurrent invocation has its own environment.
      const statuses = await deliverAll(stack.url, deliveries, 2);
      if (statuses.some((s) => s.status !== 200)) throw new Error('an order webhook failed');
      await settle(stack);
      const capacity = meter.totals();
      let lambdaDollars = 0;
      let invocations = 0;
      const perFunction: Record<string, number> = {};
      for (const [fn, was] of before) {
        const n = fn.invocations - was.n;
        if (n === 0) continue;
        const billedMs = fn.billedMs - was.ms;
        const gbSeconds = (billedMs / 1000) * (fn.spec.memoryMb / 1024);
        const name = String(fn.environment.POWERTOOLS_SERVICE_NAME).replace('loyalty-loop-', '');
        invocations += n;
        lambdaDollars += (n * PRICES.lambdaRequestsPerMillion) / 1e6 + gbSeconds * PRICES.lambdaArmGbSecond;
        perFunction[`${name}InvocationsPerWebhook`] = n / webhooks;
        perFunction[`${name}AverageBilledMs`] = billedMs / n;
      }
      // Only Loyalty Loop's own events are billed as custom events (SES's feedback is AWS's).
      const ours = stack.bus.events.slice(eventsBefore).filter((e) => e.source === EVENT_SOURCE);
      const ofType = (...types: string[]) => ours.filter((e) => types.includes(e['detail-type'])).length;
      const events = ours.length;
      const perWebhook = {
        apiGateway: PRICES.apiGatewayHttpPerMillion / 1e6,
        lambda: lambdaDollars / webhooks,
        dynamoDb:
          ((capacity.write * PRICES.dynamoDbWriteRequestUnitsPerMillion) / 1e6 +
            (capacity.read * PRICES.dynamoDbReadRequestUnitsPerMillion) / 1e6) /
          webhooks,
        eventBridge: (events * PRICES.eventBridgeCustomEventsPerMillion) / 1e6 / webhooks,
      };
      const million = (dollars: number) => dollars * 1e6;
      return {
        dollarsPerMillion: million(
          perWebhook.apiGateway + perWebhook.lambda + perWebhook.dynamoDb + perWebhook.eventBridge,
        ),
        apiGatewayPerMillion: million(perWebhook.apiGateway),
        lambdaPerMillion: million(perWebhook.lambda),
        dynamoDbPerMillion: million(perWebhook.dynamoDb),
        eventBridgePerMillion: million(perWebhook.eventBridge),
        writeUnitsPerWebhook: capacity.write / webhooks,
        readUnitsPerWebhook: capacity.read / webhooks,
        dynamoDbRequestsPerWebhook: capacity.requests / webhooks,
        invocationsPerWebhook: invocations / webhooks,
        eventsPerWebhook: events / webhooks,
        stageChangedEventsPerWebhook: ofType(DetailType.StageChanged) / webhooks,
        segmentEventsPerWebhook: ofType(DetailType.SegmentEntered, DetailType.SegmentExited) / webhooks,
        emailSentEventsPerWebhook: ofType(DetailType.EmailSent) / webhooks,
        // Not priced (SES is excluded), but shows the orders did move customers into emailed stages.
        emailsPerWebhook: ((await stack.ses.emails()).length - emailsBefore) / webhooks,
        ...perFunction,
      };
    });
    return {
      figures: { ...figures, prices: PRICES },
      summary: `$${round(figures.dollarsPerMillion, 2)} (API $${round(figures.apiGatewayPerMillion, 2)}, Lambda $${round(figures.lambdaPerMillion, 2)}, DynamoDB $${round(figures.dynamoDbPerMillion, 2)}, EventBridge $${round(figures.eventBridgePerMillion, 2)}); ${round(figures.writeUnitsPerWebhook, 2)} WRU, ${round(figures.readUnitsPerWebhook, 2)} RRU, ${round(figures.eventsPerWebhook, 2)} events per webhook`,
    };
  },
};
