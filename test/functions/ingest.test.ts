import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrderPayload, toOrderFacts } from '#adapters/shopify/payloads.ts';
import { decodeState, encodeState, inflateJson } from '#adapters/store/aggregate-item.ts';
import { customerPseudonym } from '#adapters/store/pseudonym.ts';
import { emptyAggregate, replaceContribution } from '#domain/aggregate.ts';
import { type OrderFacts, orderContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { callHttp, useHandlerEnvironment, webhookEvent as webhook } from '../support/lambda.ts';
import {
  consentPayloadFactory,
  LOCAL_WEBHOOK_SECRET,
  orderPayloadFactory,
  refundPayloadFactory,
} from '../support/shopify-payloads.ts';

const ingest = useHandlerEnvironment({
  env: { TABLE_NAME: 'customers', SHOPS: 'bakery-demo.myshopify.com,other.myshopify.com' },
  secrets: { WEBHOOK_SECRET_ARN: LOCAL_WEBHOOK_SECRET, SUPPRESSION_PEPPER_SECRET_ARN: 'test-pepper' },
  load: () => import('../../functions/ingest/handler.ts'),
});
const dynamo = mockClient(DynamoDBDocumentClient);

/** Order 9001 of customer 7001: one Rum Baba. */
const order = orderPayloadFactory();

const invoke = (event: APIGatewayProxyEventV2) => callHttp(ingest.handler, event);

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(PutCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
});

/** The items the handler put, of one kind, in order. */
const puts = (kind: string) =>
  dynamo
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Item?.kind === kind);

/** The aggregate of the n-th aggregate write. */
const aggregateWritten = (n = 0) => decodeState(puts('aggregate')[n]?.Item)?.aggregate;

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

/** The store holding `order` as customer 7001's only order (applied once): their aggregate and the order's item. */
const storeOrder = () => {
  const stored = orderContribution(toOrderFacts(OrderPayload.parse(order)) as OrderFacts, journeyConfig);
  const aggregate = replaceContribution(
    emptyAggregate('bakery-demo.myshopify.com', '7001', stored.placedAt),
    undefined,
    stored,
    stored.placedAt,
  );
  dynamo
    .on(GetCommand, { Key: { pk: 'SHOP#bakery-demo.myshopify.com#CUSTOMER#7001', sk: 'AGGREGATE' } })
    .resolves({ Item: { version: 1, state: encodeState({ aggregate, pendingOrder: null }) } });
  dynamo
    .on(GetCommand, { Key: { pk: 'SHOP#bakery-demo.myshopify.com#CUSTOMER#7001', sk: 'ORDER#9001' } })
    .resolves({ Item: { contribution: stored, appliedVersion: 1 } });
};

