import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { OrderContribution, RefundContribution } from '#domain/order.ts';
import {
  type AggregateState,
  decodeState,
  deflateJson,
  encodeState,
  type PendingOrder,
  SILENT,
} from './aggregate-item.ts';
import { ItemKind } from './item-kinds.ts';
import {
  aggregateKey,
  customerPk,
  dueAttributes,
  feedAttributes,
  type Key,
  ORDER_LINK_SK,
  ORDER_SK_PREFIX,
  orderFactKey,
  orderKey,
  orderLinkKey,
  orderPk,
  parkedRefundKey,
  REFUND_SK_PREFIX,
} from './keys.ts';
import { putIf, queryPartition, type StoreTable } from './table.ts';

/**
 * Optimistic-concurrency attempts per change. Each conflict round lets one writer of a customer
 * through, so the attempts must outnumber the writers that can meet on one customer: 40 at once
 * (orders racing their refunds) exhausted 8 attempts; the backoff is jittered and capped.
 */
export const MAX_ATTEMPTS = 16;
export const MAX_BACKOFF_MS = 400;

/** What an apply did. `duplicate`: this very version was applied before; `stale`: a newer one is stored. */
/** `redacted`: the customer was erased (customers/redact); nothing may bring them back. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'unchanged' | 'redacted';
export type NoChange = 'stale' | 'duplicate' | 'redacted' | null;

/** One change to a customer, computed from what is stored now. */
export type CustomerChange = { aggregate: CustomerAggregate; order?: OrderContribution };

/** What a change is computed from. */
export type StoredCustomer = {
  current: CustomerAggregate | null;
  /** The stored version of the order the change concerns, if any. */
  stored: OrderContribution | undefined;
  /** Refunds of that order received before its customer was known. */
  parkedRefunds: RefundContribution[];
  /** Every stored order of the customer: for the rare change that must rebuild the aggregate. */
  otherOrders: () => Promise<OrderContribution[]>;
};

/** When time alone next moves a customer (see `wakeTime`); null: never. */
export type WakeTime = (aggregate: CustomerAggregate) => string | null;

export type Compute = (
  stored: StoredCustomer,
) => CustomerChange | NoChange | Promise<CustomerChange | NoChange>;

export type OrderLink = { customerId: string | null; refundCount: number; refunds: RefundContribution[] };
export type StoredOrder = { contribution: OrderContribution; version: number };
/** A stored order as read, with its item's `appliedVersion` then (null: no item, or one without a version). */
export type ReadOrder = StoredOrder & { itemVersion: number | null };

/** The newer of two stored copies of an order (by the aggregate version that counted it). */
export const newer = (a: StoredOrder | undefined, b: StoredOrder | undefined) =>
  !a ? b : !b ? a : b.version > a.version ? b : a;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A conditional put, as `putIf` and a transaction's Put take it. */
export type ConditionalPut = {
  item: Record<string, unknown> & Key;
  condition: { expression: string; values?: Record<string, unknown> };
};

/**
 * The aggregate's write, unless another writer changed it since `read`.
 * `silent`: the write applies history; its stream record tells the evaluator so (`SILENT`).
 * `wakeAt`: when time alone next moves the customer (the sweep's due index); null: never.
 */
export const aggregatePut = (
  shop: string,
  customerId: string,
  state: AggregateState,
  read: AggregateState | null,
  silent: boolean,
  wakeAt: string | null = null,
): ConditionalPut => ({
  item: {
    ...aggregateKey(shop, customerId),
    kind: ItemKind.Aggregate,
    version: state.aggregate.version,
    state: encodeState(state),
    ...(silent ? { [SILENT]: true } : {}),
    // In the analytics feed: the customer as it stands (email, consent, address).
    ...feedAttributes(shop, customerId, state.aggregate.updatedAt),
    ...(wakeAt ? dueAttributes('WAKE', customerId, wakeAt) : {}),
  },
  condition: read
    ? { expression: 'version = :expected', values: { ':expected': read.aggregate.version } }
    : { expression: 'attribute_not_exists(pk)' },
});

