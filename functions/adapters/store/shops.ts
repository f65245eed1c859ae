import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { shopStatusKey } from './keys.ts';
import { isConditionFailure, putIf, type StoreTable } from './table.ts';

export type ShopStatus = { uninstalledAt: string | null };

/** Per-shop state: whether the app is uninstalled (no email is sent for such a shop). */
export class ShopRegistry {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async status(shop: string): Promise<ShopStatus> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: shopStatusKey(shop), ConsistentRead: true }),
    );
    return { uninstalledAt: typeof Item?.uninstalledAt === 'string' ? Item.uninstalledAt : null };
  }

  /**
   * Records that the app was uninstalled at `at`. A redelivery, or an older uninstall arriving
   * late, changes nothing (`stale`).
   */
  async markUninstalled(shop: string, at: string): Promise<'applied' | 'stale'> {
    const written = await putIf(
      this.table,
      { ...shopStatusKey(shop), kind: ItemKind.Shop, uninstalledAt: at },
      {
        expression: 'attribute_not_exists(pk) OR attribute_not_exists(uninstalledAt) OR uninstalledAt < :at',
        values: { ':at': at },
      },
    );
    return written ? 'applied' : 'stale';
  }

  /** A webhook triggered after the uninstall means the app was installed again: sending resumes. */
  async clearUninstalled(shop: string, triggeredAt: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: shopStatusKey(shop),
          UpdateExpression: 'REMOVE uninstalledAt SET reinstalledAt = :at',
          ConditionExpression: 'uninstalledAt < :at',
          ExpressionAttributeValues: { ':at': triggeredAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
