import { describe, expect, it } from 'vitest';
import { simulateCustomer, type TimelineEntry } from '#domain/simulate.ts';
import { journeyConfig } from '#journeys/index.ts';
import type { LocalEmail } from '../../local/ses.ts';
import {
  catalogLine,
  consentPayload,
  type Delivery,
  deliverAll as deliverAllTo,
  type LineItemInput,
  orderPayload,
  refundPayload,
  seededRandom,
} from '../../scripts/shopify-sim.ts';
import { useLocalStack } from '../support/local-stack.ts';

const local = useLocalStack();
const SHOP_A = 'in-order.myshopify.com';
const SHOP_B = 'shuffled.myshopify.com';
const CUSTOMERS = 200;
const ORDERS_PER_CUSTOMER = 5;
const PRODUCTS = [8001000000001, 8001000000008, 8001000000002, 8001000000003, 8001000000005];
const DAY = 86_400_000;

type Version = {
  topic: string;
  at: number;
  lines: LineItemInput[];
  cancelled: boolean;
  orderId: number;
  placed: number;
  /** The order's refund (one unit of its first line), once made. */
  refund?: { id: number; at: number; line: LineItemInput };
};

/** The order's lines once its refund is taken off: what the customer kept. */
const keptLines = (v: Version): LineItemInput[] =>
  v.refund ? v.lines.map((l, i) => (i === 0 ? { ...l, quantity: l.quantity - 1 } : l)) : v.lines;

/** Every order's versions for one customer: created, sometimes updated (an item added), sometimes cancelled. */
const customerStory = (random: () => number, index: number, start: number): Version[] => {
  const versions: Version[] = [];
  for (let o = 0; o < ORDERS_PER_CUSTOMER; o++) {
    const orderId = 700_000 + index * 10 + o;
    const placed = start + (o * 7 + Math.floor(random() * 5)) * DAY;
    const lines = [catalogLine(PRODUCTS[Math.floor(random() * PRODUCTS.length)] ?? 8001000000003)];
    versions.push({ topic: 'orders/create', at: placed, lines, cancelled: false, orderId, placed });
    if (random() < 0.3) {
      const more = [...lines, catalogLine(PRODUCTS[Math.floor(random() * PRODUCTS.length)] ?? 8001000000003)];
      versions.push({
        topic: 'orders/updated',
        at: placed + 3_600_000,
        lines: more,
        cancelled: false,
        orderId,
        placed,
      });
    }
    if (random() < 0.15) {
      const last = versions.at(-1) as Version;
      versions.push({ ...last, topic: 'orders/cancelled', at: placed + 2 * 3_600_000, cancelled: true });
    }
    if (random() < 0.2) {
      // A refund of one unit of the first line: refunds/create, then the order updated listing it.
      const last = versions.at(-1) as Version;
      const refund = { id: orderId * 10, at: placed + 3 * 3_600_000, line: last.lines[0] as LineItemInput };
      versions.push({ ...last, topic: 'refunds/create', at: refund.at, refund });
      versions.push({ ...last, topic: 'orders/updated', at: refund.at + 60_000, refund });
    }
  }
  return versions;
};

const toDelivery = (shop: string, customerId: number, v: Version): Delivery => {
  const refund =
    v.refund &&
    refundPayload({
      id: v.refund.id,
      orderId: v.orderId,
      createdAt: new Date(v.refund.at).toISOString(),
      lines: [{ line: v.refund.line, quantity: 1 }],
    });
  return {
    shop,
    topic: v.topic,
    eventId: `${shop}/${v.orderId}/${v.topic}/${v.at}`,
    payload:
      v.topic === 'refunds/create'
        ? refund
        : orderPayload({
            id: v.orderId,
            customerId,
            createdAt: new Date(v.placed).toISOString(),
            updatedAt: new Date(v.at).toISOString(),
            lines: v.lines,
            cancelledAt: v.cancelled ? new Date(v.at).toISOString() : null,
            refunds: refund ? [refund] : [],
          }),
  };
};

const deliverAll = async (deliveries: readonly Delivery[], concurrency: number) =>
  (await deliverAllTo(local.stack.url, deliveries, concurrency)).map((r) => r.status);
const settle = async () =>
  expect((await fetch(`${local.stack.url}/_local/settle`, { method: 'POST' })).status).toBe(200);
const aggregate = async (shop: string, customerId: number) => {
  const response = await fetch(`${local.stack.url}/api/shops/${shop}/customers/${customerId}`, {
    headers: { authorization: 'Bearer local-admin-key' },
  });
  const {
    shop: _s,
    customerId: _c,
    email: _e,
    version: _v,
    updatedAt: _u,
    emailMarketing: _m,
    ...rest
  } = (await response.json()) as Record<string, unknown>;
  return rest;
};

