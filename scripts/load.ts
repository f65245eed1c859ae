import { parseArgs } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { startLocalStack } from '../local/stack.ts';
import { catalog, catalogLine, consentPayload, deliverAll, orderPayload } from './shopify-sim.ts';

/**
 * `npm run test:load`: N signed webhooks (orders for many customers, some consent updates) at a
 * fixed concurrency through a fresh local stack; then, once the pipeline has settled, checks
 * that every request was answered 200 and every order is counted exactly once. Exits 1 if not.
 */
const { values } = parseArgs({
  options: {
    webhooks: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    customers: { type: 'string', default: '2000' },
  },
});
const total = Number(values.webhooks);
const concurrency = Number(values.concurrency);
const customers = Number(values.customers);

const stack = await startLocalStack({ port: 0, logLevel: 'ERROR' });
try {
  const products = catalog.products.map((p) => p.product_id);
  const now = Date.now();
  let ordersSent = 0;
  const deliveries = Array.from({ length: total }, (_, i) => {
    const customerId = 500_000 + (i % customers);
    if (i % 10 === 0) {
      return {
        topic: 'customers/email_marketing_consent_update',
        payload: consentPayload(customerId, 'subscribed', new Date(now).toISOString()),
      };
    }
    ordersSent++;
    return {
      topic: 'orders/create',
      payload: orderPayload({
        id: 9_000_000 + i,
        customerId,
        createdAt: new Date(now - (total - i) * 1000).toISOString(),
        lines: [catalogLine(products[i % products.length] ?? 8001000000001)],
      }),
    };
  });

  const started = performance.now();
  const results = await deliverAll(stack.url, deliveries, concurrency);
  const latencies = results.map((r) => r.ms);
  const statuses = new Map<number, number>();
  for (const { status } of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const seconds = (performance.now() - started) / 1000;
  const settledStart = performance.now();
  const settled = await stack.settle(600_000);
  const settleSeconds = (performance.now() - settledStart) / 1000;

  let counted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.dynamoDb.client.send(
      new ScanCommand({
        TableName: stack.tableName,
        ExclusiveStartKey: start as never,
        FilterExpression: 'kind = :a',
        ExpressionAttributeValues: { ':a': { S: 'aggregate' } },
      }),
    );
    for (const item of page.Items ?? [])
      counted += (unmarshall(item).aggregate as { ordersCount: number }).ordersCount;
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);

  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(1);
  const errors = total - (statuses.get(200) ?? 0);
  const deadLetters = stack.deadLetters.list().length;
  const lost = ordersSent - counted;
  process.stdout.write(
    [
      `load: ${total} webhooks (${ordersSent} orders, ${total - ordersSent} consent updates) for ${customers} customers at concurrency ${concurrency}`,
      `  ${seconds.toFixed(1)} s → ${(total / seconds).toFixed(0)} webhooks/s; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`,
      `  statuses: ${JSON.stringify(Object.fromEntries(statuses))}; errors ${errors}`,
      `  pipeline settled: ${settled} (${settleSeconds.toFixed(1)} s after the last response); dead letters ${deadLetters}`,
      `  orders counted in aggregates: ${counted} of ${ordersSent}; lost ${lost}`,
      '',
    ].join('\n'),
  );
  process.exitCode = errors === 0 && lost === 0 && settled && deadLetters === 0 ? 0 : 1;
} finally {
  await stack.stop();
}
