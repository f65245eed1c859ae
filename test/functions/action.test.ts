import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeState } from '#adapters/store/aggregate-item.ts';
import { suppressionKey } from '#adapters/store/keys.ts';
import { addressHash, legacyAddressHash } from '#adapters/store/suppression.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';
import { busEvent, useHandlerEnvironment } from '../support/lambda.ts';

const action = useHandlerEnvironment({
  env: {
    TABLE_NAME: 'customers',
    EVENT_BUS_NAME: 'loyalty-bus',
    SENDER_ADDRESS: 'hello@bakery-demo.example',
    SENDER_NAME: 'Demo Bakery',
    REPLY_TO_ADDRESS: 'shop@bakery-demo.example',
    POSTAL_ADDRESS: '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001, Japan',
    CONFIGURATION_SET_NAME: 'loyalty',
    PUBLIC_BASE_URL: 'https://api.example.com/',
    EMAIL_SENT_EVENTS: 'true',
  },
  secrets: { UNSUBSCRIBE_SECRET_ARN: 'unsubscribe-key', SUPPRESSION_PEPPER_SECRET_ARN: 'pepper' },
  load: () => import('../../functions/action/handler.ts'),
});
const handler = (event: EventBridgeEvent<string, unknown>) => action.handler(event);
const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
const bus = mockClient(EventBridgeClient);

const subscribed = (overrides: Partial<CustomerAggregate> = {}) =>
  aggregateFactory({
    email: 'ann@example.com',
    ordersCount: 1,
    counters: rumBabaCounters(1),
    emailMarketing: { state: 'subscribed', updatedAt: '2026-11-01T00:00:00.000Z' },
    version: 2,
    ...overrides,
  });

const stageEntered = (stageId = 'first-rum-baba'): EventBridgeEvent<string, unknown> =>
  busEvent('Journey Stage Changed', {
    eventId: 'bakery-demo.myshopify.com/7001/rum-baba-fans/changed/2',
    shop: 'bakery-demo.myshopify.com',
    customerId: '7001',
    journeyId: 'rum-baba-fans',
    from: 'not-yet',
    to: stageId,
    entryId: 2,
    occurredAt: '2026-11-02T00:00:00.000Z',
    emailMarketing: 'subscribed',
  });

/** The aggregate item as the store keeps it. */
const stored = (aggregate: CustomerAggregate) => ({
  Item: { version: aggregate.version, state: encodeState({ aggregate, pendingOrder: null }) },
});

beforeEach(() => {
  dynamo.reset();
  ses.reset();
  bus.reset();
  dynamo.on(GetCommand).resolves(stored(subscribed()));
  dynamo.on(GetCommand, { Key: { sk: 'SUPPRESSED' } }).resolves({});
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
});

describe('action handler', () => {
  it('claims the ledger, sends the coupon with one-click unsubscribe headers and announces it', async () => {
    expect(await handler(stageEntered())).toMatchObject({ status: 'sent', messageId: 'msg-1' });
    const claim = dynamo.commandCalls(PutCommand)[0]?.args[0].input;
    expect(claim?.Item).toMatchObject({ sk: 'SEND#rum-baba-fans#first-rum-baba#2', status: 'claimed' });
    expect(claim?.ConditionExpression).toContain('attribute_not_exists(pk)');
    const email = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(email?.FromEmailAddress).toBe('"Demo Bakery" <hello@bakery-demo.example>');
    expect(email?.ReplyToAddresses).toEqual(['shop@bakery-demo.example']);
    expect(email?.Destination?.ToAddresses).toEqual(['ann@example.com']);
    for (const body of [email?.Content?.Simple?.Body?.Html?.Data, email?.Content?.Simple?.Body?.Text?.Data])
      expect(body).toContain('1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001, Japan');
    expect(email?.ConfigurationSetName).toBe('loyalty');
    expect(email?.Content?.Simple?.Body?.Html?.Data).toContain('RUMBABA-AGAIN');
    const headers = Object.fromEntries((email?.Content?.Simple?.Headers ?? []).map((h) => [h.Name, h.Value]));
    expect(headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/api\.example\.com\/unsubscribe\?token=[\w-]+\.[\w-]+>$/,
    );
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    // One ledger write per email: the claim stands for the sent email.
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    const [announced] = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(announced?.DetailType).toBe('Email Sent');
    expect(JSON.parse(announced?.Detail ?? '{}')).toMatchObject({
      eventId: 'bakery-demo.myshopify.com/7001/rum-baba-fans/changed/2/email',
      stageId: 'first-rum-baba',
      messageId: 'msg-1',
    });
  });

  it.each([
    [
      'not subscribed',
      subscribed({ emailMarketing: { state: 'not_subscribed', updatedAt: null } }),
      'email marketing state is not_subscribed',
    ],
    [
      'unsubscribed since',
      subscribed({ emailMarketing: { state: 'unsubscribed', updatedAt: null } }),
      'email marketing state is unsubscribed',
    ],
    ['without an address', subscribed({ email: null }), 'no email address'],
    ['already further along', subscribed({ counters: rumBabaCounters(2) }), 'customer has left the stage'],
  ])('sends nothing to a customer %s', async (_name, customer, reason) => {
    dynamo.on(GetCommand).resolves(stored(customer));
    expect(await handler(stageEntered())).toEqual({ status: 'skipped', reason });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('sends nothing for a shop the app was uninstalled from', async () => {
    dynamo
      .on(GetCommand, { Key: { pk: 'SHOP#bakery-demo.myshopify.com', sk: 'STATUS' } })
      .resolves({ Item: { uninstalledAt: '2026-11-05T00:00:00.000Z' } });
    expect(await handler(stageEntered())).toEqual({
      status: 'skipped',
      reason: 'the app is uninstalled from this shop',
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it.each([
    ['its peppered hash', addressHash('bakery-demo.myshopify.com', 'Ann@example.com ', 'pepper')],
    [
      'the unkeyed hash of a table deployed before the pepper',
      legacyAddressHash('bakery-demo.myshopify.com', 'ann@example.com'),
    ],
  ])('sends nothing to an address that opted out before, suppressed under %s', async (_name, hash) => {
    dynamo
      .on(GetCommand, { Key: suppressionKey('bakery-demo.myshopify.com', hash) })
      .resolves({ Item: { since: '2026-11-01T00:00:00.000Z' } });
    expect(await handler(stageEntered())).toEqual({
      status: 'skipped',
      reason: 'the address opted out before',
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('sends nothing when the ledger already holds this stage entry', async () => {
    dynamo.on(PutCommand).rejects(
      Object.assign(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }), {
        Item: { status: { S: 'claimed' }, claimant: { S: 'another-invocation' } },
      }),
    );
    expect(await handler(stageEntered())).toEqual({
      status: 'skipped',
      reason: 'the send ledger holds a claim for this entry',
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('releases the claim and fails when SES refuses, so a retry can send', async () => {
    ses.on(SendEmailCommand).rejects(new Error('Throttling'));
    await expect(handler(stageEntered())).rejects.toThrow('Throttling');
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':failed']).toBe(
      'failed',
    );
  });

  it('rejects an event whose detail is not a stage entry', async () => {
    await expect(handler({ ...stageEntered(), detail: { shop: 'x' } })).rejects.toThrow();
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
