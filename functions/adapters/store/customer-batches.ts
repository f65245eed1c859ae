import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#commons/in-parallel.ts';
import type { OrderContribution, RefundContribution } from '#domain/order.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { type AggregateState, decodeState, type PendingOrder } from './aggregate-item.ts';
import {
  type ApplyOutcome,
  aggregatePut,
  type Compute,
  type ConditionalPut,
  type CustomerChange,
  type CustomerRecords,
  linkPut,
  MAX_ATTEMPTS,
  MAX_BACKOFF_MS,
  type NoChange,
  newer,
  type OrderLink,
  orderFactPut,
  orderPut,
  type StoredOrder,
  sleep,
} from './customers.ts';
import { aggregateKey, orderKey, orderLinkKey, orderPk, REFUND_SK_PREFIX } from './keys.ts';
import { getItems, keyString, queryPartition, type StoredItem, type StoreTable } from './table.ts';

/** One change of `applyMany`: what `apply` takes, less the shop and `silent` the batch shares. */
export type BatchChange = { customerId: string; orderId: string | null; compute: Compute };

/** What `applyMany` did with one change: its outcome, or why it can never be applied. */
export type BatchOutcome = ApplyOutcome | UnusableChange;

/** Groups computed, or parked refunds read, at once. */
const IN_FLIGHT = 32;
/** `applyMany`'s transactions: DynamoDB's limits (100 items, 4 MB) with room, and how many at once. */
const TRANSACTION_ITEMS = 100;
const TRANSACTION_BYTES = 3 * 1024 * 1024;
const TRANSACTION_CONCURRENCY = 4;
/** Lanes of customers `applyMany` runs side by side (see there). */
const LANES = 4;
/** Cancellation reasons that say "try again later", not "this write is wrong". */
const THROTTLED = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** One group's writes, all or nothing (`g`: the group's place in its round). */
type WriteUnit = { g: number; puts: ConditionalPut[] };

/** An item's size as DynamoDB counts it, near enough to keep a transaction under its limit. */
const approximateBytes = (item: Record<string, unknown>): number =>
  item.state instanceof Uint8Array ? item.state.byteLength + 200 : JSON.stringify(item).length;

/**
 * A customer's next changes in a batch, applied as one commit: from the head of their queue up to
 * and including the first change of an order. One order at most: the rare change that must
 * rebuild the aggregate from the customer's other orders (`otherOrders`) reads them from the
 * table, where an order changed earlier in the same commit would not be yet.
 */
type Group = {
  customerId: string;
  indices: number[];
  orderId: string | null;
  /**
   * The order's item and link are taken to be missing, not read (history is mostly orders never
   * seen): their writes then require that they are, and a group that finds them there reads them
   * and computes again.
   */
  assumeNew: boolean;
};

/** What one group's round came to. */
type GroupResult =
  | { kind: 'done'; written: AggregateState | null }
  /** Another writer changed the customer since it was read: read and compute again. */
  | { kind: 'conflict' }
  /** A change can never be applied: the group's changes go through `apply` one by one. */
  | { kind: 'unusable' };

const storedOrderOf = (item: StoredItem | undefined): StoredOrder | undefined =>
  item
    ? { contribution: item.contribution as OrderContribution, version: Number(item.appliedVersion ?? 0) }
    : undefined;

const isNoChange = (change: CustomerChange | NoChange): change is NoChange =>
  change === null || change === 'stale' || change === 'duplicate' || change === 'redacted';

/**
 * Many changes to many customers at once — history, where a shop's file holds a million orders —
 * with `CustomerRecords`' reads, computations and conditional writes, in far fewer requests:
 *
 * 1. each customer's next changes (see `Group`) are read together with every other customer's,
 *    by BatchGetItem: the aggregate, and the order's item and link unless the order is taken to
 *    be new (see `Group.assumeNew`);
 * 2. they are computed change after change, each from what the one before made — the same
 *    `Compute` functions, so the same domain — and fold into one new aggregate;
 * 3. everything `apply` would write for them — a pending order another writer left, made durable;
 *    the aggregate (the commit point); the order's item and link — is written as one
 *    all-or-nothing unit, each item under `apply`'s own condition, many customers' units to a
 *    TransactWriteItems. The order's item is then durable with its commit, so the aggregate keeps
 *    no pending copy of it (`apply` keeps one until its item follows).
 *
 * A unit whose condition fails (another writer came first, a refund was parked, the order was not
 * new) writes nothing; that customer is read and computed again. A change that can never be
 * applied sends its group through `apply`. Transactions cost two write units an item where
 * `apply`'s single writes cost one: the price of a backfill's throughput, paid once per history.
 */
