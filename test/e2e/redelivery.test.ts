import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack.ts';
import { consentDelivery, type Delivery, seededRandom } from '../support/shopify-payloads.ts';
import {
  customerStory,
  expectedTemplates,
  inRounds,
  keptSpend,
  ORDERS_PER_CUSTOMER,
  templateOfSubject,
  toDelivery,
} from '../support/stories.ts';

// Email Sent events are opt-in; this file counts them against the emails.
const local = useLocalStack({ context: { 'loyaltyLoop:emailSentEvents': true } });
const SHOP_A = 'in-order.myshopify.com';
const SHOP_B = 'shuffled.myshopify.com';
const CUSTOMERS = 200;

const deliverAll = async (deliveries: readonly Delivery[], concurrency: number) =>
  (await local.deliverAll(deliveries, concurrency)).map((r) => r.status);
const aggregate = async (shop: string, customerId: number) => {
  const {
    shop: _s,
    customerId: _c,
    email: _e,
    version: _v,
    updatedAt: _u,
    emailMarketing: _m,
    // The stage emails' records name entry ids, which depend on arrival order.
    sends: _sends,
    ...rest
  } = (await local.customer(customerId, { shop })).body;
  return rest;
};

describe('redelivery: 1,000 orders for 200 customers with updates, cancellations and refunds, delivered three times in shuffled order', () => {
  it('ends in the aggregates of one in-order pass, and never sends an email twice', {
    timeout: 600_000,
  }, async () => {
    const random = seededRandom(42);
    const start = Date.now() - 60 * 86_400_000;
    const stories = Array.from({ length: CUSTOMERS }, (_, i) => customerStory(random, i, start));
    const consent = (shop: string, id: number) => consentDelivery(id, { shop, at: new Date(start) });

    // Shop A: one pass in order; a round holds each customer's next version, settled before the next.
    await deliverAll(
      stories.map((_, i) => consent(SHOP_A, 10_000 + i)),
      8,
    );
    await local.settle();
    for (const round of inRounds(stories, SHOP_A, 10_000)) {
      expect((await deliverAll(round, 8)).every((status) => status === 200)).toBe(true);
      await local.settle();
    }

    // Shop B: the same story, every delivery three times, all shuffled (updates often before creates).
    await deliverAll(
      stories.map((_, i) => consent(SHOP_B, 20_000 + i)),
      8,
    );
    await local.settle();
    const shuffled = stories
      .flatMap((s, i) => s.flatMap((v) => [0, 1, 2].map(() => toDelivery(SHOP_B, 20_000 + i, v))))
      .map((d) => ({ d, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ d }) => d);
    expect(shuffled.length).toBeGreaterThanOrEqual(3 * CUSTOMERS * ORDERS_PER_CUSTOMER);
    const statuses = await deliverAll(shuffled, 16);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await local.settle();

    for (let i = 0; i < CUSTOMERS; i++) {
      const inOrder = await aggregate(SHOP_A, 10_000 + i);
      expect(await aggregate(SHOP_B, 20_000 + i)).toEqual(inOrder);
      // Spend is what the customer kept: each order's newest version, refunds taken off.
      expect((inOrder.totalSpent as { amount: number } | null)?.amount ?? 0).toBe(
        keptSpend(stories[i] ?? []),
      );
    }

    const emails = await local.emails();
    const events = await local.busEvents<{ eventId: string; shop: string }>();
    const sentEvents = events.filter((e) => e['detail-type'] === 'Email Sent');
    // One SES email per Email Sent event, and no stage entry announced as sent twice.
    expect(emails).toHaveLength(sentEvents.length);
    expect(new Set(sentEvents.map((e) => e.detail.eventId)).size).toBe(sentEvents.length);

    // Shop A's emails are exactly what the journey simulator says the in-order story sends.
    const expected = stories.flatMap((story, i) =>
      expectedTemplates(story, start).map((template) => `customer${10_000 + i}@example.com ${template}`),
    );
    const actualA = emails
      .filter((e) => e.to.some((to) => /^customer1\d{4}@/.test(to)))
      .map((e) => `${e.to[0]} ${templateOfSubject.get(e.subject)}`);
    expect(actualA.sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(100);
    console.info(
      `redelivery: ${stories.flat().length} order versions and refunds (${stories.flat().filter((v) => v.topic === 'refunds/create').length} refunds) for ${CUSTOMERS} customers; ${shuffled.length} shuffled deliveries; ` +
        `${actualA.length} emails in order, ${sentEvents.length - actualA.length} shuffled, none twice`,
    );
  });
});
