import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ShopIntervals } from '#domain/timing.ts';
import { ItemKind } from './item-kinds.ts';
import { intervalsKey } from './keys.ts';
import type { StoreTable } from './table.ts';

/**
 * A shop's repurchase intervals (the day each percentile of returning customers had placed their
 * next order, per order number): written by the analytics refresh, read by the action function
 * for percentile delays. One small item per shop.
 */
export class ShopIntervalsStore {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async get(shop: string): Promise<ShopIntervals | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: intervalsKey(shop) }),
    );
    return Item
      ? { computedAt: String(Item.computedAt), byOrder: Item.byOrder as ShopIntervals['byOrder'] }
      : null;
  }

  async put(shop: string, intervals: ShopIntervals): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { ...intervalsKey(shop), kind: ItemKind.Timing, shop, ...intervals },
      }),
    );
  }
}
