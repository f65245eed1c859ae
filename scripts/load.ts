import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { ItemKind } from '#adapters/store/item-kinds.ts';
import {
  catalog,
  catalogLine,
  consentPayload,
  type Delivery,
  deliver,
  orderPayload,
} from '../local/shopify-webhooks.ts';
import { startLocalStack } from '../local/stack.ts';

/**
 * `npm run test:load`: N signed webhooks (orders for many customers, some consent updates) at a
 * fixed concurrency through a fresh local stack, delivered as Shopify delivers: a 5xx, 429,
 * network error or no answer within 5 s is retried with the same event id, with back-off (Shopify
 * retries 8 times over 4 hours; here 1 s, 2 s, 4 s … capped). Once the pipeline has settled it
 * checks that every order is counted exactly once and nothing went to a dead-letter queue.
 * Exits 0 only if no order was lost and no webhook was left failing after its retries.
 */

const Options = z.object({
  webhooks: z.coerce.number().int().positive(),
  concurrency: z.coerce.number().int().positive(),
  customers: z.coerce.number().int().positive(),
  /** Retries after the first attempt; Shopify's own number. */
  retries: z.coerce.number().int().nonnegative(),
  firstBackoffMs: z.coerce.number().int().positive(),
  maxBackoffMs: z.coerce.number().int().positive(),
  /** How long Shopify waits for an answer before it counts the attempt as failed. */
  timeoutMs: z.coerce.number().int().positive(),
  /** Share of ingest invocations the local stack fails (half before running, half after): exercises the retries. */
  faultRate: z.coerce.number().min(0).max(1),
});

const { values } = parseArgs({
  options: {
    webhooks: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    customers: { type: 'string', default: '2000' },
    retries: { type: 'string', default: '8' },
    'first-backoff-ms': { type: 'string', default: '1000' },
    'max-backoff-ms': { type: 'string', default: '30000' },
    'timeout-ms': { type: 'string', default: '5000' },
    'fault-rate': { type: 'string', default: '0' },
  },
});
const parsed = Options.safeParse({
  webhooks: values.webhooks,
  concurrency: values.concurrency,
  customers: values.customers,
  retries: values.retries,
  firstBackoffMs: values['first-backoff-ms'],
  maxBackoffMs: values['max-backoff-ms'],
  timeoutMs: values['timeout-ms'],
  faultRate: values['fault-rate'],
});
if (!parsed.success) {
  process.stderr.write(
    `load: ${parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}\n`,
  );
  process.exit(2);
}
const options = parsed.data;

/** What one attempt came to: an HTTP status, or no answer at all. */
type Attempt = { kind: 'status'; status: number; ms: number } | { kind: 'timeout' | 'network'; ms: number };

const describe = (attempt: Attempt) => (attempt.kind === 'status' ? String(attempt.status) : attempt.kind);

/** Shopify counts only a 2xx as delivered; of the rest, this load test retries what a healthy app may answer under stress. */
const retryable = (attempt: Attempt) =>
  attempt.kind !== 'status' || attempt.status >= 500 || attempt.status === 429;

const backoffMs = (retry: number) =>
  Math.min(options.maxBackoffMs, options.firstBackoffMs * 2 ** (retry - 1));

/** Requests Shopify stopped waiting for: they may still be applied, so the count waits for them. */
const abandoned = new Set<Promise<unknown>>();

