import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DUE_INDEX, DUE_PK, DUE_SK, FEED_INDEX, FEED_PK, FEED_SK } from '#adapters/store/keys.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import type { DynamoDbLocal } from './dynamodb.ts';
import type { TableSpec } from './template.ts';

/**
 * The customer table as the CustomerTable construct declares it (pk/sk strings, a stream of new
 * and old images, TTL on `expiresAt`, the analytics feed and due indexes), for code that needs one on DynamoDB Local without
 * synthesizing the app: tests and benchmarks.
 */
export const customerTableSpec = (name: string): TableSpec => ({
  logicalId: name,
  name,
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: FEED_PK, AttributeType: 'S' },
    { AttributeName: FEED_SK, AttributeType: 'S' },
    { AttributeName: DUE_PK, AttributeType: 'S' },
    { AttributeName: DUE_SK, AttributeType: 'S' },
  ],
  streamViewType: 'NEW_AND_OLD_IMAGES',
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    {
      IndexName: FEED_INDEX,
      KeySchema: [
        { AttributeName: FEED_PK, KeyType: 'HASH' },
        { AttributeName: FEED_SK, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: DUE_INDEX,
      KeySchema: [
        { AttributeName: DUE_PK, KeyType: 'HASH' },
        { AttributeName: DUE_SK, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
});

/**
 * Creates a customer table named `name` on `db` and answers it as the store modules take it.
 * `stream: false` leaves the stream off, for a table whose writes nobody consumes: DynamoDB Local
 * looks up the stream's shard on every write with a query that reads past every stream record of
 * the shards opened before (of any table), so a stream table opened after 144,000 writes to
 * another took 27 items/s where the first took 7,500 (AWS's writers do not pay for a stream).
 */
export const createCustomerTable = async (
  db: DynamoDbLocal,
  name: string,
  { stream = true }: { stream?: boolean } = {},
): Promise<StoreTable> => {
  const spec = customerTableSpec(name);
  await db.createTable(stream ? spec : { ...spec, streamViewType: null });
  return {
    doc: DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } }),
    name,
  };
};
