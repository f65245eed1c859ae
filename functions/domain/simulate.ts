import type { CustomerAggregate, EmailMarketingState } from './aggregate.ts';
import { clockChange, consentChange, customerChange, orderChange, tagsChange } from './apply.ts';
import { segmentsOf, segmentTransitions, sendDecision, stageOf, stageTransitions } from './journey.ts';
import type { CompiledConfig } from './journey-config.ts';
import type { Money } from './money.ts';
import type { OrderContribution, OrderFacts, OrderLine } from './order.ts';

/**
 * A journey test helper for merchants: play a customer's timeline (orders, consent, tags,
 * address, plain clock ticks) through the same domain functions the deployed stack uses, and
 * see which segments and stages they entered and which actions fired. The clock is the
 * timeline's: each entry happens at its `at`.
 */

export type TimelineLine = Partial<OrderLine> & { quantity?: number };

export type TimelineOrder = {
  /** @default a new id per order */
  id?: string;
  lines: TimelineLine[];
  /** @default 1,000 minor units per line, in JPY */
  total?: Money;
  tags?: string[];
  discountCodes?: string[];
  channel?: string;
  cancelled?: boolean;
  test?: boolean;
  /** When this version of the order was updated. @default the entry's time */
  updatedAt?: string;
  /** When the order was placed. @default the entry's time (set it when replaying a later version) */
  placedAt?: string;
};

export type TimelineEntry = { at: string } & (
  | { order: TimelineOrder }
  | { consent: EmailMarketingState }
  | { tagsAdded: string[] }
  | { tagsRemoved: string[] }
  | { address: { countryCode: string | null; provinceCode: string | null } }
  /** Re-evaluates at this time without any change, as the periodic re-evaluation does. */
  | { tick: true }
);

export type SimulatedAction = {
  at: string;
  journeyId: string;
  stageId: string;
  entryId: number;
  template: string;
  coupon: string | null;
  sent: boolean;
  /** Why it was not sent. */
  reason?: string;
};

export type Simulation = {
  entered: { at: string; journeyId: string; stageId: string; entryId: number }[];
  exited: { at: string; journeyId: string; stageId: string }[];
  segments: { at: string; segmentId: string; entered: boolean }[];
  actions: SimulatedAction[];
  /** Where the customer ends: stage per journey and segments, as of the last entry. */
  stages: Record<string, string | null>;
  inSegments: string[];
  aggregate: CustomerAggregate | null;
};

const SHOP = 'simulated.myshopify.com';

export const simulateCustomer = (
  config: CompiledConfig,
  timeline: readonly TimelineEntry[],
  options: { customerId?: string; email?: string } = {},
): Simulation => {
  const customerId = options.customerId ?? '1';
  const email = options.email ?? 'customer@example.com';
  const result: Simulation = {
    entered: [],
    exited: [],
    segments: [],
    actions: [],
    stages: {},
    inSegments: [],
    aggregate: null,
  };
  const ledger = new Set<string>();
  const orders = new Map<string, OrderContribution>();
  let current: CustomerAggregate | null = null;
  let nextOrder = 1;

  const sorted = [...timeline].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const entry of sorted) {
    const at = new Date(entry.at).toISOString();
    let next: CustomerAggregate | null = null;
    if ('order' in entry) {
      const o = entry.order;
      const id = o.id ?? `sim-${nextOrder++}`;
      const facts: OrderFacts = {
        orderId: id,
        customerId,
        email,
        placedAt: o.placedAt ? new Date(o.placedAt).toISOString() : at,
        updatedAt: o.updatedAt ? new Date(o.updatedAt).toISOString() : at,
        total: o.total ?? { amount: 1000 * o.lines.length, currency: 'JPY' },
        lines: o.lines.map((l) => ({
          productId: l.productId ?? null,
          variantId: l.variantId ?? null,
          sku: l.sku ?? null,
          vendor: l.vendor ?? null,
          title: l.title ?? '',
          quantity: l.quantity ?? 1,
        })),
        cancelled: o.cancelled ?? false,
        test: o.test ?? false,
        tags: o.tags ?? [],
        discountCodes: o.discountCodes ?? [],
        channel: o.channel ?? 'web',
        address: null,
      };
      const stored = orders.get(id);
      const others = [...orders.values()].filter((o) => o.orderId !== id);
      const change = orderChange({ shop: SHOP, current, stored, facts, options: config, now: at }, others);
      if (change !== 'stale' && change !== 'needs-other-orders') {
        orders.set(id, change.order);
        next = change.aggregate;
      }
    } else if ('consent' in entry) {
      next = consentChange(SHOP, customerId, current, { state: entry.consent, updatedAt: at, email }, at);
    } else if ('tagsAdded' in entry || 'tagsRemoved' in entry) {
      const present = 'tagsAdded' in entry;
      next = tagsChange(
        SHOP,
        customerId,
        current,
        { tags: present ? entry.tagsAdded : entry.tagsRemoved, present, at },
        at,
      );
    } else if ('address' in entry) {
      next = customerChange(SHOP, customerId, current, { email, address: entry.address, at }, at);
    } else if (current) {
      next = clockChange(current, at);
    }
    if (!next) continue;

    for (const t of segmentTransitions(config.segments, current, next)) {
      result.segments.push({ at, segmentId: t.segmentId, entered: t.entered });
    }
    for (const t of stageTransitions(config.journeys, current, next)) {
      if (t.from) result.exited.push({ at, journeyId: t.journeyId, stageId: t.from });
      if (!t.to) continue;
      result.entered.push({ at, journeyId: t.journeyId, stageId: t.to, entryId: t.entryId });
      const journey = config.journeys.find((j) => j.id === t.journeyId);
      const action = journey?.stages.find((s) => s.id === t.to)?.action;
      if (!action) continue;
      const decision = sendDecision(journey, t.to, next);
      const key = `${t.journeyId}/${t.to}/${t.entryId}`;
      const reason = !decision.send
        ? decision.reason
        : ledger.has(key)
          ? 'already sent for this entry'
          : null;
      if (reason === null) ledger.add(key);
      result.actions.push({
        at,
        journeyId: t.journeyId,
        stageId: t.to,
        entryId: t.entryId,
        template: action.template,
        coupon: action.coupon?.code ?? null,
        sent: reason === null,
        ...(reason === null ? {} : { reason }),
      });
    }
    current = next;
  }
  result.aggregate = current;
  if (current) {
    result.stages = stageOf(config.journeys, current);
    result.inSegments = segmentsOf(config.segments, current);
  }
  return result;
};
