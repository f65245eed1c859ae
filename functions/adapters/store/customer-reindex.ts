import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { ContributionOptions } from '#domain/order.ts';
import { reindexCustomer } from '#domain/reindex.ts';
import { decodeState } from './aggregate-item.ts';
import {
  aggregatePut,
  type ConditionalPut,
  CustomerRecords,
  MAX_ATTEMPTS,
  MAX_BACKOFF_MS,
  orderFactPut,
  orderPut,
  type ReadOrder,
  sleep,
  type WakeTime,
} from './customers.ts';
import { ItemKind } from './item-kinds.ts';
import { customerPkPrefix } from './keys.ts';
import { putIf, type StoreTable } from './table.ts';

/** DynamoDB's limit on the items of one transaction. */
const TRANSACTION_ITEMS = 100;

/** One page of a shop's customers, as `CustomerReindex.page` reads them. */
export type CustomerPage = {
  aggregates: CustomerAggregate[];
  /** Items the page read, whatever shop or kind (what the scan cost). */
  scanned: number;
  /** Where the next page starts; null after the last. */
  cursor: string | null;
};

/** What reindexing one customer did. */
export type Reindexed = { status: 'reindexed' | 'gone'; inexact: number };

/**
 * A shop's customers counted again from their stored orders (`reindexCustomer`), each written
 * as one change: the orders' items under the appliedVersion they were read with, the pending
 * order made durable, then the aggregate — silently, under the version it was read with (its
 * commit point, as in `CustomerRecords`). A webhook that changes the customer in between makes
 * a write fail: the customer is read and counted again. Up to 99 orders in one transaction;
 * beyond, the orders first (counting again is idempotent) and the aggregate after them.
 */
export class CustomerReindex {
  private readonly table: StoreTable;
  private readonly records: CustomerRecords;

  constructor(table: StoreTable, options: { wakeAt?: WakeTime } = {}) {
    this.table = table;
    this.records = new CustomerRecords(table, options);
  }

  /**
   * The shop's customer aggregates from `cursor` on: a Scan filtered to them — reindexing is
   * rare, and reads the whole table once (every shop's items) rather than keep an index for it.
   */
  async page(shop: string, cursor: string | null, limit = 1_000): Promise<CustomerPage> {
    const {
      Items = [],
      LastEvaluatedKey,
      ScannedCount = 0,
    } = await this.table.doc.send(
      new ScanCommand({
        TableName: this.table.name,
        FilterExpression: 'begins_with(pk, :prefix) AND kind = :kind',
        ExpressionAttributeValues: { ':prefix': customerPkPrefix(shop), ':kind': ItemKind.Aggregate },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: JSON.parse(cursor) as Record<string, unknown> } : {}),
      }),
    );
    return {
      aggregates: Items.flatMap((item) => decodeState(item)?.aggregate ?? []),
      scanned: ScannedCount,
      cursor: LastEvaluatedKey ? JSON.stringify(LastEvaluatedKey) : null,
    };
  }

  /** Counts a customer again for `options`' selectors; `gone` when they were erased meanwhile. */
  async reindex(shop: string, customerId: string, options: ContributionOptions): Promise<Reindexed> {
    for (let attempt = 1; ; attempt++) {
      const { state, orders } = await this.records.readCustomer(shop, customerId);
      if (!state) return { status: 'gone', inexact: 0 };
      const result = reindexCustomer(
        state.aggregate,
        orders.map((order) => order.contribution),
        options,
      );
      const version = result.aggregate.version;
      const puts = result.orders.flatMap((contribution, i) => {
        const stored = orders[i] as ReadOrder;
        // An order's item already as counted again needs no write.
        if (
          stored.itemVersion !== null &&
          JSON.stringify(contribution) === JSON.stringify(stored.contribution)
        )
          return [];
        const order = { contribution, version: stored.version };
        const { item } = orderPut(shop, customerId, order);
        const put = {
          item,
          // Only if the item is still the one read (or, for the pending order, still missing or older).
          condition:
            stored.itemVersion === null
              ? { expression: 'attribute_not_exists(appliedVersion)' }
              : { expression: 'appliedVersion = :read', values: { ':read': stored.itemVersion } },
        };
        // A pending order written here for the first time may lack its fact too (its writer died).
        return stored.itemVersion === null ? [put, orderFactPut(shop, customerId, order)] : [put];
      });
      const aggregate = aggregatePut(
        shop,
        customerId,
        { aggregate: result.aggregate, pendingOrder: null },
        state,
        true,
        this.records.wakeOf(result.aggregate),
      );
      if (await this.write(puts, aggregate)) return { status: 'reindexed', inexact: result.inexact };
      if (attempt >= MAX_ATTEMPTS)
        throw new Error(
          `customer ${customerId}: ${MAX_ATTEMPTS} concurrent-write conflicts in a row (version ${version})`,
        );
      await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt));
    }
  }

  /** The orders' and the aggregate's writes, all or nothing where one transaction holds them; false on a conflict. */
  private async write(orders: readonly ConditionalPut[], aggregate: ConditionalPut): Promise<boolean> {
    if (orders.length + 1 > TRANSACTION_ITEMS) {
      for (const { item, condition } of orders) if (!(await putIf(this.table, item, condition))) return false;
      return putIf(this.table, aggregate.item, aggregate.condition);
    }
    try {
      await this.table.doc.send(
        new TransactWriteCommand({
          TransactItems: [...orders, aggregate].map(({ item, condition }) => ({
            Put: {
              TableName: this.table.name,
              Item: item,
              ConditionExpression: condition.expression,
              ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
            },
          })),
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some(
          ({ Code }) => Code === 'ConditionalCheckFailed' || Code === 'TransactionConflict',
        )
      )
        return false;
      throw error;
    }
  }
}