export class CustomerBatches {
  private readonly table: StoreTable;
  private readonly records: CustomerRecords;

  constructor(table: StoreTable, records: CustomerRecords) {
    this.table = table;
    this.records = records;
  }

  /**
   * Applies many changes, ending in the table state `CustomerRecords.apply` leaves applying them
   * one by one in the given order: each customer's changes keep their order, different customers'
   * are independent. `beforeCompute` is told which customers have no record before any of their
   * changes is computed.
   */
  async applyMany(input: {
    shop: string;
    changes: readonly BatchChange[];
    silent?: boolean;
    beforeCompute?: (absent: readonly string[]) => Promise<void>;
  }): Promise<BatchOutcome[]> {
    const { shop, changes } = input;
    const silent = input.silent === true;
    const outcomes = new Array<BatchOutcome>(changes.length);
    // Customers dealt into lanes that run side by side (each its own reads, computing and
    // writes), so that DynamoDB always has a lane's requests to serve; a customer stays in one.
    const lanes = Array.from({ length: LANES }, () => new Map<string, number[]>());
    const laneOf = new Map<string, Map<string, number[]>>();
    for (const [index, change] of changes.entries()) {
      let lane = laneOf.get(change.customerId);
      if (!lane) {
        lane = lanes[laneOf.size % LANES] as Map<string, number[]>;
        laneOf.set(change.customerId, lane);
      }
      const queue = lane.get(change.customerId);
      if (queue) queue.push(index);
      else lane.set(change.customerId, [index]);
    }
    await Promise.all(
      lanes.map((queues) => this.applyLane(shop, queues, changes, outcomes, silent, input.beforeCompute)),
    );
    return outcomes;
  }

