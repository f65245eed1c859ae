import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { reconciliationKey } from './keys.ts';
import type { StoreTable } from './table.ts';

/** What one reconciliation run of a shop read and repaired. */
export type ReconciliationReport = {
  shop: string;
  /** The window read: changed after `from` (the watermark less the overlap), up to `to`. */
  from: string;
  to: string;
  orders: number;
  customers: number;
  /** Changes that were not applied before: what webhooks had missed. */
  repaired: number;
  /** Records that could not be read (by id and reason). */
  problems: string[];
  finishedAt: string;
};

export type ReconciliationState = { watermark: string; last: ReconciliationReport | null };

/** One item per shop: the watermark the next run reads from, and the last run's report. */
export class Reconciliations {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async get(shop: string): Promise<ReconciliationState | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: reconciliationKey(shop), ConsistentRead: true }),
    );
    return Item
      ? { watermark: String(Item.watermark), last: (Item.last as ReconciliationReport) ?? null }
      : null;
  }

  async save(shop: string, state: ReconciliationState): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { ...reconciliationKey(shop), kind: ItemKind.Reconciliation, ...state },
      }),
    );
  }
}
