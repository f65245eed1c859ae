import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { ItemKind } from '#adapters/store/item-kinds.ts';
import { aggregateKey, type Key, orderKey, orderLinkKey } from '#adapters/store/keys.ts';
import { getItems, keyString, type StoreTable } from '#adapters/store/table.ts';
import { customerIdOf, type GeneratedHistory } from './generated-history.ts';

/** What a backfill left in the table: items of each kind, and the orders its aggregates count. */
export type Census = { aggregates: number; orders: number; orderLinks: number; ordersCounted: number };

/** Counts what one page of items holds into `census`. */
const count = (census: Census, items: readonly Record<string, unknown>[]) => {
  for (const item of items) {
    if (item.kind === ItemKind.Aggregate) {
      census.aggregates++;
      census.ordersCounted += decodeState(item)?.aggregate.ordersCount ?? 0;
    } else if (item.kind === ItemKind.Order) census.orders++;
    else if (item.kind === ItemKind.OrderLink) census.orderLinks++;
  }
};

/** Scans a small table whole and counts (a scan of millions of items is slow on DynamoDB Local: see `historyCensus`). */
export const tableCensus = async (table: StoreTable): Promise<Census> => {
  const census: Census = { aggregates: 0, orders: 0, orderLinks: 0, ordersCounted: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(
      new ScanCommand({
        TableName: table.name,
        ProjectionExpression: 'kind, #state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExclusiveStartKey: start,
      }),
    );
    count(census, page.Items ?? []);
    start = page.LastEvaluatedKey;
  } while (start);
  return census;
};

/** Keys read at once: a few MB of items in memory. */
const CHUNK = 5_000;

/**
 * Counts, by reading every key the history should have written (BatchGetItem: DynamoDB Local
 * scans a table of millions of items far slower), each customer's aggregate, each order's item and
 * its link; a link must name the order's customer. What is missing is not counted.
 */
export const historyCensus = async (table: StoreTable, shop: string, history: GeneratedHistory) => {
  const census: Census = { aggregates: 0, orders: 0, orderLinks: 0, ordersCounted: 0 };
  let wrongLinks = 0;
  const read = async (keys: Key[], expectLink: Map<string, string>) => {
    const items = [...(await getItems(table, keys)).values()];
    count(census, items);
    for (const item of items)
      if (item.kind === ItemKind.OrderLink && item.customerId !== expectLink.get(keyString(item)))
        wrongLinks++;
  };
  let keys: Key[] = [];
  let links = new Map<string, string>();
  const flush = async () => {
    await read(keys, links);
    keys = [];
    links = new Map();
  };
  for (let index = 0; index < history.customers; index++) {
    keys.push(aggregateKey(shop, customerIdOf(index)));
    if (keys.length >= CHUNK) await flush();
  }
  for (const { orderId, customer } of history.generatedOrders()) {
    const link = orderLinkKey(shop, orderId);
    keys.push(orderKey(shop, customerIdOf(customer), orderId), link);
    links.set(keyString(link), customerIdOf(customer));
    if (keys.length >= CHUNK) await flush();
  }
  await flush();
  return { ...census, wrongLinks };
};
