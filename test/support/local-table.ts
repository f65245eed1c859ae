import { afterAll, beforeAll } from 'vitest';
import type { StoreTable } from '#adapters/store/table.ts';
import { createCustomerTable } from '../../local/customer-table.ts';
import { DynamoDbLocal } from '../../local/dynamodb.ts';

/** The pepper the test stores use for customer pseudonyms. */
export const TEST_PEPPER = 'test-pepper';

/**
 * DynamoDB Local for a test file (started before its tests, stopped after), and a fresh table per
 * call, shaped as the CustomerTable construct declares it.
 */
export const useDynamoDbLocal = () => {
  let db: DynamoDbLocal | undefined;
  let count = 0;
  beforeAll(async () => {
    db = await DynamoDbLocal.start();
  });
  afterAll(() => db?.stop());
  return {
    get db(): DynamoDbLocal {
      if (!db) throw new Error('DynamoDB Local has not started');
      return db;
    },
    freshTable(): Promise<StoreTable> {
      return createCustomerTable(this.db, `customers-${++count}`);
    },
  };
};