describe('ingest handler', () => {
  it('applies a signed orders/create with single conditional writes: aggregate, order, link', async () => {
    const response = await invoke(webhook('orders/create', order));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      status: 'applied',
      customerId: '7001',
      orderId: '9001',
    });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    const written = dynamo.commandCalls(PutCommand).map((c) => c.args[0].input);
    // The aggregate is the commit point; the order's item, the fact of its version and its link
    // (refunds name only the order) follow.
    expect(written.map((i) => i.Item?.kind)).toEqual(['aggregate', 'order', 'fact', 'order-ref']);
    expect(written[0]?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(aggregateWritten()).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 480, currency: 'JPY' },
      version: 1,
    });
    expect(written[1]?.Item).toMatchObject({ appliedVersion: 1, contribution: { orderId: '9001' } });
    expect(inflateJson(Buffer.from(written[2]?.Item?.contribution as Uint8Array))).toMatchObject({
      orderId: '9001',
      spent: { amount: 480, currency: 'JPY' },
    });
    expect(written[2]?.Item).toMatchObject({
      sk: 'FACT#ORDER#9001#000000000001',
      version: 1,
      feedPk: expect.stringMatching(/^SHOP#bakery-demo\.myshopify\.com#FEED#\d{2}$/),
      feedSk: '7001#2026-11-02T00:00:00.000Z',
    });
    expect(written[3]?.Item).toMatchObject({
      pk: 'SHOP#bakery-demo.myshopify.com#ORDER#9001',
      customerId: '7001',
    });
  });

  it('verifies the decoded bytes of a base64-encoded body', async () => {
    const response = await invoke(webhook('orders/create', order, { base64: true }));

    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['a wrong secret', { secret: 'guess' }],
    ['a malformed signature', { signature: 'not-a-signature' }],
    ['no signature', { signature: '' }],
  ])('answers 401 and touches nothing for %s', async (_name, options) => {
    const response = await invoke(webhook('orders/create', order, options));

    expect(response.statusCode).toBe(401);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 200 "duplicate" and writes nothing when the same order version is stored', async () => {
    storeOrder();
    dynamo.on(QueryCommand).resolves({ Items: [{ pk: 'x', sk: 'REF', customerId: '7001', refundCount: 0 }] });

    const response = await invoke(webhook('orders/create', order));

    expect(JSON.parse(String(response.body)).status).toBe('duplicate');
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('re-reads and retries when another writer changed the customer first', async () => {
    dynamo.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});

    const response = await invoke(webhook('orders/create', order));

    expect(JSON.parse(String(response.body)).status).toBe('applied');
    expect(puts('aggregate')).toHaveLength(2);
  });

  it('applies a consent update', async () => {
    const response = await invoke(
      webhook('customers/email_marketing_consent_update', consentPayloadFactory()),
    );

    expect(JSON.parse(String(response.body))).toEqual({ status: 'applied', customerId: '7001' });
    expect(aggregateWritten()).toMatchObject({
      emailMarketing: { state: 'subscribed' },
      email: 'customer7001@example.com',
    });
  });

  it.each([
    ['customer.tags_added', true],
    ['customer.tags_removed', false],
  ])('applies %s, with a GraphQL customer id', async (topic, present) => {
    const payload = {
      customerId: 'gid://shopify/Customer/7001',
      tags: ['vip'],
      occurredAt: '2026-11-03T00:00:00Z',
    };

    const response = await invoke(webhook(topic, payload));

    expect(JSON.parse(String(response.body))).toEqual({ status: 'applied', customerId: '7001' });
    expect(aggregateWritten()).toMatchObject({
      customerTags: { vip: { present, at: '2026-11-03T00:00:00.000Z' } },
    });
  });

  it('records the default address from customers/update', async () => {
    const payload = {
      id: 7001,
      email: 'ann@example.com',
      updated_at: '2026-11-03T09:00:00+09:00',
      default_address: { country_code: 'jp', province_code: 'JP-13' },
    };

    await invoke(webhook('customers/update', payload));

    expect(aggregateWritten()).toMatchObject({
      email: 'ann@example.com',
      address: { countryCode: 'JP', provinceCode: 'JP-13', updatedAt: '2026-11-03T00:00:00.000Z' },
    });
  });

  it('applies orders/cancelled like any newer version of the order', async () => {
    const cancelled = {
      ...order,
      updated_at: '2026-11-03T09:00:00+09:00',
      cancelled_at: '2026-11-03T09:00:00+09:00',
    };

    const response = await invoke(webhook('orders/cancelled', cancelled));

    expect(JSON.parse(String(response.body))).toMatchObject({ status: 'applied' });
    expect(puts('order')[0]?.Item?.contribution).toMatchObject({ counts: false });
  });

  it('parks a refund whose order was not seen yet, without touching any customer', async () => {
    const refund = refundPayloadFactory({ id: 77 });

    const response = await invoke(webhook('refunds/create', refund));

    expect(JSON.parse(String(response.body))).toMatchObject({ status: 'parked', orderId: '9001' });
    const items = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put?.Item).toMatchObject({
      pk: 'SHOP#bakery-demo.myshopify.com#ORDER#9001',
      sk: 'REFUND#77',
      refund: { refundId: '77', spent: { amount: 480, currency: 'JPY' }, products: { '8001000000001': 1 } },
    });
    expect(items[1]?.Update?.UpdateExpression).toContain('ADD refundCount');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('takes a refund off the order of the customer it belongs to', async () => {
    storeOrder();
    const ref = {
      pk: 'SHOP#bakery-demo.myshopify.com#ORDER#9001',
      sk: 'REF',
      customerId: '7001',
      refundCount: 1,
    };
    dynamo.on(GetCommand, { Key: { pk: ref.pk, sk: ref.sk } }).resolves({ Item: ref });
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': ref.pk } }).resolves({ Items: [ref] });
    const refund = refundPayloadFactory({ id: 78 });

    const response = await invoke(webhook('refunds/create', refund));

    expect(JSON.parse(String(response.body))).toEqual({
      status: 'applied',
      customerId: '7001',
      orderId: '9001',
    });
    // Parked with its order (one transaction), then taken off: the aggregate, then the order's item
    // and the fact of the version that took the refund off.
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.kind)).toEqual([
      'aggregate',
      'order',
      'fact',
    ]);
    expect(aggregateWritten()).toMatchObject({
      ordersCount: 1,
      totalSpent: { amount: 0, currency: 'JPY' },
      products: {},
    });
  });

  it('records app/uninstalled at the time Shopify triggered it', async () => {
    const event = webhook('app/uninstalled', { id: 1, myshopify_domain: 'bakery-demo.myshopify.com' });
    event.headers['x-shopify-triggered-at'] = '2026-11-05T00:00:00Z';

    const response = await invoke(event);

    expect(JSON.parse(String(response.body))).toEqual({ status: 'uninstalled' });
    expect(puts('shop')[0]?.Item).toMatchObject({
      pk: 'SHOP#bakery-demo.myshopify.com',
      sk: 'STATUS',
      uninstalledAt: '2026-11-05T00:00:00.000Z',
    });
  });

  it('answers an older uninstall arriving late as stale', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());

    const response = await invoke(
      webhook('app/uninstalled', { id: 1, myshopify_domain: 'bakery-demo.myshopify.com' }),
    );

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({ status: 'stale' });
  });

  it('resumes a shop when a webhook triggered after its uninstall arrives (a reinstall)', async () => {
    dynamo
      .on(GetCommand, { Key: { pk: 'SHOP#bakery-demo.myshopify.com', sk: 'STATUS' } })
      .resolves({ Item: { uninstalledAt: '2026-11-05T00:00:00.000Z' } });
    dynamo.on(UpdateCommand).resolves({});
    const event = webhook('orders/create', order);
    event.headers['x-shopify-triggered-at'] = '2026-11-06T00:00:00Z';

    await invoke(event);

    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE uninstalledAt SET reinstalledAt = :at',
      ConditionExpression: 'uninstalledAt < :at',
    });
  });

  it('quarantines a webhook whose shop header is not a myshopify.com domain', async () => {
    dynamo.on(PutCommand).resolves({});
    const event = webhook('orders/create', order);
    event.headers['x-shopify-shop-domain'] = 'evil.example.com';

    const response = await invoke(event);

    expect(JSON.parse(String(response.body))).toMatchObject({ status: 'quarantined' });
    expect(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk)).toEqual([
      'SHOP#unknown#QUARANTINE',
    ]);
  });

  it('records customers/redact as a pending privacy request and answers at once', async () => {
    const payload = {
      shop_id: 1,
      shop_domain: 'bakery-demo.myshopify.com',
      customer: { id: 7001, email: 'ann@example.com' },
      orders_to_redact: [9001],
    };

    const response = await invoke(webhook('customers/redact', payload));

    expect(JSON.parse(String(response.body))).toEqual({ status: 'redaction requested', customerId: '7001' });
    expect(puts('privacy')[0]?.Item).toMatchObject({
      pk: `SHOP#bakery-demo.myshopify.com#REDACTED#${customerPseudonym('test-pepper', 'bakery-demo.myshopify.com', '7001')}`,
      sk: 'customer-redact',
      kind: 'privacy',
      status: 'pending',
      request: { type: 'customer-redact', customerId: '7001', email: 'ann@example.com' },
    });
  });

  it('ignores an order without a customer', async () => {
    const guest = orderPayloadFactory({ id: 1, customer: null, created_at: '2026-11-02T09:00:00Z' });

    const response = await invoke(webhook('orders/create', guest));

    expect(JSON.parse(String(response.body))).toEqual({ status: 'ignored', reason: 'order has no customer' });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('quarantines a topic it is not subscribed to, answering 200', async () => {
    const response = await invoke(webhook('products/update', { id: 1 }));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body)).status).toBe('quarantined');
    expect(puts('quarantine')).toHaveLength(1);
  });

  it('drops a shop this deployment does not serve: 200, nothing read or written', async () => {
    const response = await invoke(webhook('orders/create', order, { shop: 'stranger.myshopify.com' }));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({
      status: 'ignored',
      reason: 'shop not served by this deployment',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('refuses a trigger time in the future (a replay with a forged time) with 400', async () => {
    const event = webhook('app/uninstalled', { id: 1, myshopify_domain: 'bakery-demo.myshopify.com' });
    event.headers['x-shopify-triggered-at'] = new Date(Date.now() + 3_600_000).toISOString();

    const response = await invoke(event);

    expect(response.statusCode).toBe(400);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('does not bring back a redacted customer: a later order is answered "redacted" and writes nothing', async () => {
    const pk = `SHOP#bakery-demo.myshopify.com#REDACTED#${customerPseudonym('test-pepper', 'bakery-demo.myshopify.com', '7001')}`;
    dynamo.on(GetCommand, { Key: { pk, sk: 'customer-redact' } }).resolves({ Item: { pk } });

    const response = await invoke(webhook('orders/create', order));

    expect(JSON.parse(String(response.body))).toMatchObject({ status: 'redacted', customerId: '7001' });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it.each([
    ['broken JSON', '{"id": 90'],
    ['a schema violation', JSON.stringify({ ...order, line_items: 'none' })],
  ])('quarantines an authentic payload with %s and answers 200', async (_name, body) => {
    dynamo.on(PutCommand).resolves({});

    const response = await invoke(webhook('orders/create', body));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body)).status).toBe('quarantined');
    const put = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(put).toMatchObject({ kind: 'quarantine', topic: 'orders/create', eventId: 'evt-1' });
    expect(put?.bodyBytes).toBe(Buffer.byteLength(body));
    // The copy keeps no personal field and no signature.
    expect(JSON.stringify(put)).not.toContain('customer7001@example.com');
    expect(put?.headers).not.toHaveProperty('x-shopify-hmac-sha256');
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('refuses an oversized body with 413 before verifying it', async () => {
    const response = await invoke(webhook('orders/create', 'x'.repeat(1024 * 1024 + 1)));

    expect(response.statusCode).toBe(413);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('answers 500 without details when DynamoDB fails, so Shopify retries', async () => {
    dynamo.on(PutCommand).rejects(new Error('ProvisionedThroughputExceeded: internal detail'));

    const response = await invoke(webhook('orders/create', order));

    expect(response.statusCode).toBe(500);
    expect(String(response.body)).not.toContain('internal detail');
  });
});
