import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { inParallel } from '#commons/in-parallel.ts';
import type { Key } from './keys.ts';

/** The table every store module works on: the document client and the table's name. */
export type StoreTable = { readonly doc: DynamoDBDocumentClient; readonly name: string };

export type StoredItem = Record<string, unknown> & Key;

const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;
/** BatchGetItem requests in flight at once for one `getItems`. */
const BATCH_GET_CONCURRENCY = 8;

/** A conditional write that DynamoDB refused because its condition did not hold. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** The item a failed conditional write found, when it asked for `ReturnValuesOnConditionCheckFailure`. */
export const itemOnConditionFailure = (error: unknown): Record<string, { S?: string; N?: string }> =>
  (error as { Item?: Record<string, { S?: string; N?: string }> }).Item ?? {};

/** A conditional put: true when written, false when its condition did not hold (anything else throws). */
export const putIf = async (
  table: StoreTable,
  item: Record<string, unknown>,
  condition: { expression: string; values?: Record<string, unknown> },
): Promise<boolean> => {
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: item,
        ConditionExpression: condition.expression,
        ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

/** Every item of one partition (optionally only sort keys with a prefix), all pages, strongly consistent. */
export const queryPartition = async (
  table: StoreTable,
  pk: string,
  options: { skPrefix?: string; projection?: string } = {},
): Promise<StoredItem[]> => {
  const items: StoredItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(
      new QueryCommand({
        TableName: table.name,
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
    items.push(...((page.Items ?? []) as StoredItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** Deletes keys in batches of 25, retrying what DynamoDB leaves unprocessed; returns how many. */
export const deleteKeys = async (table: StoreTable, keys: readonly Key[]): Promise<number> => {
  for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
    let requests = keys
      .slice(i, i + BATCH_WRITE_LIMIT)
      .map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= 8)
        throw new Error(`DynamoDB left ${requests.length} deletes unprocessed after 8 attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const { UnprocessedItems } = await table.doc.send(
        new BatchWriteCommand({ RequestItems: { [table.name]: requests } }),
      );
      requests = (UnprocessedItems?.[table.name] ?? []) as typeof requests;
    }
  }
  return keys.length;
};

/** A key as one string, to find an item `getItems` answered. */
export const keyString = ({ pk, sk }: Key): string => `${pk}\n${sk}`;

/**
 * The items at `keys` (strongly consistent, as the single reads are), by `keyString`; a key with no
 * item is absent from the map. BatchGetItem by hundreds, a few at once, retrying what DynamoDB
 * leaves unprocessed.
 */
export const getItems = async (table: StoreTable, keys: readonly Key[]): Promise<Map<string, StoredItem>> => {
  const unique = [...new Map(keys.map((key) => [keyString(key), { pk: key.pk, sk: key.sk }])).values()];
  const found = new Map<string, StoredItem>();
  const chunks = Array.from({ length: Math.ceil(unique.length / BATCH_GET_LIMIT) }, (_, i) =>
    unique.slice(i * BATCH_GET_LIMIT, (i + 1) * BATCH_GET_LIMIT),
  );
  await inParallel(chunks, BATCH_GET_CONCURRENCY, async (chunk) => {
    let wanted: Record<string, unknown>[] = chunk;
    for (let attempt = 0; wanted.length > 0; attempt++) {
      if (attempt >= 8) throw new Error(`DynamoDB left ${wanted.length} reads unprocessed after 8 attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await table.doc.send(
        new BatchGetCommand({ RequestItems: { [table.name]: { Keys: wanted, ConsistentRead: true } } }),
      );
      for (const item of (Responses?.[table.name] ?? []) as StoredItem[]) found.set(keyString(item), item);
      wanted = UnprocessedKeys?.[table.name]?.Keys ?? [];
    }
  });
  return found;
};
