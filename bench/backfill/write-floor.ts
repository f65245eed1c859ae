import { BatchWriteCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreTable } from '#adapters/store/table.ts';

/** An item the size and shape of an order item (about 1 KB, a nested contribution map). */
const orderLikeItem = (n: number) => ({
  pk: `SHOP#floor.myshopify.com#CUSTOMER#${n % 200_000}`,
  sk: `ORDER#${n}`,
  kind: 'order',
  updatedAt: '2025-06-01T00:00:00.000Z',
  appliedVersion: 1,
  contribution: {
    orderId: String(n),
    counts: true,
    spent: { amount: 1_380, currency: 'JPY' },
    products: { '8001000000001': 1, '8001000000007': 2 },
    selectors: { 'product:8001000000001': 1 },
    tags: [],
    discountCodes: [],
    channel: 'web',
    gross: { spent: { amount: 1_380, currency: 'JPY' }, products: { '8001000000001': 1 }, selectors: {} },
    refunds: [],
    note: 'x'.repeat(600),
  },
});

/** Runs `one` from `concurrency` loops for `seconds`; items written per second. */
const sustained = async (seconds: number, concurrency: number, one: () => Promise<number>) => {
  let written = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const items = await one();
        written += items;
      }
    }),
  );
  return written / ((performance.now() - started) / 1000);
};

/**
 * DynamoDB Local's own write rate on this machine, the floor any writer of the table is held to:
 * a bare BatchWriteItem loop (25 order-sized items a request, 4 at once: its best on 2 cores), a
 * bare loop of single conditional PutItems (32 at once: what `apply` writes with), and one of
 * TransactWriteItems of 99 conditional puts (4 at once: what a backfill writes with), each after
 * `warmSeconds` of the same (the JVM's JIT makes a cold DynamoDB Local several times slower).
 */
export const dynamoDbLocalWriteRates = async (
  table: StoreTable,
  { seconds, warmSeconds }: { seconds: number; warmSeconds: number },
) => {
  let n = 0;
  const batch = async () => {
    const items = Array.from({ length: 25 }, () => orderLikeItem(n++));
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await table.doc.send(
        new BatchWriteCommand({ RequestItems: { [table.name]: requests } }),
      );
      requests = (UnprocessedItems?.[table.name] ?? []) as typeof requests;
    }
    return items.length;
  };
  const put = async () => {
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: orderLikeItem(n++),
        ConditionExpression: 'attribute_not_exists(pk) OR appliedVersion < :v',
        ExpressionAttributeValues: { ':v': 1 },
      }),
    );
    return 1;
  };
  const transaction = async () => {
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: Array.from({ length: 99 }, () => ({
          Put: {
            TableName: table.name,
            Item: orderLikeItem(n++),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
      }),
    );
    return 99;
  };
  await sustained(warmSeconds, 4, batch);
  const batchWriteItemsPerSecond = await sustained(seconds, 4, batch);
  await sustained(warmSeconds, 32, put);
  const conditionalPutsPerSecond = await sustained(seconds, 32, put);
  await sustained(warmSeconds, 4, transaction);
  const transactionItemsPerSecond = await sustained(seconds, 4, transaction);
  return { batchWriteItemsPerSecond, conditionalPutsPerSecond, transactionItemsPerSecond };
};
