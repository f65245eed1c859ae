import { describe, expect, it } from 'vitest';
import { CapacityMeter, itemBytes } from '../../local/dynamodb-proxy.ts';

describe('the benchmark capacity meter', () => {
  it('sizes items by DynamoDB rules', () => {
    expect(itemBytes({ pk: { S: 'abc' } })).toBe(5);
    expect(itemBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + 1 + 2);
  });

  it('charges transactions and empty queries as AWS does where DynamoDB Local reports less', () => {
    const meter = new CapacityMeter();
    const big = { pk: { S: 'p' }, v: { S: 'x'.repeat(1500) } };
    // Local reports 2 units for this three-item transaction; AWS charges 2 × (1 + 2 + 1) = 8.
    meter.record('TransactWriteItems', [{ TableName: 't', CapacityUnits: 2 }], {
      TransactItems: [{ Put: { Item: { pk: { S: 'a' } } } }, { Put: { Item: big } }, { Update: {} }],
    });
    meter.record('Query', { TableName: 't', CapacityUnits: 0 }, { ConsistentRead: true });
    meter.record('GetItem', { TableName: 't', CapacityUnits: 1 }, {});
    expect(meter.totals()).toEqual({ requests: 3, read: 2, write: 8 });
  });
});
