import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { OrderContribution, RefundContribution } from '#domain/order.ts';

/** The `kind` attribute every item carries; the stream filter selects `aggregate` items. */
export const ItemKind = {
  Aggregate: 'aggregate',
  Order: 'order',
  Webhook: 'webhook',
  Send: 'send',
  Quarantine: 'quarantine',
  Shop: 'shop',
  Privacy: 'privacy',
  Suppression: 'suppression',
  /** Which customer an order belongs to, and how many refunds were parked for it. */
  OrderRef: 'order-ref',
  /** A refund received before its order's customer was known. */
  Refund: 'refund',
} as const;

/** A compliance request, recorded at once and carried out by the privacy function. */
export type PrivacyRequest =
  | { type: 'customer-redact'; customerId: string; email: string | null }
  | { type: 'data-request'; requestId: string; customerId: string; email: string | null }
  | { type: 'shop-redact' };

export const privacyKey = (shop: string, request: PrivacyRequest) => ({
  pk: `SHOP#${shop}#PRIVACY`,
  sk:
    request.type === 'customer-redact'
      ? `customer-redact#${request.customerId}`
      : request.type === 'data-request'
        ? `data-request#${request.requestId}`
        : 'shop-redact',
});
const suppressionKey = (shop: string, hash: string) => ({
  pk: `SHOP#${shop}#SUPPRESSED#${hash}`,
  sk: 'SUPPRESSED',
});
type Key = { pk: string; sk: string };
const BATCH_WRITE_LIMIT = 25;
/** How long a data-request export is kept for the merchant to fetch (then DynamoDB's TTL removes it). */
const EXPORT_KEPT_SECONDS = 30 * 24 * 3600;

const shopKey = (shop: string) => ({ pk: `SHOP#${shop}`, sk: 'STATUS' });
export type ShopStatus = { uninstalledAt: string | null };

/** DynamoDB items are at most 400 KB; a quarantined body is cut to fit, with its full size noted. */
const QUARANTINE_BODY_LIMIT = 300 * 1024;

export const customerKey = (shop: string, customerId: string) => `SHOP#${shop}#CUSTOMER#${customerId}`;
const AGGREGATE_SK = 'AGGREGATE';
const orderSk = (orderId: string) => `ORDER#${orderId}`;
/** An order's own partition: refunds carry an order id but no customer, so they meet the order here. */
const orderRefPk = (shop: string, orderId: string) => `SHOP#${shop}#ORDER#${orderId}`;
const ORDER_REF_SK = 'REF';
type OrderRef = { customerId: string | null; refundCount: number; refunds: RefundContribution[] };
/** One stage entry's send: at most one email per key. */
export type SendKey = {
  shop: string;
  customerId: string;
  journeyId: string;
  stageId: string;
  entryId: number;
};
const sendItemKey = ({ shop, customerId, journeyId, stageId, entryId }: SendKey) => ({
  pk: customerKey(shop, customerId),
  sk: `SEND#${journeyId}#${stageId}#${entryId}`,
});

/** How long a processed webhook id is remembered for de-duplication (Shopify retries for 4 hours). */
const WEBHOOK_MEMORY_SECONDS = 7 * 24 * 3600;
/**
 * Optimistic-concurrency attempts per webhook. Each conflict round lets one writer of a customer
 * through, so the attempts must outnumber the writers that can meet on one customer: 40 at once
 * (orders racing their refunds) exhausted 8 attempts; the backoff is jittered and capped.
 */
const MAX_ATTEMPTS = 16;
const MAX_BACKOFF_MS = 400;

export type WebhookRef = { shop: string; eventId: string; topic: string };

/** What an apply did. `duplicate`: the webhook id was seen before; `stale`: a newer version is stored. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'unchanged';

/** One change to a customer, computed by the caller from what is stored now; null means "no change". */
export type CustomerChange = {
  aggregate: CustomerAggregate;
  order?: OrderContribution;
} | null;

export type SendClaim = 'claimed' | 'already-sent' | 'in-flight';

const isConditionFailure = (reason: { Code?: string } | undefined) =>
  reason?.Code === 'ConditionalCheckFailed';

