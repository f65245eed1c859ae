import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { withoutPersonalFields } from '#adapters/shopify/personal-fields.ts';
import { ItemKind } from './item-kinds.ts';
import { type Key, quarantineKey, quarantinePk } from './keys.ts';
import { queryPartition, type StoredItem, type StoreTable } from './table.ts';

/** The copy of a quarantined body is cut here: an item stays far below DynamoDB's 400 KB. */
export const QUARANTINE_COPY_LIMIT = 64 * 1024;

/**
 * An authentic webhook that could not be used. What is kept is safe to keep: its Shopify headers
 * without the signature (a copy cannot be posted again as if from Shopify), and a copy of the body
 * without personal fields, cut at QUARANTINE_COPY_LIMIT.
 */
export type QuarantinedWebhook = Key & {
  topic: string;
  eventId: string;
  reason: string;
  /** `X-Shopify-*` headers as received, the HMAC excepted. */
  headers: Record<string, string>;
  /** The body without personal fields (JSON), null when the body was not JSON. */
  copy: string | null;
  /** Whether `copy` is whole (not cut), so it can be applied once the cause is fixed. */
  complete: boolean;
  /** Size and SHA-256 of the body as received. */
  bodyBytes: number;
  bodySha256: string;
  /** `X-Shopify-Triggered-At` (the receipt time when it was missing). */
  triggeredAt: string;
  receivedAt: string;
};

export type QuarantineInput = Omit<QuarantinedWebhook, 'pk' | 'sk' | 'complete'> & { shop: string };

/**
 * Items quarantined before copies were stripped hold the raw body (`bodyBase64`) and every header:
 * read, they give the stripped copy and no signature, like any other.
 */
const copyOf = (item: StoredItem): { copy: string | null; complete: boolean } => {
  if (typeof item.bodyBase64 !== 'string') {
    const copy = typeof item.copy === 'string' ? item.copy : null;
    return { copy, complete: item.complete === true };
  }
  const raw = Buffer.from(item.bodyBase64, 'base64');
  return { copy: withoutPersonalFields(raw), complete: raw.length === Number(item.bodyBytes ?? -1) };
};

const fromItem = (item: StoredItem): QuarantinedWebhook => ({
  pk: item.pk,
  sk: item.sk,
  topic: String(item.topic ?? ''),
  eventId: String(item.eventId ?? ''),
  reason: String(item.reason ?? ''),
  headers: Object.fromEntries(
    Object.entries((item.headers ?? {}) as Record<string, string>).filter(
      ([name]) => name.startsWith('x-shopify-') && name !== 'x-shopify-hmac-sha256',
    ),
  ),
  ...copyOf(item),
  bodyBytes: Number(item.bodyBytes ?? 0),
  bodySha256: String(item.bodySha256 ?? ''),
  triggeredAt: String(item.triggeredAt ?? item.receivedAt ?? ''),
  receivedAt: String(item.receivedAt ?? ''),
});

/** Authentic webhooks that could not be used, kept for inspection and redrive. */
export class Quarantine {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async put({ shop, copy, ...input }: QuarantineInput): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...quarantineKey(shop, input.receivedAt, input.eventId),
          kind: ItemKind.Quarantine,
          ...input,
          reason: input.reason.slice(0, 2000),
          copy: copy?.slice(0, QUARANTINE_COPY_LIMIT) ?? null,
          complete: copy !== null && copy.length <= QUARANTINE_COPY_LIMIT,
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
   * whole table, for an operator's listing or redrive and for redaction, never for a webhook.
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

  /**
   * Quarantined webhooks whose copy contains any of `needles`: of one shop, or of every shop (a
   * body can be quarantined under another shop's or the unknown shop's name).
   */
  async mentioning(shop: string | 'every shop', needles: readonly string[]): Promise<QuarantinedWebhook[]> {
    const items = shop === 'every shop' ? await this.listEveryShop() : await this.list(shop);
    return items.filter((q) => needles.some((needle) => needle && q.copy?.includes(needle)));
  }

  async remove(key: Key): Promise<void> {
    await this.table.doc.send(
      new DeleteCommand({ TableName: this.table.name, Key: { pk: key.pk, sk: key.sk } }),
    );
  }
}
