import { type Delivery, deliver } from '../local/shopify-webhooks.ts';

export type Sent = { status: number; ms: number; lateMs: number };

/**
 * Open-loop load: request i is sent at start + i / rate, whether or not earlier ones have been
 * answered (as Shopify does), with at most `maxInFlight` outstanding. `lateMs` is how far behind
 * schedule a request left: a rate is sustained only while that stays small.
 */
export const sendAtRate = async (
  baseUrl: string,
  deliveries: readonly Delivery[],
  ratePerSecond: number,
  maxInFlight = 512,
): Promise<{ results: Sent[]; seconds: number }> => {
  const results: Sent[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < deliveries.length; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (pending.size >= maxInFlight) await Promise.race(pending);
    const delivery = deliveries[i] as Delivery;
    const sentAt = performance.now();
    const request = deliver(baseUrl, delivery)
      .catch(() => ({ status: 0 }))
      .then(({ status }) => {
        results.push({ status, ms: performance.now() - sentAt, lateMs: Math.max(0, sentAt - due) });
      });
    const tracked = request.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }
  await Promise.all(pending);
  return { results, seconds: (performance.now() - start) / 1000 };
};
