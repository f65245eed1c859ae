import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDb } from '#adapters/clients.ts';
import { CustomerStore, type PrivacyRequest, privacyKey } from '#adapters/customer-store.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { suppressionHash } from '#commons/suppression.ts';

const env = requireEnv('TABLE_NAME');
const store = new CustomerStore(dynamoDb, env.TABLE_NAME);
const processor = new BatchProcessor(EventType.DynamoDBStreams);
/** Time kept back from the Lambda timeout to record progress before it runs out. */
const SAFETY_MS = 30_000;

type RequestItem = {
  shop: string;
  request: PrivacyRequest;
  status: string;
  progress?: { cursor?: { pk: string; sk: string } };
};

/** What identifies a customer inside a raw payload: their id in its JSON forms, and their address. */
const needlesFor = (customerId: string, email: string | null) => [
  `:${customerId},`,
  `:${customerId}}`,
  `"${customerId}"`,
  `/Customer/${customerId}"`,
  ...(email ? [email] : []),
];

/**
 * customers/redact: keeps only what honours an opt-out (a hash of the address, if the customer
 * had unsubscribed), then deletes the customer's items and the quarantined payloads naming them.
 */
const redactCustomer = async (
  shop: string,
  request: Extract<PrivacyRequest, { type: 'customer-redact' }>,
) => {
  const customer = await store.getAggregate(shop, request.customerId);
  const email = customer?.email ?? request.email;
  if (email && customer && ['unsubscribed', 'not_subscribed'].includes(customer.emailMarketing.state)) {
    await store.suppress(shop, suppressionHash(shop, email), new Date().toISOString());
  }
  const items = await store.customerItems(shop, request.customerId);
  const orderIds = items.filter((i) => i.sk.startsWith('ORDER#')).map((i) => i.sk.slice('ORDER#'.length));
  return store.deleteItems([
    ...items,
    // The orders' links to the customer and their refunds.
    ...(await store.orderRefItems(shop, orderIds)),
    ...(await store.quarantineMentioning(shop, needlesFor(request.customerId, email))),
  ]);
};

/** Exports stay in one DynamoDB item; a larger history is summarised (order ids only). */
const MAX_EXPORT_BYTES = 300 * 1024;

/** customers/data_request: everything held about the customer, as one JSON document. */
const exportCustomer = async (shop: string, request: Extract<PrivacyRequest, { type: 'data-request' }>) => {
  const items = await store.customerItems(shop, request.customerId);
  const aggregate = items.find((i) => i.sk === 'AGGREGATE')?.aggregate ?? null;
  const email = (aggregate as { email?: string | null } | null)?.email ?? request.email;
  const orders = items.filter((i) => String(i.sk).startsWith('ORDER#')).map((i) => i.contribution);
  const emailsSent = items
    .filter((i) => String(i.sk).startsWith('SEND#'))
    .map(({ journeyId, stageId, entryId, status, claimedAt, finishedAt }) => ({
      journeyId,
      stageId,
      entryId,
      status,
      claimedAt,
      finishedAt,
    }));
  const quarantined = (await store.quarantineMentioning(shop, needlesFor(request.customerId, email))).map(
    (q) => ({
      receivedAt: q.receivedAt,
      topic: q.topic,
      body: q.body,
    }),
  );
  const document = {
    shop,
    customerId: request.customerId,
    generatedAt: new Date().toISOString(),
    aggregate,
    orders,
    emailsSent,
    quarantined,
  };
  const full = JSON.stringify(document);
  if (Buffer.byteLength(full) <= MAX_EXPORT_BYTES) return full;
  const orderIds = orders.map((o) => (o as { orderId?: string }).orderId);
  return JSON.stringify({
    ...document,
    orders: { count: orders.length, orderIds, note: 'history too large to embed' },
    quarantined: quarantined.length,
  });
};

/** One privacy request per record; a shop redaction too large for one run continues in the next. */
const recordHandler = async (record: DynamoDBRecord, context: Context): Promise<void> => {
  const image = record.dynamodb?.NewImage;
  if (!image) return;
  const item = unmarshall(image as Record<string, AttributeValue>) as RequestItem;
  if (item.status !== 'pending') return;
  const key = privacyKey(item.shop, item.request);
  const at = new Date().toISOString();
  if (item.request.type === 'data-request') {
    await store.finishDataRequest(key, await exportCustomer(item.shop, item.request), at);
    logger.info('data request exported', {
      shop: item.shop,
      customerId: item.request.customerId,
      requestId: item.request.requestId,
    });
    return;
  }
  if (item.request.type === 'customer-redact') {
    const deleted = await redactCustomer(item.shop, item.request);
    await store.finishPrivacy(key, { status: 'done', deleted, at });
    logger.info('customer redacted', { shop: item.shop, customerId: item.request.customerId, deleted });
    return;
  }
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS;
  const { deleted, cursor } = await store.deleteShopItems(item.shop, key, deadline, item.progress?.cursor);
  // Recording a cursor modifies the request, whose stream record brings it back here to continue.
  await store.finishPrivacy(key, cursor ? { status: 'pending', cursor } : { status: 'done', deleted, at });
  logger.info('shop redaction', { shop: item.shop, deleted, finished: cursor === null });
};

const loggedRecordHandler = async (record: DynamoDBRecord, context: Context): Promise<void> => {
  try {
    await recordHandler(record, context);
  } catch (error) {
    logger.error('privacy request failed', { error, keys: record.dynamodb?.Keys });
    throw error;
  }
};

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, (record: DynamoDBRecord) => loggedRecordHandler(record, context), processor, {
    context,
  });