/** An order's item as the aggregate counted it, unless a later count is already written. */
export const orderPut = (shop: string, customerId: string, order: StoredOrder): ConditionalPut => ({
  item: {
    ...orderKey(shop, customerId, order.contribution.orderId),
    kind: ItemKind.Order,
    updatedAt: order.contribution.updatedAt,
    appliedVersion: order.version,
    contribution: order.contribution,
  },
  condition: {
    expression: 'attribute_not_exists(pk) OR attribute_not_exists(appliedVersion) OR appliedVersion < :v',
    values: { ':v': order.version },
  },
});

/**
 * The fact of an order version (its contribution as counted, compressed), in the analytics feed: written with every write
 * of the order's item, keyed by the version that counted it, so a replay writes the same item again.
 * Its condition always holds for that reason; it is stated for a reader of the transaction.
 */
export const orderFactPut = (shop: string, customerId: string, order: StoredOrder): ConditionalPut => ({
  item: {
    ...orderFactKey(shop, customerId, order.contribution.orderId, order.version),
    kind: ItemKind.Fact,
    fact: 'order',
    customerId,
    version: order.version,
    // Compressed like the aggregate's state: a bakery order's fact is one write unit, and even an
    // order of thousands of distinct products stays far below the item limit.
    contribution: deflateJson(order.contribution),
    ...feedAttributes(shop, customerId, order.contribution.updatedAt),
  },
  condition: {
    expression: 'attribute_not_exists(pk) OR version = :v',
    values: { ':v': order.version },
  },
});

/** An order's link to its customer, unless a refund was parked since `link` was read. */
export const linkPut = (
  shop: string,
  customerId: string,
  orderId: string,
  link: OrderLink,
): ConditionalPut => ({
  item: {
    ...orderLinkKey(shop, orderId),
    kind: ItemKind.OrderLink,
    customerId,
    refundCount: link.refundCount,
  },
  condition: {
    expression: 'attribute_not_exists(refundCount) OR refundCount = :count',
    values: { ':count': link.refundCount },
  },
});

/**
 * A customer's aggregate and orders, and the order links refunds find them by. A change is single
 * conditional writes — no transaction, no de-duplication marker (only parking a refund, which
 * is rare, is a transaction):
 *
 * 1. the aggregate (guarded by its version), carrying the order's new contribution as its
 *    `pendingOrder`: this is the commit point of a change;
 * 2. then, side by side, the order's own item (guarded by the aggregate version that counted it)
 *    and, on an order's first version, its link (guarded by the count of refunds parked for it).
 *
 * A redelivery is a no-op because the domain finds the same version stored. A writer that dies
 * after step 1 leaves the contribution in the aggregate; whoever touches the customer next reads
 * it from there and completes step 2. (History, many changes at once, goes through
 * `CustomerBatches`: the same writes under the same conditions, steps 1 and 2 in one transaction.)
 */
export class CustomerRecords {
  private readonly table: StoreTable;

  private readonly wakeAt: WakeTime;

  /** `wakeAt`: when time alone next moves a customer (from the configuration); by default never. */
  constructor(table: StoreTable, options: { wakeAt?: WakeTime } = {}) {
    this.table = table;
    this.wakeAt = options.wakeAt ?? (() => null);
  }

  /** When the sweep should re-evaluate this aggregate (null: never). */
  wakeOf(aggregate: CustomerAggregate): string | null {
    return this.wakeAt(aggregate);
  }

