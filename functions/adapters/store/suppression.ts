import { createHash, createHmac } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { feedAttributes, suppressionKey } from './keys.ts';
import type { StoreTable } from './table.ts';

const hashInput = (shop: string, email: string) => `${shop}\n${email.trim().toLowerCase()}`;

/**
 * What remains of an address once suppressed: an HMAC-SHA256 of the shop and the normalised
 * address keyed with a secret pepper, never the address itself, so an opt-out outlives the
 * customer's redaction and a known address cannot be checked against the table without the pepper.
 */
export const addressHash = (shop: string, email: string, pepper: string): string =>
  createHmac('sha256', pepper).update(hashInput(shop, email)).digest('hex');

/** The unkeyed SHA-256 that suppressions were written under before the pepper; read, never written. */
export const legacyAddressHash = (shop: string, email: string): string =>
  createHash('sha256').update(hashInput(shop, email)).digest('hex');

/** Addresses a shop must not email again: bounced, complained, or opted out before a redaction. */
export class SuppressionList {
  private readonly table: StoreTable;
  private readonly pepper: () => Promise<string>;

  /** `pepper` reads the secret pepper (a cached Secrets Manager read) when an address is hashed. */
  constructor(table: StoreTable, pepper: () => Promise<string>) {
    this.table = table;
    this.pepper = pepper;
  }

  async suppress(shop: string, email: string, at: string): Promise<void> {
    const hash = addressHash(shop, email, await this.pepper());
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...suppressionKey(shop, hash),
          kind: ItemKind.Suppression,
          since: at,
          // In the analytics feed: suppressions by day, never the address.
          ...feedAttributes(shop, hash, at),
        },
      }),
    );
  }

  /**
   * Whether either key holds a suppression: the peppered one, and the legacy unkeyed SHA-256 that
   * a table deployed before the pepper holds its opt-outs under (those must keep holding). Two
   * GetItems in parallel: one round trip, and no BatchGetItem with unprocessed keys to retry.
   */
  async isSuppressed(shop: string, email: string): Promise<boolean> {
    const hashes = [addressHash(shop, email, await this.pepper()), legacyAddressHash(shop, email)];
    const found = await Promise.all(
      hashes.map(async (hash) => {
        const { Item } = await this.table.doc.send(
          new GetCommand({
            TableName: this.table.name,
            Key: suppressionKey(shop, hash),
            ConsistentRead: true,
          }),
        );
        return Item !== undefined;
      }),
    );
    return found.includes(true);
  }
}
