import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { customerPkPrefix, ORDER_SK_PREFIX } from '#adapters/store/keys.ts';
import {
  catalog,
  catalogLine,
  consentPayload,
  type Delivery,
  type LineItemInput,
  orderPayload,
  seededRandom,
} from '../local/shopify-webhooks.ts';
import type { LocalStack } from '../local/stack.ts';
import type { RouteName } from './benchmark.ts';
import { floorPkPrefix } from './floor/floor-keys.ts';

export const DAY = 86_400_000;

/** Where the floor function is served (`extraRoutes`); `deliver` appends `/webhooks/shopify`. */
export const FLOOR_PREFIX = '/bench/floor';
export const FLOOR_PATH = `${FLOOR_PREFIX}/webhooks/shopify`;

/** One seeded story per `npm run bench`, so every run sends the same realistic webhooks. */
export const random = seededRandom(2026);
// Order ids never repeat within one process, so no benchmark's order is another's duplicate.
let nextOrderId = 50_000_000;
export const newOrderId = () => nextOrderId++;

const linesFor = (): LineItemInput[] =>
  Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
    const product = catalog.products[Math.floor(random() * catalog.products.length)] ?? catalog.products[0];
    return catalogLine(product?.product_id ?? 8001000000001, 1 + Math.floor(random() * 2));
  });

/** An `orders/create` of 1–3 catalog lines, with its own event id. */
export const orderDelivery = (shop: string, customerId: number, at = Date.now()): Delivery => {
  const id = newOrderId();
  return {
    shop,
    topic: 'orders/create',
    eventId: `${shop}/${id}`,
    payload: orderPayload({ id, customerId, createdAt: new Date(at).toISOString(), lines: linesFor() }),
  };
};

export const consentDelivery = (shop: string, customerId: number): Delivery => ({
  shop,
  topic: 'customers/email_marketing_consent_update',
  payload: consentPayload(customerId, 'subscribed', new Date(Date.now() - DAY).toISOString()),
});

export const settle = async (stack: LocalStack) => {
  if (!(await stack.settle(600_000))) throw new Error('the local stack did not settle');
};

/** How many items of the table have a partition key starting with `pkPrefix` (and a sort key with `skPrefix`). */
const countItems = async (stack: LocalStack, pkPrefix: string, skPrefix?: string): Promise<number> => {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.dynamoDb.client.send(
      new ScanCommand({
        TableName: stack.tableName,
        Select: 'COUNT',
        FilterExpression: skPrefix ? 'begins_with(pk, :pk) AND begins_with(sk, :sk)' : 'begins_with(pk, :pk)',
        ExpressionAttributeValues: {
          ':pk': { S: pkPrefix },
          ...(skPrefix ? { ':sk': { S: skPrefix } } : {}),
        },
        ExclusiveStartKey: start as never,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return count;
};

/** Orders stored for a shop (one per accepted order webhook): what "zero loss" is checked against. */
export const ordersStored = (stack: LocalStack, shop: string): Promise<number> =>
  countItems(stack, customerPkPrefix(shop), ORDER_SK_PREFIX);

export type Route = {
  name: RouteName;
  /** The base URL `deliver` and `sendAtRate` take: they post to `${base}/webhooks/shopify`. */
  base: (stack: LocalStack) => string;
  /** What the route keeps of a shop's webhooks, one per accepted order: what loss is counted against. */
  stored: (stack: LocalStack, shop: string) => Promise<number>;
};

export const ROUTES: Record<RouteName, Route> = {
  ingest: { name: 'ingest', base: (stack) => stack.url, stored: ordersStored },
  floor: {
    name: 'floor',
    base: (stack) => `${stack.url}${FLOOR_PREFIX}`,
    stored: (stack, shop) => countItems(stack, floorPkPrefix(shop)),
  },
};
