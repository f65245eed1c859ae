import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { suppressionKey } from './keys.ts';
import type { StoreTable } from './table.ts';

/**
 * What remains of an address once suppressed: a SHA-256 of the shop and the normalised address,
 * never the address itself, so an opt-out outlives the customer's redaction.
 */
export const addressHash = (shop: string, email: string): string =>
  createHash('sha256').update(`${shop}\n${email.trim().toLowerCase()}`).digest('hex');

/** Addresses a shop must not email again: bounced, complained, or opted out before a redaction. */
export class SuppressionList {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async suppress(shop: string, email: string, at: string): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { ...suppressionKey(shop, addressHash(shop, email)), kind: ItemKind.Suppression, since: at },
      }),
    );
  }

  async isSuppressed(shop: string, email: string): Promise<boolean> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: suppressionKey(shop, addressHash(shop, email)),
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }
}