  /** `applyMany` for some customers' queues of changes (indices into `changes`), round after round. */
  private async applyLane(
    shop: string,
    queues: Map<string, number[]>,
    changes: readonly BatchChange[],
    outcomes: BatchOutcome[],
    silent: boolean,
    beforeCompute: ((absent: readonly string[]) => Promise<void>) | undefined,
  ): Promise<void> {
    // What this lane wrote last per customer: its conditional write checks it still holds, so it
    // needs no reading again.
    const written = new Map<string, AggregateState>();
    // Customers whose last attempt met another writer: their next one reads before it writes.
    const conflicts = new Map<string, number>();
    while (queues.size > 0) {
      const groups = [...queues].map(([customerId, queue]): Group => {
        const end = queue.findIndex((index) => changes[index]?.orderId !== null);
        const orderId = end === -1 ? null : (changes[queue[end] as number]?.orderId ?? null);
        return {
          customerId,
          indices: end === -1 ? [...queue] : queue.slice(0, end + 1),
          orderId,
          assumeNew: orderId !== null && !conflicts.has(customerId),
        };
      });
      const results = await this.applyGroups(shop, groups, changes, outcomes, {
        silent,
        written,
        beforeCompute,
      });
      let backoff = 0;
      for (const [g, group] of groups.entries()) {
        const result = results[g] as GroupResult;
        const queue = queues.get(group.customerId) as number[];
        if (result.kind === 'conflict') {
          written.delete(group.customerId);
          const attempt = (conflicts.get(group.customerId) ?? 0) + 1;
          if (attempt >= MAX_ATTEMPTS)
            throw new Error(
              `customer ${group.customerId}: ${MAX_ATTEMPTS} concurrent-write conflicts in a row`,
            );
          conflicts.set(group.customerId, attempt);
          // Only an assumption that did not hold: try again at once, reading this time.
          if (!group.assumeNew)
            backoff = Math.max(backoff, Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt));
          continue;
        }
        conflicts.delete(group.customerId);
        if (result.kind === 'unusable') {
          written.delete(group.customerId);
          for (const index of group.indices)
            outcomes[index] = await this.applyOne(shop, changes, index, silent);
        } else if (result.written) written.set(group.customerId, result.written);
        queue.splice(0, group.indices.length);
        if (queue.length === 0) queues.delete(group.customerId);
      }
      if (backoff > 0) await sleep(backoff);
    }
  }

  /** One change of a batch through `apply`; a change that can never be applied is its outcome. */
  private async applyOne(
    shop: string,
    changes: readonly BatchChange[],
    index: number,
    silent: boolean,
  ): Promise<BatchOutcome> {
    const { customerId, orderId, compute } = changes[index] as BatchChange;
    try {
      return await this.records.apply({ shop, customerId, orderId, compute, silent });
    } catch (error) {
      if (error instanceof UnusableChange) return error;
      throw error;
    }
  }

  /** One round of a lane: every group read together, computed, then written in transactions. */
  private async applyGroups(
    shop: string,
    groups: readonly Group[],
    changes: readonly BatchChange[],
    outcomes: BatchOutcome[],
    context: {
      silent: boolean;
      written: ReadonlyMap<string, AggregateState>;
      beforeCompute: ((absent: readonly string[]) => Promise<void>) | undefined;
    },
  ): Promise<GroupResult[]> {
    const { silent, written } = context;
    const items = await getItems(
      this.table,
      groups.flatMap(({ customerId, orderId, assumeNew }) => [
        ...(written.has(customerId) ? [] : [aggregateKey(shop, customerId)]),
        ...(orderId && !assumeNew ? [orderKey(shop, customerId, orderId), orderLinkKey(shop, orderId)] : []),
      ]),
    );
    const links = await inParallel(groups, IN_FLIGHT, async ({ orderId }): Promise<OrderLink | null> => {
      if (!orderId) return null;
      const item = items.get(keyString(orderLinkKey(shop, orderId)));
      const refundCount = typeof item?.refundCount === 'number' ? item.refundCount : 0;
      return {
        customerId: typeof item?.customerId === 'string' ? item.customerId : null,
        refundCount,
        // Refunds are parked only together with a count on the link (`parkRefund`): without one, none wait.
        refunds:
          refundCount > 0
            ? (await queryPartition(this.table, orderPk(shop, orderId), { skPrefix: REFUND_SK_PREFIX })).map(
                (refund) => refund.refund as RefundContribution,
              )
            : [],
      };
    });
    const states = groups.map(
      ({ customerId }) =>
        written.get(customerId) ?? decodeState(items.get(keyString(aggregateKey(shop, customerId)))),
    );
    const absent = groups.filter((_, g) => states[g] === null).map(({ customerId }) => customerId);
    if (absent.length > 0) await context.beforeCompute?.(absent);

    // Computed change after change, as `apply` would compute each from what the one before wrote.
    const plans = await inParallel(groups, IN_FLIGHT, async (group, g) => {
      const { customerId, orderId } = group;
      const state = states[g] ?? null;
      const link = links[g] ?? null;
      const item = orderId
        ? storedOrderOf(items.get(keyString(orderKey(shop, customerId, orderId))))
        : undefined;
      const readPending = state?.pendingOrder ?? null;
      let stored = orderId
        ? newer(item, readPending?.contribution.orderId === orderId ? readPending : undefined)
        : undefined;
      let current = state?.aggregate ?? null;
      let pending = readPending;
      let changed = false;
      let persist: PendingOrder | null = null;
      let committed: PendingOrder | null = null;
      let repair: { order: StoredOrder | null } | null = null;
      const computed: [number, ApplyOutcome][] = [];
      try {
        for (const index of group.indices) {
          const entry = changes[index] as BatchChange;
          const change = await entry.compute({
            current,
            stored: entry.orderId ? stored?.contribution : undefined,
            parkedRefunds: entry.orderId ? (link?.refunds ?? []) : [],
            otherOrders: () => this.records.listOrders(shop, customerId),
          });
          if (isNoChange(change)) {
            computed.push([index, change ?? 'unchanged']);
            // Nothing to change; finish what a writer that died may have left undone for this order.
            if (entry.orderId && stored) repair = { order: stored !== item ? stored : null };
            continue;
          }
          if (pending && change.order && pending.contribution.orderId !== change.order.orderId)
            persist = pending;
          current = change.aggregate;
          if (change.order) {
            pending = { version: change.aggregate.version, contribution: change.order };
            committed = pending;
            stored = pending;
          }
          changed = true;
          computed.push([index, 'applied']);
        }
      } catch (error) {
        if (error instanceof UnusableChange) return null;
        throw error;
      }
      // The order's item is written with the aggregate: no pending copy is needed to finish it.
      const next: AggregateState | null =
        changed && current ? { aggregate: current, pendingOrder: committed ? null : pending } : null;
      return { group, state, link, next, persist, committed, repair, computed };
    });

    // A pending order another writer left (see `apply`), read to see whether it is durable yet.
    const persisting = plans.flatMap((plan) =>
      plan?.persist ? [{ customerId: plan.group.customerId, pending: plan.persist }] : [],
    );
    const keyOf = ({ customerId, pending }: (typeof persisting)[number]) =>
      orderKey(shop, customerId, pending.contribution.orderId);
    const pendingItems = await getItems(this.table, persisting.map(keyOf));
    const stillPending = new Set(
      persisting
        .filter((persist) => {
          const item = storedOrderOf(pendingItems.get(keyString(keyOf(persist))));
          return !item || item.version < persist.pending.version;
        })
        .map(({ customerId }) => customerId),
    );

    // Each group's writes as one all-or-nothing unit — the pending order made durable, the
    // aggregate (the commit point), the order's item and link — each under `apply`'s condition;
    // an order assumed new is written only if its item and link are indeed not there.
    const results = new Array<GroupResult>(plans.length);
    const units: WriteUnit[] = [];
    for (const [g, plan] of plans.entries()) {
      if (!plan) {
        results[g] = { kind: 'unusable' };
        continue;
      }
      const { group, state, link, next, persist, committed, repair } = plan;
      const { customerId, orderId, assumeNew } = group;
      const checked = (put: ConditionalPut): ConditionalPut =>
        assumeNew ? { item: put.item, condition: { expression: 'attribute_not_exists(pk)' } } : put;
      const puts: ConditionalPut[] = [];
      try {
        if (persist && stillPending.has(customerId))
          puts.push(orderPut(shop, customerId, persist), orderFactPut(shop, customerId, persist));
        if (next)
          puts.push(aggregatePut(shop, customerId, next, state, silent, this.records.wakeOf(next.aggregate)));
      } catch (error) {
        if (!(error instanceof UnusableChange)) throw error;
        results[g] = { kind: 'unusable' };
        continue;
      }
      const order = committed ?? repair?.order ?? null;
      if (orderId && order)
        puts.push(checked(orderPut(shop, customerId, order)), orderFactPut(shop, customerId, order));
      if (orderId && (committed || repair) && link && link.customerId !== customerId)
        puts.push(checked(linkPut(shop, customerId, orderId, link)));
      units.push({ g, puts });
    }
    const conflicts = await this.writeUnits(units.filter(({ puts }) => puts.length > 0));
    for (const { g } of units) {
      const plan = plans[g];
      if (!plan) continue;
      if (conflicts.has(g)) {
        results[g] = { kind: 'conflict' };
        continue;
      }
      for (const [index, outcome] of plan.computed) outcomes[index] = outcome;
      results[g] = { kind: 'done', written: plan.next };
    }
    return results;
  }

  /**
   * Writes units (each all or nothing) in transactions of up to 100 items, several at once; the
   * units whose condition failed (another writer came first) are answered, the others written.
   */
  private async writeUnits(units: readonly WriteUnit[]): Promise<Set<number>> {
    const transactions: WriteUnit[][] = [];
    let current: WriteUnit[] = [];
    let items = 0;
    let bytes = 0;
    let keys = new Set<string>();
    for (const unit of units) {
      const size = unit.puts.reduce((sum, put) => sum + approximateBytes(put.item), 0);
      const clash = unit.puts.some(({ item }) => keys.has(keyString(item)));
      if (
        current.length > 0 &&
        (clash || items + unit.puts.length > TRANSACTION_ITEMS || bytes + size > TRANSACTION_BYTES)
      ) {
        transactions.push(current);
        current = [];
        items = 0;
        bytes = 0;
        keys = new Set();
      }
      current.push(unit);
      items += unit.puts.length;
      bytes += size;
      for (const { item } of unit.puts) keys.add(keyString(item));
    }
    if (current.length > 0) transactions.push(current);
    const conflicts = new Set<number>();
    await inParallel(transactions, TRANSACTION_CONCURRENCY, async (transaction) => {
      let remaining = transaction;
      for (let attempt = 1; remaining.length > 0; attempt++) {
        try {
          await this.table.doc.send(
            new TransactWriteCommand({
              TransactItems: remaining.flatMap(({ puts }) =>
                puts.map(({ item, condition }) => ({
                  Put: {
                    TableName: this.table.name,
                    Item: item,
                    ConditionExpression: condition.expression,
                    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
                  },
                })),
              ),
            }),
          );
          return;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException) || attempt >= MAX_ATTEMPTS) throw error;
          const reasons = error.CancellationReasons ?? [];
          const failed = new Set<WriteUnit>();
          let at = 0;
          for (const unit of remaining) {
            const codes = reasons.slice(at, at + unit.puts.length).map((reason) => reason.Code ?? 'None');
            at += unit.puts.length;
            if (codes.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict'))
              failed.add(unit);
            else if (codes.some((code) => code !== 'None' && !THROTTLED.has(code))) throw error;
          }
          for (const unit of failed) conflicts.add(unit.g);
          remaining = remaining.filter((unit) => !failed.has(unit));
          // Cancelled by throttling alone: the same units again, later.
          if (failed.size === 0) await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt));
        }
      }
    });
    return conflicts;
  }
}
