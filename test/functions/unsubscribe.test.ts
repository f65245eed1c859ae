import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '#adapters/store/aggregate-item.ts';
import { createUnsubscribeToken, unsubscribeKeys } from '#commons/unsubscribe-token.ts';
import { aggregateFactory } from '../support/factories.ts';
import { callHttp, routeEvent, useHandlerEnvironment } from '../support/lambda.ts';

const unsubscribe = useHandlerEnvironment({
  env: { TABLE_NAME: 'customers', EVENT_BUS_NAME: 'loyalty-loop' },
  secrets: { UNSUBSCRIBE_SECRET_ARN: 'unsub-key', SUPPRESSION_PEPPER_SECRET_ARN: 'test-pepper' },
  load: () => import('../../functions/unsubscribe/handler.ts'),
});
const dynamo = mockClient(DynamoDBDocumentClient);
const bus = mockClient(EventBridgeClient);

const token = (key = 'unsub-key', expiresAt = Math.floor(Date.now() / 1000) + 3600) =>
  createUnsubscribeToken(
    { shop: 'bakery-demo.myshopify.com', customerId: '7001', expiresAt },
    unsubscribeKeys(key),
  );

const request = (method: 'GET' | 'POST', t: string, body?: string) =>
  callHttp(
    unsubscribe.handler,
    routeEvent(`${method} /unsubscribe`, {
      queryStringParameters: { token: t },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ...(body === undefined ? {} : { body }),
    }),
  );

beforeEach(() => {
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  dynamo.reset();
  const aggregate = aggregateFactory({
    emailMarketing: { state: 'subscribed', updatedAt: '2026-11-01T00:00:00.000Z' },
  });
  dynamo
    .on(GetCommand)
    .resolves({ Item: { version: 0, state: encodeState({ aggregate, pendingOrder: null }) } });
  dynamo.on(PutCommand).resolves({});
});

describe('unsubscribe handler', () => {
  it('shows a confirmation page on GET and changes nothing (link scanners fetch links)', async () => {
    const response = await request('GET', token());

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('text/html');
    expect(response.body).toContain('<form method="post"');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('unsubscribes on a one-click POST', async () => {
    const response = await request('POST', token(), 'List-Unsubscribe=One-Click');

    expect(response.statusCode).toBe(200);
    const written = decodeState(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item);
    expect(written?.aggregate).toMatchObject({ emailMarketing: { state: 'unsubscribed' } });
    // Announced for the write-back to Shopify.
    const [entry] = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ EventBusName: 'loyalty-loop', DetailType: 'Customer Unsubscribed' });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      shop: 'bakery-demo.myshopify.com',
      customerId: '7001',
    });
  });

  it.each([
    ['signed with another key', () => token('other-key')],
    ['expired', () => token('unsub-key', 1_000)],
    ['garbage', () => 'nope'],
  ])('answers 400 to a token %s and changes nothing', async (_name, make) => {
    const response = await request('POST', make(), 'List-Unsubscribe=One-Click');

    expect(response.statusCode).toBe(400);
    expect(dynamo.calls()).toHaveLength(0);
    expect(bus.calls()).toHaveLength(0);
  });

  it('changes nothing for a POST that does not ask to unsubscribe', async () => {
    const response = await request('POST', token(), 'something=else');

    expect(response.statusCode).toBe(400);
    expect(dynamo.calls()).toHaveLength(0);
  });
});
