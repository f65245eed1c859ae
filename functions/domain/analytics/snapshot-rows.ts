import {
  type CustomerAggregate,
  emptyAggregate,
  rebuildFromOrders,
  replaceContribution,
} from '../aggregate.ts';
import { evaluate } from '../conditions.ts';
import { currentStage, type Journey, type Segment } from '../journey.ts';
import type { OrderContribution } from '../order.ts';
import { orderFact } from './order-fact.ts';

/**
 * The rows of an analytics snapshot (Parquet tables, see docs/analytics.md), computed from the fact
 * log one customer at a time. Column names are the tables' own.
 */
/** Instants are ISO 8601 UTC strings (`2026-03-01T09:30:00.000Z`). */
export type CustomerRow = {
  customer_id: string;
  has_email: boolean;
  email_state: string;
  country: string | null;
};
/** One order as it stands now; money in minor units; `counts` = kept by every report figure. */
export type OrderRow = {
  order_id: string;
  customer_id: string;
  placed_at: string;
  cancelled: boolean;
  test: boolean;
  currency: string;
  gross: number;
  net: number;
  units: number;
  counts: boolean;
};
/** A product's net units (> 0) in one order: one row per order and product. */
export type OrderProductRow = {
  order_id: string;
  customer_id: string;
  product_id: string;
  title: string;
  units: number;
};
/** A spell of a customer in a segment, or in a journey stage (`scope` = journey id). */
export type MembershipRow = {
  customer_id: string;
  kind: 'segment' | 'stage';
  scope: string;
  member: string;
  position: number;
  entered_at: string;
  exited_at: string | null;
};
/**
 * A stage email decision of the send ledger: the email was sent (`treated`) or the customer was
 * held out as the stage's control group (`treated` false), at `decided_at`. One row per stage entry.
 */
export type DecisionRow = {
  customer_id: string;
  journey_id: string;
  stage_id: string;
  entry_id: number;
  decided_at: string;
  treated: boolean;
};
export type CustomerSnapshotRows = {
  customer: CustomerRow;
  orders: OrderRow[];
  products: OrderProductRow[];
  memberships: MembershipRow[];
  decisions: DecisionRow[];
};

/** One applied version of an order from the fact log. */
export type FactVersion = { version: number; contribution: OrderContribution };

/** A send ledger entry as the feed holds it: `at` is when it was claimed (or held out). */
export type LedgerEntry = { journeyId: string; stageId: string; entryId: number; at: string; status: string };

/**
 * What the feed holds about one customer: their aggregate (absent if only facts remain), order
 * facts and send ledger entries (none when not given).
 */
export type CustomerFeed = {
  shop: string;
  customerId: string;
  aggregate: CustomerAggregate | null;
  facts: readonly FactVersion[];
  sends?: readonly LedgerEntry[];
};

export type MembershipDefinitions = { journeys: readonly Journey[]; segments: readonly Segment[] };

/** The journeys (stages in order) and segments a snapshot names, for reports to validate and label by. */
export const definitionsOf = (definitions: MembershipDefinitions) => ({
  journeys: definitions.journeys.map((journey) => ({
    id: journey.id,
    name: journey.name,
    stages: journey.stages.map((stage) => ({ id: stage.id, name: stage.name ?? stage.id })),
  })),
  segments: definitions.segments.map((segment) => ({ id: segment.id, name: segment.name })),
});

/** Before any order: memberships a customer held from the start begin here. */
export const EPOCH = '1970-01-01T00:00:00.000Z';
const DAY_MS = 86_400_000;

/** Each order's newest applied version (the highest aggregate version that counted it). */
export const currentVersions = (facts: readonly FactVersion[]): OrderContribution[] => {
  const newest = new Map<string, FactVersion>();
  for (const fact of facts) {
    const seen = newest.get(fact.contribution.orderId);
    if (!seen || fact.version > seen.version) newest.set(fact.contribution.orderId, fact);
  }
  return [...newest.values()].map((fact) => fact.contribution);
};

/** The day counts of every relative date condition (`withinLastDays`, `moreThanDaysAgo`) in the definitions. */
export const relativeDays = (definitions: MembershipDefinitions): number[] => {
  const days = new Set<number>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if ((key === 'withinLastDays' || key === 'moreThanDaysAgo') && typeof inner === 'number')
        days.add(inner);
      else walk(inner);
    }
  };
  walk(definitions.journeys.map((journey) => journey.stages.map((stage) => stage.when)));
  walk(definitions.segments.map((segment) => segment.when));
  return [...days].sort((a, b) => a - b);
};

const orderRow = (
  customerId: string,
  contribution: OrderContribution,
): { order: OrderRow; products: OrderProductRow[] } => {
  const fact = orderFact(contribution);
  const units = fact.products.reduce((sum, product) => sum + product.units, 0);
  return {
    order: {
      order_id: fact.orderId,
      customer_id: customerId,
      placed_at: fact.placedAt,
      cancelled: fact.excluded === 'cancelled',
      test: fact.excluded === 'test',
      currency: fact.currency,
      gross: fact.gross,
      net: fact.net,
      units,
      // What analytics counts: a placed order (not cancelled, not a test) with something left after refunds.
      counts: fact.counts && (fact.net > 0 || units > 0),
    },
    products: fact.products.map((product) => ({
      order_id: fact.orderId,
      customer_id: customerId,
      product_id: product.productId,
      title: product.title,
      units: product.units,
    })),
  };
};