  private async readState(shop: string, customerId: string): Promise<AggregateState | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: aggregateKey(shop, customerId),
        ConsistentRead: true,
      }),
    );
    return decodeState(Item);
  }

  async getAggregate(shop: string, customerId: string): Promise<CustomerAggregate | null> {
    return (await this.readState(shop, customerId))?.aggregate ?? null;
  }

  private async readOrder(
    shop: string,
    customerId: string,
    orderId: string,
  ): Promise<StoredOrder | undefined> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: orderKey(shop, customerId, orderId),
        ConsistentRead: true,
      }),
    );
    return Item
      ? { contribution: Item.contribution as OrderContribution, version: Number(Item.appliedVersion ?? 0) }
      : undefined;
  }

  /** Every order contribution stored for a customer, the aggregate's pending one included. */
  async listOrders(shop: string, customerId: string): Promise<OrderContribution[]> {
    return (await this.withOrders(shop, customerId)).orders;
  }

  /** The aggregate and every stored order of a customer (the pending one included), one read each. */
  async withOrders(
    shop: string,
    customerId: string,
  ): Promise<{ aggregate: CustomerAggregate | null; orders: OrderContribution[] }> {
    const { state, orders } = await this.readCustomer(shop, customerId);
    return { aggregate: state?.aggregate ?? null, orders: orders.map((o) => o.contribution) };
  }

  /**
   * The aggregate's state and every stored order of a customer, one read each: each order's newest
   * copy (its item, or the aggregate's pending copy when that is newer), with the `appliedVersion`
   * its item was read with (`itemVersion`; null when it has no item, or one without a version).
   */
  async readCustomer(
    shop: string,
    customerId: string,
  ): Promise<{ state: AggregateState | null; orders: ReadOrder[] }> {
    const [items, state] = await Promise.all([
      queryPartition(this.table, customerPk(shop, customerId), {
        skPrefix: ORDER_SK_PREFIX,
        projection: 'contribution, appliedVersion',
      }),
      this.readState(shop, customerId),
    ]);
    const orders = new Map<string, ReadOrder>();
    for (const item of items) {
      const version = Number(item.appliedVersion ?? 0);
      const contribution = item.contribution as OrderContribution;
      orders.set(contribution.orderId, {
        contribution,
        version,
        itemVersion: item.appliedVersion === undefined ? null : version,
      });
    }
    const pending = state?.pendingOrder;
    if (pending) {
      const id = pending.contribution.orderId;
      const item = orders.get(id);
      if (newer(item, pending) === pending)
        orders.set(id, { ...pending, itemVersion: item?.itemVersion ?? null });
    }
    return { state, orders: [...orders.values()] };
  }

  /** The order's link to its customer and the refunds parked for it. */
  private async readLink(shop: string, orderId: string): Promise<OrderLink> {
    const items = await queryPartition(this.table, orderPk(shop, orderId));
    const link = items.find((item) => item.sk === ORDER_LINK_SK);
    return {
      customerId: typeof link?.customerId === 'string' ? link.customerId : null,
      refundCount: typeof link?.refundCount === 'number' ? link.refundCount : 0,
      refunds: items
        .filter((item) => item.sk.startsWith(REFUND_SK_PREFIX))
        .map((item) => item.refund as RefundContribution),
    };
  }

  /**
   * Applies one change to one customer, computed by `compute` from what is stored now. On a
   * concurrent write it re-reads and recomputes, so two changes for one customer at once lose nothing.
   */
  async apply(input: {
    shop: string;
    customerId: string;
    orderId: string | null;
    compute: Compute;
    /** A change from history (backfill, reindex): the aggregate item says so, and no email follows. */
    silent?: boolean;
  }): Promise<ApplyOutcome> {
    const { shop, customerId, orderId } = input;
    for (let attempt = 1; ; attempt++) {
      const [state, item, link] = await Promise.all([
        this.readState(shop, customerId),
        orderId ? this.readOrder(shop, customerId, orderId) : Promise.resolve(undefined),
        orderId ? this.readLink(shop, orderId) : Promise.resolve(null),
      ]);
      const pending = state?.pendingOrder ?? null;
      const stored = orderId
        ? newer(item, pending?.contribution.orderId === orderId ? pending : undefined)
        : undefined;
      const change = await input.compute({
        current: state?.aggregate ?? null,
        stored: stored?.contribution,
        parkedRefunds: link?.refunds ?? [],
        otherOrders: () => this.listOrders(shop, customerId),
      });
      if (change === null || change === 'stale' || change === 'duplicate' || change === 'redacted') {
        // Nothing to change; finish what a writer that died may have left undone for this order.
        const toWrite = stored !== item ? (stored ?? null) : null;
        if (stored && orderId && !(await this.follow(shop, customerId, orderId, toWrite, link))) continue;
        return change ?? 'unchanged';
      }
      // The aggregate holds one pending order: another order's is made durable before it is replaced.
      if (pending && change.order && pending.contribution.orderId !== change.order.orderId)
        await this.persistPending(shop, customerId, pending);
      const next: PendingOrder | null = change.order
        ? { version: change.aggregate.version, contribution: change.order }
        : pending;
      if (
        !(await this.writeAggregate(
          shop,
          customerId,
          { aggregate: change.aggregate, pendingOrder: next },
          state,
          input.silent === true,
        ))
      ) {
        if (attempt >= MAX_ATTEMPTS)
          throw new Error(`customer ${customerId}: ${MAX_ATTEMPTS} concurrent-write conflicts in a row`);
        await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt));
        continue;
      }
      // A refund parked since the link was read: apply again to take it in.
      if (change.order && next && !(await this.follow(shop, customerId, change.order.orderId, next, link)))
        continue;
      return 'applied';
    }
  }

  /**
   * What follows a commit: the order's item (when given) and the order's link to this customer
   * (when missing), side by side — each guards itself. False when a refund was parked since the
   * link was read: the caller applies again to take it in.
   */
  private async follow(
    shop: string,
    customerId: string,
    orderId: string,
    order: StoredOrder | null,
    link: OrderLink | null,
  ): Promise<boolean> {
    const [, linked] = await Promise.all([
      order ? this.writeOrder(shop, customerId, order) : Promise.resolve(),
      link && link.customerId !== customerId
        ? this.writeLink(shop, customerId, orderId, link)
        : Promise.resolve(true),
    ]);
    return linked;
  }

  /**
   * Writes the aggregate unless another writer changed it since `read`; false on that conflict.
   * `silent`: the write applies history; its stream record tells the evaluator so (`SILENT`).
   */
  private writeAggregate(
    shop: string,
    customerId: string,
    state: AggregateState,
    read: AggregateState | null,
    silent: boolean,
  ): Promise<boolean> {
    const wakeAt = this.wakeOf(state.aggregate);
    const { item, condition } = aggregatePut(shop, customerId, state, read, silent, wakeAt);
    return putIf(this.table, item, condition);
  }

  /**
   * Writes an order's item as the aggregate counted it, unless a later count is already written,
   * and the fact of that version (whether or not a later one is written already).
   */
  private async writeOrder(shop: string, customerId: string, order: StoredOrder): Promise<void> {
    await Promise.all(
      [orderPut(shop, customerId, order), orderFactPut(shop, customerId, order)].map(({ item, condition }) =>
        putIf(this.table, item, condition),
      ),
    );
  }

  /** Makes a pending order durable in its own item, reading first: usually it already is. */
  private async persistPending(shop: string, customerId: string, pending: PendingOrder): Promise<void> {
    const item = await this.readOrder(shop, customerId, pending.contribution.orderId);
    if (!item || item.version < pending.version) await this.writeOrder(shop, customerId, pending);
  }

  /** Links an order to its customer, unless a refund was parked since `link` was read (then false). */
  private writeLink(shop: string, customerId: string, orderId: string, link: OrderLink): Promise<boolean> {
    const { item, condition } = linkPut(shop, customerId, orderId, link);
    return putIf(this.table, item, condition);
  }

  /**
   * Keeps a refund with its order (once per refund id) and answers the order's customer when known.
   * When it is not, the order's first version takes the parked refund in (see `apply`): the
   * refund count on the order's link makes that race-free.
   */
  async parkRefund(shop: string, orderId: string, refund: RefundContribution): Promise<string | null> {
    const link = orderLinkKey(shop, orderId);
    try {
      await this.table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.name,
                Item: { ...parkedRefundKey(shop, orderId, refund.refundId), kind: ItemKind.Refund, refund },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.table.name,
                Key: link,
                UpdateExpression: 'SET kind = :kind ADD refundCount :one',
                ExpressionAttributeValues: { ':kind': ItemKind.OrderLink, ':one': 1 },
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Parked before (a redelivery): carry on, the customer may be known by now.
      const parkedBefore =
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';
      if (!parkedBefore) throw error;
    }
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: link, ConsistentRead: true }),
    );
    return typeof Item?.customerId === 'string' ? Item.customerId : null;
  }
}
