import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemKind } from './item-kinds.ts';
import type { Key } from './keys.ts';
import type { StoreTable } from './table.ts';

/** A shop's one run of a job (backfill, reindex): read consistently, written whole as `run`. */
export class ShopRuns<Run extends { shop: string }> {
  private readonly table: StoreTable;
  private readonly key: (shop: string) => Key;
  private readonly kind: ItemKind;

  constructor(table: StoreTable, key: (shop: string) => Key, kind: ItemKind) {
    this.table = table;
    this.key = key;
    this.kind = kind;
  }

  async get(shop: string): Promise<Run | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(shop), ConsistentRead: true }),
    );
    return Item ? (Item.run as Run) : null;
  }

  async save(run: Run): Promise<void> {
    await this.table.doc.send(
      new PutCommand({ TableName: this.table.name, Item: { ...this.key(run.shop), kind: this.kind, run } }),
    );
  }
}