type Held = { scope: string; member: string; kind: 'segment' | 'stage'; position: number; since: string };

/**
 * Where the customer stood over time: their current orders replayed in the order placed, with the
 * customer's current consent, tags and address, evaluated at every moment a condition can change —
 * each order, and each order (or consent or tag change) plus the days of a relative date condition —
 * up to `asOf`. So memberships include backfilled history and time-based segments such as "no order
 * for 45 days", without anyone having been there to see them change.
 */
export const membershipSpells = (
  feed: CustomerFeed,
  orders: readonly OrderContribution[],
  definitions: MembershipDefinitions,
  asOf: string,
): MembershipRow[] => {
  const start = feed.aggregate
    ? rebuildFromOrders({ ...feed.aggregate, updatedAt: EPOCH }, [], EPOCH)
    : emptyAggregate(feed.shop, feed.customerId, EPOCH);
  const placed = [...orders].sort(
    (a, b) => Date.parse(a.placedAt) - Date.parse(b.placedAt) || a.orderId.localeCompare(b.orderId),
  );
  const end = Date.parse(asOf);
  const anchors = [
    ...placed.map((order) => Date.parse(order.placedAt)),
    ...(start.emailMarketing.updatedAt ? [Date.parse(start.emailMarketing.updatedAt)] : []),
    ...Object.values(start.customerTags).map((tag) => Date.parse(tag.at)),
  ];
  const days = relativeDays(definitions);
  const moments = [
    ...new Set([
      Date.parse(EPOCH),
      ...anchors,
      ...anchors.flatMap((at) => days.map((n) => at + n * DAY_MS + 1)),
    ]),
  ]
    .filter((t) => Number.isFinite(t) && t <= end)
    .sort((a, b) => a - b);

  const rows: MembershipRow[] = [];
  let held = new Map<string, Held>();
  let aggregate: CustomerAggregate = start;
  let next = 0;
  for (const moment of moments) {
    const at = new Date(moment).toISOString();
    while (next < placed.length && Date.parse((placed[next] as OrderContribution).placedAt) <= moment) {
      const order = placed[next] as OrderContribution;
      aggregate = replaceContribution(aggregate, undefined, order, order.placedAt);
      next++;
    }
    const now = new Map<string, Held>();
    for (const journey of definitions.journeys) {
      const stage = currentStage(journey, aggregate, moment);
      if (!stage) continue;
      const position = journey.stages.findIndex((s) => s.id === stage.id);
      now.set(`stage\n${journey.id}\n${stage.id}`, {
        kind: 'stage',
        scope: journey.id,
        member: stage.id,
        position,
        since: at,
      });
    }
    for (const segment of definitions.segments) {
      if (evaluate(segment.when, aggregate, moment))
        now.set(`segment\n${segment.id}`, {
          kind: 'segment',
          scope: segment.id,
          member: segment.id,
          position: 0,
          since: at,
        });
    }
    for (const [key, spell] of held) {
      if (now.has(key)) continue;
      rows.push(spellRow(feed.customerId, spell, at));
    }
    for (const key of now.keys()) if (held.has(key)) now.set(key, held.get(key) as Held);
    held = now;
  }
  for (const spell of held.values()) rows.push(spellRow(feed.customerId, spell, null));
  return rows;
};

const spellRow = (customerId: string, spell: Held, exitedAt: string | null): MembershipRow => ({
  customer_id: customerId,
  kind: spell.kind,
  scope: spell.scope,
  member: spell.member,
  position: spell.position,
  entered_at: spell.since,
  exited_at: exitedAt,
});

/**
 * The decisions among a customer's send ledger entries: `claimed` (the email went out) and
 * `control` (held out at the same point). The other statuses are no decision: `pending` has not
 * been decided yet, `failed` will be tried again, `cancelled` and `skipped` never reached the
 * point where the email is sent or held out — counting them would compare unlike customers.
 */
export const decisionRows = (customerId: string, sends: readonly LedgerEntry[]): DecisionRow[] =>
  sends
    .filter((send) => send.status === 'claimed' || send.status === 'control')
    .map((send) => ({
      customer_id: customerId,
      journey_id: send.journeyId,
      stage_id: send.stageId,
      entry_id: send.entryId,
      decided_at: send.at,
      treated: send.status === 'claimed',
    }));

/** A customer's rows of the snapshot, from what the feed holds about them, as of `asOf`. */
export const customerSnapshotRows = (
  feed: CustomerFeed,
  definitions: MembershipDefinitions,
  asOf: string,
): CustomerSnapshotRows => {
  const current = currentVersions(feed.facts);
  const rows = current.map((contribution) => orderRow(feed.customerId, contribution));
  const aggregate = feed.aggregate;
  return {
    customer: {
      customer_id: feed.customerId,
      has_email: aggregate?.email != null,
      email_state: aggregate?.emailMarketing.state ?? 'unknown',
      country: aggregate?.address?.countryCode ?? null,
    },
    orders: rows.map((row) => row.order),
    products: rows.flatMap((row) => row.products),
    memberships: membershipSpells(feed, current, definitions, asOf),
    decisions: decisionRows(feed.customerId, feed.sends ?? []),
  };
};
