import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { type Key, quarantineKey, quarantinePk } from './keys.ts';
import { queryPartition, type StoredItem, type StoreTable } from './table.ts';

/** DynamoDB items are at most 400 KB; a quarantined body is cut to fit, with its full size noted. */
const QUARANTINE_BODY_LIMIT = 300 * 1024;

export type QuarantinedWebhook = Key & {
  topic: string;
  eventId: string;
  reason: string;
  headers: Record<string, string>;
  /** The body as received (cut at 300 KB; `bodyBytes` is its full size). */
  body: Buffer;
  bodyBytes: number;
  receivedAt: string;
};

const fromItem = (item: StoredItem): QuarantinedWebhook => ({
  pk: item.pk,
  sk: item.sk,
  topic: String(item.topic ?? ''),
  eventId: String(item.eventId ?? ''),
  reason: String(item.reason ?? ''),
  headers: (item.headers ?? {}) as Record<string, string>,
  body: Buffer.from(String(item.bodyBase64 ?? ''), 'base64'),
  bodyBytes: Number(item.bodyBytes ?? 0),
  receivedAt: String(item.receivedAt ?? ''),
});

/** Authentic webhooks that could not be used, kept with their headers for inspection and redrive. */
export class Quarantine {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async put(input: {
    shop: string;
    topic: string;
    eventId: string;
    reason: string;
    headers: Record<string, string>;
    body: Buffer;
    receivedAt: string;
  }): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...quarantineKey(input.shop, input.receivedAt, input.eventId),
          kind: ItemKind.Quarantine,
          topic: input.topic,
          eventId: input.eventId,
          reason: input.reason.slice(0, 4000),
          headers: input.headers,
          bodyBase64: input.body.subarray(0, QUARANTINE_BODY_LIMIT).toString('base64'),
          bodyBytes: input.body.length,
          receivedAt: input.receivedAt,
        },
      }),
    );
  }

  /** A shop's quarantined webhooks, oldest first. */
  async list(shop: string): Promise<QuarantinedWebhook[]> {
    return (await queryPartition(this.table, quarantinePk(shop))).map(fromItem);
  }

  /**
   * Every shop's quarantined webhooks, those kept under `UNKNOWN_SHOP` included: a scan of the
   * whole table, for an operator's listing or redrive, never for a request path.
   */
  async listEveryShop(): Promise<QuarantinedWebhook[]> {
    const items: StoredItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.table.doc.send(
        new ScanCommand({
          TableName: this.table.name,
          FilterExpression: 'kind = :kind',
          ExpressionAttributeValues: { ':kind': ItemKind.Quarantine },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as StoredItem[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.map(fromItem);
  }

  /** Quarantined webhooks of a shop whose body contains any of `needles`. */
  async mentioning(shop: string, needles: readonly string[]): Promise<QuarantinedWebhook[]> {
    return (await this.list(shop)).filter((q) => {
      const body = q.body.toString('utf8');
      return needles.some((needle) => needle && body.includes(needle));
    });
  }

  async remove(key: Key): Promise<void> {
    await this.table.doc.send(
      new DeleteCommand({ TableName: this.table.name, Key: { pk: key.pk, sk: key.sk } }),
    );
  }
}
