import { simulateCustomer, type TimelineEntry } from '#domain/simulate.ts';
import { journeyConfig } from '#journeys/index.ts';
import {
  catalogLine,
  type Delivery,
  type LineItemInput,
  orderPayload,
  refundPayload,
} from '../../local/shopify-webhooks.ts';

/**
 * Customer stories for the delivery-guarantee tests: each customer's orders with their versions
 * (created, sometimes updated, cancelled, refunded), as Shopify would deliver them, and what the
 * journey simulator says one in-order pass sends.
 */

export const ORDERS_PER_CUSTOMER = 5;
const PRODUCTS = [8001000000001, 8001000000008, 8001000000002, 8001000000003, 8001000000005];
const DAY = 86_400_000;

export type Version = {
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
export const keptLines = (v: Version): LineItemInput[] =>
  v.refund ? v.lines.map((l, i) => (i === 0 ? { ...l, quantity: l.quantity - 1 } : l)) : v.lines;

/** Every order's versions for one customer: created, sometimes updated (an item added), sometimes cancelled. */
export const customerStory = (random: () => number, index: number, start: number): Version[] => {
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

export const toDelivery = (shop: string, customerId: number, v: Version): Delivery => {
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

/**
 * The stories told in order, as rounds of deliveries: round r holds each customer's r-th version
 * (the customer of story i is `firstCustomerId + i`), so a round can be settled before the next.
 */
export const inRounds = (
  stories: readonly (readonly Version[])[],
  shop: string,
  firstCustomerId: number,
): Delivery[][] =>
  Array.from({ length: Math.max(...stories.map((s) => s.length)) }, (_, r) =>
    stories.flatMap((story, i) => {
      const v = story[r];
      return v ? [toDelivery(shop, firstCustomerId + i, v)] : [];
    }),
  );

/** The templates the journey simulator sends for one story told in order, to a subscribed customer. */
export const expectedTemplates = (story: readonly Version[], subscribedAt: number): string[] => {
  const timeline: TimelineEntry[] = [
    { at: new Date(subscribedAt).toISOString(), consent: 'subscribed' },
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
    .map((a) => a.template);
};

/** What a customer spent in the end: each order's newest version, refunds taken off. */
export const keptSpend = (story: readonly Version[]): number => {
  const newest = new Map<number, Version>();
  for (const v of story) if ((newest.get(v.orderId)?.at ?? -1) < v.at) newest.set(v.orderId, v);
  return [...newest.values()]
    .filter((v) => !v.cancelled)
    .reduce((sum, v) => sum + keptLines(v).reduce((n, l) => n + Number(l.price) * l.quantity, 0), 0);
};

/** The template that rendered an email, by its subject. */
export const templateOfSubject: ReadonlyMap<string, string> = new Map(
  Object.entries(journeyConfig.templates).map(([name, template]) => [
    template({
      shopName: journeyConfig.brandName,
      postalAddress: '',
      customerEmail: '',
      coupon: { code: '' },
      unsubscribeUrl: '',
      ordersCount: 0,
      totalSpent: null,
    }).subject,
    name,
  ]),
);
