import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PrivacyRequest } from '#domain/change.ts';
import { ItemKind, PENDING } from './item-kinds.ts';
import { customerPk, type Key, orderPk, privacyKey, privacyPk, SEND_SK_PREFIX, shopScope } from './keys.ts';
import { customerPseudonym } from './pseudonym.ts';
import {
  deleteKeys,
  getItems,
  keyString,
  putIf,
  queryPartition,
  type StoredItem,
  type StoreTable,
} from './table.ts';

/** How long a data-request export is kept for the merchant to fetch (then DynamoDB's TTL removes it). */
const EXPORT_KEPT_SECONDS = 30 * 24 * 3600;

/**
 * Compliance requests, and the reads and deletes that carry them out. A customer's redaction is
 * kept, by the customer's pseudonym, after it is done: it is what stops a later event (an old
 * webhook redelivered, an unsubscribe link) from bringing the erased customer back.
 */
export class PrivacyRequests {
  private readonly table: StoreTable;
  private readonly pepper: () => Promise<string>;

  /** `pepper`: the secret of customer pseudonyms; needed to record or look up redactions. */
  constructor(table: StoreTable, pepper?: () => Promise<string>) {
    this.table = table;
    this.pepper =
      pepper ?? (() => Promise.reject(new Error('PrivacyRequests: no pepper given for customer pseudonyms')));
  }

  /** The key of a request: a customer's redaction under their pseudonym, never their id. */
  async keyOf(shop: string, request: PrivacyRequest): Promise<Key> {
    return request.type === 'customer-redact'
      ? privacyKey(shop, {
          type: 'customer-redact',
          pseudonym: customerPseudonym(await this.pepper(), shop, request.customerId),
        })
      : privacyKey(shop, request);
  }

  /** Whether the customer's redaction was requested (pending or done). */
  async isRedacted(shop: string, customerId: string): Promise<boolean> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: await this.keyOf(shop, { type: 'customer-redact', customerId, email: null }),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return Item !== undefined;
  }

  /** Which of some customers were redacted (`isRedacted` for many, by BatchGetItem). */
  async redactedAmong(shop: string, customerIds: readonly string[]): Promise<Set<string>> {
    const keys = await Promise.all(
      customerIds.map(async (customerId) => ({
        customerId,
        key: await this.keyOf(shop, { type: 'customer-redact', customerId, email: null }),
      })),
    );
    const found = await getItems(
      this.table,
      keys.map(({ key }) => key),
    );
    return new Set(keys.filter(({ key }) => found.has(keyString(key))).map(({ customerId }) => customerId));
  }

  /** The customer's data requests (their exports included), for erasure. */
  async dataRequestItems(shop: string, customerId: string): Promise<StoredItem[]> {
    const items = await queryPartition(this.table, privacyPk(shop), { skPrefix: 'data-request#' });
    return items.filter(
      (item) => (item.request as { customerId?: unknown } | undefined)?.customerId === customerId,
    );
  }

  /**
   * Records a request as pending; the privacy function, fed by the stream, carries it out. A
   * redelivery (same trigger time) changes nothing; a later request for the same subject runs again.
   */
  async record(shop: string, request: PrivacyRequest, at: string): Promise<'applied' | 'duplicate'> {
    const item = {
      ...(await this.keyOf(shop, request)),
      kind: ItemKind.Privacy,
      status: PENDING,
      shop,
      request,
      receivedAt: at,
    };
    const written = await putIf(this.table, item, {
      expression: 'attribute_not_exists(pk) OR receivedAt < :at',
      values: { ':at': at },
    });
    return written ? 'applied' : 'duplicate';
  }

  async finish(
    key: Key,
    outcome: { status: 'done'; deleted: number; at: string } | { status: 'pending'; cursor: Key },
  ): Promise<void> {
    const done = outcome.status === 'done';
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key,
        // Once done, the request keeps neither the address nor the id of the customer it concerned.
        UpdateExpression: done
          ? 'SET #status = :status, progress = :progress REMOVE #request.email, #request.customerId'
          : 'SET #status = :status, progress = :progress',
        ExpressionAttributeNames: done
          ? { '#status': 'status', '#request': 'request' }
          : { '#status': 'status' },
        ExpressionAttributeValues: { ':status': outcome.status, ':progress': outcome },
      }),
    );
  }

  async finishDataRequest(key: Key, exported: string, at: string): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: key,
        // The export is personal data: it expires (TTL) once the merchant has had time to hand it over.
        UpdateExpression:
          'SET #status = :done, exportJson = :export, progress = :progress, expiresAt = :expires',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':done': 'done',
          ':export': exported,
          ':progress': { status: 'done', at },
          ':expires': Math.floor(Date.parse(at) / 1000) + EXPORT_KEPT_SECONDS,
        },
      }),
    );
  }

  /** A data request's export: null when unknown, 'pending' until it is ready. */
  async dataRequestExport(shop: string, requestId: string): Promise<string | 'pending' | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: privacyKey(shop, { type: 'data-request', requestId }),
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    return typeof Item.exportJson === 'string' ? Item.exportJson : 'pending';
  }

  /** Every item of one customer (aggregate, orders, send ledger), as stored. */
  async customerItems(shop: string, customerId: string): Promise<StoredItem[]> {
    return queryPartition(this.table, customerPk(shop, customerId));
  }

  /** A customer's send ledger entries. */
  async sendLedgerItems(shop: string, customerId: string): Promise<StoredItem[]> {
    return queryPartition(this.table, customerPk(shop, customerId), { skPrefix: SEND_SK_PREFIX });
  }

  /** The links and parked refunds of these orders, for erasure. */
  async orderLinkItems(shop: string, orderIds: readonly string[]): Promise<StoredItem[]> {
    const parts = await Promise.all(
      orderIds.map((id) => queryPartition(this.table, orderPk(shop, id), { projection: 'pk, sk' })),
    );
    return parts.flat();
  }

  async deleteItems(items: readonly Key[]): Promise<number> {
    return deleteKeys(this.table, items);
  }

  /**
   * Deletes every item of a shop except `keep` (the request being carried out), scanning until
   * `deadline` (epoch ms); returns where to continue, or null when done.
   */
  async deleteShopItems(
    shop: string,
    keep: Key,
    deadline: number,
    from?: Key,
  ): Promise<{ deleted: number; cursor: Key | null }> {
    const scope = shopScope(shop);
    let deleted = 0;
    let start: Record<string, unknown> | undefined = from;
    do {
      const page = await this.table.doc.send(
        new ScanCommand({
          TableName: this.table.name,
          FilterExpression: 'begins_with(pk, :prefix) OR pk = :shop',
          ExpressionAttributeValues: { ':prefix': scope.prefix, ':shop': scope.pk },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      const keys = ((page.Items ?? []) as Key[]).filter((k) => !(k.pk === keep.pk && k.sk === keep.sk));
      deleted += await deleteKeys(this.table, keys);
      start = page.LastEvaluatedKey;
      if (start && Date.now() > deadline) return { deleted, cursor: start as Key };
    } while (start);
    return { deleted, cursor: null };
  }
}