/**
 * Per-customer items in one DynamoDB table: the aggregate, one item per order (its contribution,
 * so a later version can replace it exactly), the webhook de-duplication markers and the send ledger.
 */
export class CustomerStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    this.doc = doc;
    this.tableName = tableName;
  }

  async getAggregate(shop: string, customerId: string): Promise<CustomerAggregate | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: customerKey(shop, customerId), sk: AGGREGATE_SK },
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.aggregate as CustomerAggregate) : null;
  }

  async getOrder(shop: string, customerId: string, orderId: string): Promise<OrderContribution | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: customerKey(shop, customerId), sk: orderSk(orderId) },
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.contribution as OrderContribution) : undefined;
  }

  async getShopStatus(shop: string): Promise<ShopStatus> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: shopKey(shop), ConsistentRead: true }),
    );
    return { uninstalledAt: typeof Item?.uninstalledAt === 'string' ? Item.uninstalledAt : null };
  }

  /**
   * Records that the app was uninstalled from a shop (deduplicated like every webhook). An older
   * uninstall arriving late does not overwrite a newer one.
   */
  async markUninstalled(
    webhook: WebhookRef,
    at: string,
    nowSeconds: number,
  ): Promise<'applied' | 'duplicate' | 'stale'> {
    return this.putWithMarker(webhook, nowSeconds, {
      TableName: this.tableName,
      Item: { ...shopKey(webhook.shop), kind: ItemKind.Shop, uninstalledAt: at },
      ConditionExpression:
        'attribute_not_exists(pk) OR attribute_not_exists(uninstalledAt) OR uninstalledAt < :at',
      ExpressionAttributeValues: { ':at': at },
    });
  }

  /** A webhook triggered after the uninstall means the app was installed again: sending resumes. */
  async clearUninstalled(shop: string, triggeredAt: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: shopKey(shop),
          UpdateExpression: 'REMOVE uninstalledAt SET reinstalledAt = :at',
          ConditionExpression: 'uninstalledAt < :at',
          ExpressionAttributeValues: { ':at': triggeredAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Records a compliance request (deduplicated like every webhook); the privacy function carries it out. */
  async requestPrivacy(
    webhook: WebhookRef,
    request: PrivacyRequest,
    at: string,
    nowSeconds: number,
  ): Promise<'applied' | 'duplicate' | 'stale'> {
    return this.putWithMarker(webhook, nowSeconds, {
      TableName: this.tableName,
      Item: {
        ...privacyKey(webhook.shop, request),
        kind: ItemKind.Privacy,
        status: 'pending',
        shop: webhook.shop,
        request,
        receivedAt: at,
      },
    });
  }

  /**
   * Writes one item together with the webhook's de-duplication marker. `duplicate`: the webhook
   * was applied before; `stale`: the item's own condition failed (a newer state is stored). Any
   * other cancellation (a conflicting write) is thrown, so the webhook is retried.
   */
  private async putWithMarker(
    webhook: WebhookRef,
    nowSeconds: number,
    put: NonNullable<
      NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number]['Put']
    >,
  ): Promise<'applied' | 'duplicate' | 'stale'> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: this.markerPut(webhook, null, nowSeconds) }, { Put: put }],
        }),
      );
      return 'applied';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [marker, item] = error.CancellationReasons ?? [];
      if (isConditionFailure(marker)) return 'duplicate';
      if (isConditionFailure(item)) return 'stale';
      throw error;
    }
  }

  /** Every item of one partition (optionally only sort keys with a prefix), all pages. */
  private async queryPartition(
    pk: string,
    options: { skPrefix?: string; projection?: string } = {},
  ): Promise<(Record<string, unknown> & Key)[]> {
    const items: (Record<string, unknown> & Key)[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: options.skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: {
            ':pk': pk,
            ...(options.skPrefix ? { ':prefix': options.skPrefix } : {}),
          },
          ...(options.projection ? { ProjectionExpression: options.projection } : {}),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as (Record<string, unknown> & Key)[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async finishPrivacy(
    key: Key,
    outcome: { status: 'done'; deleted: number; at: string } | { status: 'pending'; cursor: Key },
  ): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        // Once done, the request keeps no address in clear text: only the customer id it concerned.
        UpdateExpression:
          outcome.status === 'done'
            ? 'SET #status = :status, progress = :progress REMOVE #request.email'
            : 'SET #status = :status, progress = :progress',
        ExpressionAttributeNames:
          outcome.status === 'done'
            ? { '#status': 'status', '#request': 'request' }
            : { '#status': 'status' },
        ExpressionAttributeValues: { ':status': outcome.status, ':progress': outcome },
      }),
    );
  }

  async suppress(shop: string, hash: string, at: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...suppressionKey(shop, hash), kind: ItemKind.Suppression, since: at },
      }),
    );
  }

  async isSuppressed(shop: string, hash: string): Promise<boolean> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: suppressionKey(shop, hash), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  /** Deletes keys in batches of 25, retrying what DynamoDB leaves unprocessed. */
  private async deleteKeys(keys: readonly Key[]): Promise<number> {
    for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
      let requests = keys.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 8)
          throw new Error(`DynamoDB left ${requests.length} deletes unprocessed after 8 attempts`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const { UnprocessedItems } = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
    return keys.length;
  }

  /** Every item of one customer (aggregate, orders, send ledger), as stored. */
  async customerItems(shop: string, customerId: string): Promise<(Record<string, unknown> & Key)[]> {
    return this.queryPartition(customerKey(shop, customerId));
  }

  /** Quarantined payloads of a shop whose body contains any of `needles`, with their body decoded. */
  async quarantineMentioning(
    shop: string,
    needles: readonly string[],
  ): Promise<(Record<string, unknown> & Key & { body: string })[]> {
    return (await this.queryPartition(`SHOP#${shop}#QUARANTINE`))
      .map((item) => ({
        ...item,
        body: Buffer.from(String(item.bodyBase64 ?? ''), 'base64').toString('utf8'),
      }))
      .filter((item) => needles.some((needle) => needle && item.body.includes(needle)));
  }

  /** Deletes the given items (by their keys). */
  async deleteItems(items: readonly Key[]): Promise<number> {
    return this.deleteKeys(items.map(({ pk, sk }) => ({ pk, sk })));
  }

  async finishDataRequest(key: Key, exported: string, at: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
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
  async getDataRequest(shop: string, requestId: string): Promise<string | 'pending' | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `SHOP#${shop}#PRIVACY`, sk: `data-request#${requestId}` },
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    return typeof Item.exportJson === 'string' ? Item.exportJson : 'pending';
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
    let deleted = 0;
    let start: Record<string, unknown> | undefined = from;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :prefix) OR pk = :shop',
          ExpressionAttributeValues: { ':prefix': `SHOP#${shop}#`, ':shop': `SHOP#${shop}` },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      const keys = ((page.Items ?? []) as Key[]).filter((k) => !(k.pk === keep.pk && k.sk === keep.sk));
      deleted += await this.deleteKeys(keys);
      start = page.LastEvaluatedKey;
      if (start && Date.now() > deadline) return { deleted, cursor: start as Key };
    } while (start);
    return { deleted, cursor: null };
  }

  /** The order's link to its customer and the refunds parked for it (read strongly consistent). */
  private async getOrderRef(shop: string, orderId: string): Promise<OrderRef> {
    const items = await this.queryPartition(orderRefPk(shop, orderId));
    const ref = items.find((item) => item.sk === ORDER_REF_SK);
    return {
      customerId: typeof ref?.customerId === 'string' ? ref.customerId : null,
      refundCount: typeof ref?.refundCount === 'number' ? ref.refundCount : 0,
      refunds: items
        .filter((item) => item.sk.startsWith('REFUND#'))
        .map((item) => item.refund as RefundContribution),
    };
  }

  /**
   * Keeps a refund with its order (once per refund id) and answers the order's customer when known.
   * When it is not, the order's first webhook takes the parked refund in (see `apply`): the
   * refund count on the order's link makes that race-free.
   */
  async parkRefund(shop: string, orderId: string, refund: RefundContribution): Promise<string | null> {
    const pk = orderRefPk(shop, orderId);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { pk, sk: `REFUND#${refund.refundId}`, kind: ItemKind.Refund, refund },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk, sk: ORDER_REF_SK },
                UpdateExpression: 'SET kind = :kind ADD refundCount :one',
                ExpressionAttributeValues: { ':kind': ItemKind.OrderRef, ':one': 1 },
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Parked before (a redelivery): carry on, the customer may be known by now.
      const parkedBefore =
        error instanceof TransactionCanceledException && isConditionFailure(error.CancellationReasons?.[0]);
      if (!parkedBefore) throw error;
    }
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: ORDER_REF_SK }, ConsistentRead: true }),
    );
    return typeof Item?.customerId === 'string' ? Item.customerId : null;
  }

  /** The order links of a customer's orders (their parked refunds included), for erasure. */
  async orderRefItems(shop: string, orderIds: readonly string[]): Promise<(Record<string, unknown> & Key)[]> {
    const parts = await Promise.all(
      orderIds.map((id) => this.queryPartition(orderRefPk(shop, id), { projection: 'pk, sk' })),
    );
    return parts.flat();
  }

  /** Every order contribution stored for a customer (all pages, strongly consistent). */
  async listOrders(shop: string, customerId: string): Promise<OrderContribution[]> {
    const items = await this.queryPartition(customerKey(shop, customerId), {
      skPrefix: 'ORDER#',
      projection: 'contribution',
    });
    return items.map((item) => item.contribution as OrderContribution);
  }

  /**
   * Applies one webhook's effect on one customer atomically: the webhook marker, the order item
   * (if any) and the aggregate are written in one transaction, guarded by the webhook id (dedupe),
   * the stored order version and the aggregate version (optimistic concurrency). On a concurrent
   * write it re-reads and recomputes, so two webhooks for one customer at once lose nothing.
   */
  async apply(
    webhook: WebhookRef,
    customerId: string,
    orderId: string | null,
    compute: (
      current: CustomerAggregate | null,
      storedOrder: OrderContribution | undefined,
      /** Every stored order of the customer: for the rare change that must rebuild the aggregate. */
      otherOrders: () => Promise<OrderContribution[]>,
      /** Refunds of the order received before its customer was known. */
      parkedRefunds: RefundContribution[],
    ) => CustomerChange | 'stale' | Promise<CustomerChange | 'stale'>,
    nowSeconds: number,
  ): Promise<ApplyOutcome> {
    const pk = customerKey(webhook.shop, customerId);
    const marker = { Put: this.markerPut(webhook, customerId, nowSeconds) };
    for (let attempt = 1; ; attempt++) {
      const [current, storedOrder, ref] = await Promise.all([
        this.getAggregate(webhook.shop, customerId),
        orderId ? this.getOrder(webhook.shop, customerId, orderId) : Promise.resolve(undefined),
        orderId ? this.getOrderRef(webhook.shop, orderId) : Promise.resolve(null),
      ]);
      const change = await compute(
        current,
        storedOrder,
        () => this.listOrders(webhook.shop, customerId),
        ref?.refunds ?? [],
      );
      const writes: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
        marker,
      ];
      if (change !== null && change !== 'stale') {
        if (change.order && ref && ref.customerId !== customerId) {
          // Links the order to its customer, unless a refund was parked since it was read (then retry).
          writes.push({
            Put: {
              TableName: this.tableName,
              Item: {
                pk: orderRefPk(webhook.shop, change.order.orderId),
                sk: ORDER_REF_SK,
                kind: ItemKind.OrderRef,
                customerId,
                refundCount: ref.refundCount,
              },
              ConditionExpression: 'attribute_not_exists(refundCount) OR refundCount = :count',
              ExpressionAttributeValues: { ':count': ref.refundCount },
            },
          });
        }
        if (change.order) {
          writes.push({
            Put: {
              TableName: this.tableName,
              Item: {
                pk,
                sk: orderSk(change.order.orderId),
                kind: ItemKind.Order,
                updatedAt: change.order.updatedAt,
                contribution: change.order,
              },
              ConditionExpression: storedOrder ? 'updatedAt = :storedUpdatedAt' : 'attribute_not_exists(pk)',
              ...(storedOrder
                ? { ExpressionAttributeValues: { ':storedUpdatedAt': storedOrder.updatedAt } }
                : {}),
            },
          });
        }
        writes.push({
          Put: {
            TableName: this.tableName,
            Item: {
              pk,
              sk: AGGREGATE_SK,
              kind: ItemKind.Aggregate,
              version: change.aggregate.version,
              aggregate: change.aggregate,
            },
            ConditionExpression: current ? 'version = :expected' : 'attribute_not_exists(pk)',
            ...(current ? { ExpressionAttributeValues: { ':expected': current.version } } : {}),
          },
        });
      }
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: writes }));
        return change === 'stale' ? 'stale' : change === null ? 'unchanged' : 'applied';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (isConditionFailure(reasons[0])) return 'duplicate';
        const conflict = reasons
          .slice(1)
          .some((r) => isConditionFailure(r) || r.Code === 'TransactionConflict');
        if (!conflict || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt)),
        );
      }
    }
  }

  /** The de-duplication marker of one webhook: written once, in the same transaction as its effect. */
  private markerPut(webhook: WebhookRef, customerId: string | null, nowSeconds: number) {
    return {
      TableName: this.tableName,
      Item: {
        pk: `SHOP#${webhook.shop}#WEBHOOK#${webhook.eventId}`,
        sk: 'WEBHOOK',
        kind: ItemKind.Webhook,
        topic: webhook.topic,
        ...(customerId ? { customerId } : {}),
        expiresAt: nowSeconds + WEBHOOK_MEMORY_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  /** Keeps an authentic webhook that could not be used, with its headers, for inspection and redrive. */
  async quarantine(
    webhook: WebhookRef,
    reason: string,
    headers: Record<string, string>,
    body: Buffer,
    receivedAt: string,
  ): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `SHOP#${webhook.shop}#QUARANTINE`,
          sk: `${receivedAt}#${webhook.eventId}`,
          kind: ItemKind.Quarantine,
          topic: webhook.topic,
          eventId: webhook.eventId,
          reason: reason.slice(0, 4000),
          headers,
          bodyBase64: body.subarray(0, QUARANTINE_BODY_LIMIT).toString('base64'),
          bodyBytes: body.length,
          receivedAt,
        },
      }),
    );
  }

  /**
   * Claims the right to send one stage email. Exactly one caller ever gets `claimed` for a key;
   * a send that failed (marked `failed`) can be claimed again by a retry. `claimant` identifies
   * the invocation (its request id): when DynamoDB applied the claim but its answer was lost, the
   * SDK's retry finds the claim its own and still gets `claimed`.
   */
  async claimSend(send: SendKey, claimant: string, nowIso: string): Promise<SendClaim> {
    const { journeyId, stageId, entryId } = send;
    const key = sendItemKey(send);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            kind: ItemKind.Send,
            status: 'sending',
            journeyId,
            stageId,
            entryId,
            claimedAt: nowIso,
            claimant,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        const old = (error as { Item?: Record<string, { S?: string }> }).Item;
        if (old?.status?.S === 'sending' && old.claimant?.S === claimant) return 'claimed';
        return old?.status?.S === 'sent' ? 'already-sent' : 'in-flight';
      }
      throw error;
    }
  }

  /**
   * Records how the claimant's send ended. `failed` releases the claim for a retry; only the
   * claimant can finish its claim.
   */
  async finishSend(
    send: SendKey,
    claimant: string,
    outcome:
      | { status: 'sent'; messageId: string; at: string }
      | { status: 'failed'; reason: string; at: string },
  ): Promise<void> {
    const detail = outcome.status === 'sent' ? outcome.messageId : outcome.reason;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: sendItemKey(send),
          UpdateExpression: 'SET #status = :status, finishedAt = :at, detail = :detail',
          ConditionExpression: '#status = :sending AND claimant = :claimant',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': outcome.status,
            ':at': outcome.at,
            ':detail': detail,
            ':sending': 'sending',
            ':claimant': claimant,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      // DynamoDB applied this very update but its answer was lost, and the SDK retried: done.
      const old = (error as { Item?: Record<string, { S?: string }> }).Item;
      const appliedBefore =
        error instanceof Error &&
        error.name === 'ConditionalCheckFailedException' &&
        old?.status?.S === outcome.status &&
        old?.claimant?.S === claimant &&
        old?.detail?.S === detail &&
        old?.finishedAt?.S === outcome.at;
      if (!appliedBefore) throw error;
    }
  }
}