describe('redelivery: 1,000 orders for 200 customers with updates, cancellations and refunds, delivered three times in shuffled order', () => {
  it('ends in the aggregates of one in-order pass, and never sends an email twice', {
    timeout: 600_000,
  }, async () => {
    const random = seededRandom(42);
    const start = Date.now() - 60 * DAY;
    const stories = Array.from({ length: CUSTOMERS }, (_, i) => customerStory(random, i, start));
    const consent = (shop: string, id: number) => ({
      shop,
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(id, 'subscribed', new Date(start).toISOString()),
    });

    // Shop A: one pass in order; a round holds each customer's next version, settled before the next.
    await deliverAll(
      stories.map((_, i) => consent(SHOP_A, 10_000 + i)),
      8,
    );
    await settle();
    const rounds = Math.max(...stories.map((s) => s.length));
    for (let r = 0; r < rounds; r++) {
      const round = stories.flatMap((s, i) => {
        const v = s[r];
        return v ? [toDelivery(SHOP_A, 10_000 + i, v)] : [];
      });
      expect((await deliverAll(round, 8)).every((status) => status === 200)).toBe(true);
      await settle();
    }

    // Shop B: the same story, every delivery three times, all shuffled (updates often before creates).
    await deliverAll(
      stories.map((_, i) => consent(SHOP_B, 20_000 + i)),
      8,
    );
    await settle();
    const shuffled = stories
      .flatMap((s, i) => s.flatMap((v) => [0, 1, 2].map(() => toDelivery(SHOP_B, 20_000 + i, v))))
      .map((d) => ({ d, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ d }) => d);
    expect(shuffled.length).toBeGreaterThanOrEqual(3 * CUSTOMERS * ORDERS_PER_CUSTOMER);
    const statuses = await deliverAll(shuffled, 16);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await settle();

    for (let i = 0; i < CUSTOMERS; i++) {
      const inOrder = await aggregate(SHOP_A, 10_000 + i);
      expect(await aggregate(SHOP_B, 20_000 + i)).toEqual(inOrder);
      // Spend is what the customer kept: each order's newest version, refunds taken off.
      const newest = new Map<number, Version>();
      for (const v of stories[i] ?? [])
        if ((newest.get(v.orderId)?.at ?? -1) < v.at) newest.set(v.orderId, v);
      const kept = [...newest.values()]
        .filter((v) => !v.cancelled)
        .reduce((sum, v) => sum + keptLines(v).reduce((n, l) => n + Number(l.price) * l.quantity, 0), 0);
      expect((inOrder.totalSpent as { amount: number } | null)?.amount ?? 0).toBe(kept);
    }

    const emails = (await (await fetch(`${local.stack.url}/_local/emails`)).json()) as LocalEmail[];
    const events = (await (await fetch(`${local.stack.url}/_local/events`)).json()) as {
      'detail-type': string;
      detail: { eventId: string; shop: string };
    }[];
    const sentEvents = events.filter((e) => e['detail-type'] === 'Email Sent');
    // One SES email per Email Sent event, and no stage entry announced as sent twice.
    expect(emails).toHaveLength(sentEvents.length);
    expect(new Set(sentEvents.map((e) => e.detail.eventId)).size).toBe(sentEvents.length);

    // Shop A's emails are exactly what the journey simulator says the in-order story sends.
    const expected = stories.flatMap((story, i) => {
      const timeline: TimelineEntry[] = [
        { at: new Date(start).toISOString(), consent: 'subscribed' },
        ...story.map((v) => ({
          at: new Date(v.at).toISOString(),
          order: {
            id: String(v.orderId),
            placedAt: new Date(v.placed).toISOString(),
            cancelled: v.cancelled,
            lines: keptLines(v).map((l) => ({
              productId: String(l.product_id),
              sku: l.sku,
              quantity: l.quantity,
            })),
          },
        })),
      ];
      return simulateCustomer(journeyConfig, timeline)
        .actions.filter((a) => a.sent)
        .map((a) => `customer${10_000 + i}@example.com ${a.template}`);
    });
    const templatesBySubject = new Map(
      Object.entries(journeyConfig.templates).map(([name, template]) => [
        template({
          shopName: journeyConfig.brandName,
          customerEmail: '',
          coupon: { code: '' },
          unsubscribeUrl: '',
          ordersCount: 0,
          totalSpent: null,
        }).subject,
        name,
      ]),
    );
    const actualA = emails
      .filter((e) => e.to.some((to) => /^customer1\d{4}@/.test(to)))
      .map((e) => `${e.to[0]} ${templatesBySubject.get(e.subject)}`);
    expect(actualA.sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(100);
    console.info(
      `redelivery: ${stories.flat().length} order versions and refunds (${stories.flat().filter((v) => v.topic === 'refunds/create').length} refunds) for ${CUSTOMERS} customers; ${shuffled.length} shuffled deliveries; ` +
        `${actualA.length} emails in order, ${sentEvents.length - actualA.length} shuffled, none twice`,
    );
  });
});