/** One attempt as Shopify makes it: it stops waiting after `timeoutMs` (the request itself may still be applied). */
const attempt = async (baseUrl: string, delivery: Delivery): Promise<Attempt> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  try {
    const request = deliver(baseUrl, delivery);
    const answer = await Promise.race([request, timeout]);
    const ms = performance.now() - started;
    if (answer !== 'timeout') return { kind: 'status', status: answer.status, ms };
    const late = request.catch(() => undefined).finally(() => abandoned.delete(late));
    abandoned.add(late);
    return { kind: 'timeout', ms };
  } catch {
    return { kind: 'network', ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
};

type Outcome = { attempts: Attempt[]; delivered: boolean };

/**
 * Delivers every webhook with at most `concurrency` attempts in flight; a webhook waiting out its
 * back-off holds no slot, as Shopify's retries do not hold up its other deliveries.
 */
const deliverLikeShopify = async (baseUrl: string, deliveries: readonly Delivery[]): Promise<Outcome[]> => {
  const outcomes = deliveries.map((): Outcome => ({ attempts: [], delivered: false }));
  const ready = deliveries.map((_, i) => i);
  let backingOff = 0;
  let wake: (() => void) | null = null;
  const nudge = () => {
    wake?.();
    wake = null;
  };
  const worker = async () => {
    for (;;) {
      const index = ready.shift();
      if (index === undefined) {
        if (backingOff === 0) return;
        await new Promise<void>((resolve) => {
          const previous = wake;
          wake = () => {
            previous?.();
            resolve();
          };
        });
        continue;
      }
      const outcome = outcomes[index] as Outcome;
      const result = await attempt(baseUrl, deliveries[index] as Delivery);
      outcome.attempts.push(result);
      if (result.kind === 'status' && result.status >= 200 && result.status < 300) outcome.delivered = true;
      else if (retryable(result) && outcome.attempts.length <= options.retries) {
        backingOff++;
        setTimeout(() => {
          backingOff--;
          ready.push(index);
          nudge();
        }, backoffMs(outcome.attempts.length));
      }
      // The last webhook settled: workers waiting for back-offs that will never come can leave.
      if (ready.length === 0 && backingOff === 0) nudge();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return outcomes;
};

const stack = await startLocalStack({
  port: 0,
  logLevel: 'ERROR',
  ...(options.faultRate > 0
    ? { faults: { rate: options.faultRate, functions: ['ingest'], dynamoDbRate: 0 } }
    : {}),
});
try {
  const { webhooks: total, customers } = options;
  const products = catalog.products.map((p) => p.product_id);
  const now = Date.now();
  let ordersSent = 0;
  const deliveries = Array.from({ length: total }, (_, i): Delivery => {
    const customerId = 500_000 + (i % customers);
    // A stable event id: Shopify sends the same one on every retry of a webhook.
    const eventId = randomUUID();
    if (i % 10 === 0) {
      return {
        topic: 'customers/email_marketing_consent_update',
        eventId,
        payload: consentPayload(customerId, 'subscribed', new Date(now).toISOString()),
      };
    }
    ordersSent++;
    return {
      topic: 'orders/create',
      eventId,
      payload: orderPayload({
        id: 9_000_000 + i,
        customerId,
        createdAt: new Date(now - (total - i) * 1000).toISOString(),
        lines: [catalogLine(products[i % products.length] ?? 8001000000001)],
      }),
    };
  });

  const started = performance.now();
  const outcomes = await deliverLikeShopify(stack.url, deliveries);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(abandoned);
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
        ExpressionAttributeValues: { ':a': { S: ItemKind.Aggregate } },
      }),
    );
    for (const item of page.Items ?? []) counted += decodeState(unmarshall(item))?.aggregate.ordersCount ?? 0;
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);

  const tally = (attempts: Attempt[]) => {
    const byAnswer = new Map<string, number>();
    for (const a of attempts) byAnswer.set(describe(a), (byAnswer.get(describe(a)) ?? 0) + 1);
    return JSON.stringify(Object.fromEntries([...byAnswer].sort()));
  };
  const firstAttempts = outcomes.map((o) => o.attempts[0] as Attempt);
  const firstErrors = firstAttempts.filter(
    (a) => !(a.kind === 'status' && a.status >= 200 && a.status < 300),
  ).length;
  const retried = outcomes.filter((o) => o.attempts.length > 1);
  const retries = outcomes.reduce((sum, o) => sum + o.attempts.length - 1, 0);
  const failed = outcomes.filter((o) => !o.delivered);
  const latencies = outcomes.flatMap((o) => o.attempts.map((a) => a.ms)).sort((a, b) => a - b);
  const pct = (p: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(1);
  const deadLetters = stack.deadLetters.list().length;
  const lost = ordersSent - counted;
  const faults = stack.faults?.counts;
  const pass = failed.length === 0 && lost === 0 && settled && deadLetters === 0;
  process.stdout.write(
    [
      `load: ${total} webhooks (${ordersSent} orders, ${total - ordersSent} consent updates) for ${customers} customers at concurrency ${options.concurrency}`,
      `  delivered like Shopify: a 5xx, 429, network error or no answer in ${options.timeoutMs / 1000} s is retried up to ${options.retries} times after ${options.firstBackoffMs / 1000} s, doubling, at most ${options.maxBackoffMs / 1000} s apart${faults ? `; ${options.faultRate * 100} % of ingest invocations fail (injected)` : ''}`,
      `  ${seconds.toFixed(1)} s → ${(total / seconds).toFixed(0)} webhooks/s; latency per attempt p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`,
      `  first attempts: ${tally(firstAttempts)}; errors ${firstErrors}`,
      `  retries: ${retries} (${retried.length} webhooks retried; the most attempts for one webhook: ${Math.max(1, ...outcomes.map((o) => o.attempts.length))})${faults ? `; faults injected ${JSON.stringify(faults)}` : ''}`,
      `  errors left after retries: ${failed.length}${failed.length > 0 ? ` (last answers ${tally(failed.map((o) => o.attempts.at(-1) as Attempt))})` : ''}`,
      `  pipeline settled: ${settled} (${settleSeconds.toFixed(1)} s after the last response); dead letters ${deadLetters}`,
      `  orders counted in aggregates: ${counted} of ${ordersSent}; lost ${lost}${lost < 0 ? ' (counted twice!)' : ''}`,
      `  ${pass ? 'PASS' : 'FAIL'}: no order may be lost and no webhook left failing after its retries`,
      '',
    ].join('\n'),
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  await stack.stop();
}
