import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DUE_INDEX, DUE_PK, DUE_SHARDS, DUE_SK, type DueKind, duePk, type Key } from './keys.ts';
import type { StoreTable } from './table.ts';

/** An item due at a time: its table keys and when it is due. */
export type DueItem = { key: Key; dueAt: string };
/** What a read of the index cost: pages and the read units DynamoDB reported. */
export type DueTally = { pages: number; readUnits: number };

/**
 * Items of one kind due by `now`, earliest first within each of the index's partitions, at most
 * `limit` in all: what one run of the dispatcher or the sweep takes (the rest waits for the next).
 * Reads the keys-only due index, so it reads about as many items as are due, never a scan.
 */
export const readDue = async (
  table: StoreTable,
  kind: DueKind,
  now: string,
  limit: number,
  tally?: DueTally,
): Promise<DueItem[]> => {
  const found: DueItem[] = [];
  for (let shard = 0; shard < DUE_SHARDS && found.length < limit; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await table.doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: DUE_INDEX,
          KeyConditionExpression: `${DUE_PK} = :pk AND ${DUE_SK} <= :now`,
          ExpressionAttributeValues: { ':pk': duePk(kind, shard), ':now': now },
          Limit: Math.min(limit - found.length, 1_000),
          ...(start ? { ExclusiveStartKey: start } : {}),
          ...(tally ? { ReturnConsumedCapacity: 'TOTAL' as const } : {}),
        }),
      );
      if (tally) {
        tally.pages++;
        tally.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      }
      for (const item of page.Items ?? [])
        found.push({ key: { pk: String(item.pk), sk: String(item.sk) }, dueAt: String(item[DUE_SK]) });
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
  }
  return found;
};
