import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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
    SETTLE_SECONDS: '0',
    // Pacing has tests of its own (test/unit/pacing.test.ts, test/integration/pending-sends.test.ts).
    TIMING_POLICY: JSON.stringify({ frequencyCap: false, quietHours: false }),
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

const SEND_SK = 'SEND#rum-baba-fans#first-rum-baba#2';
/** The stage entry's pending send, due now (the stage has no delay; the test stack no settle window). */
const pendingSend = (overrides: Record<string, unknown> = {}) => ({
  Item: {
    sk: SEND_SK,
    status: 'pending',
    enteredAt: '2026-11-02T00:00:00.000Z',
    dueAt: '2026-11-02T00:00:00.000Z',
    delaySource: 'fixed',
    ...overrides,
  },
});

beforeEach(() => {
  dynamo.reset();
  ses.reset();
  bus.reset();
  dynamo.on(GetCommand).resolves(stored(subscribed()));
  dynamo.on(GetCommand, { Key: { sk: SEND_SK } }).resolves(pendingSend());
  dynamo.on(GetCommand, { Key: { sk: 'SUPPRESSED' } }).resolves({});
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
});

describe('action handler', () => {
  it('schedules the send, claims it when due, sends the coupon with one-click unsubscribe headers and announces it', async () => {
    expect(await handler(stageEntered())).toMatchObject({ status: 'sent', messageId: 'msg-1' });
    const [pending, claim] = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(pending?.Item).toMatchObject({
      sk: SEND_SK,
      status: 'pending',
      duePk: expect.stringMatching(/^DUE#SEND#\d\d$/),
    });
    expect(pending?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(claim?.Item).toMatchObject({
      sk: SEND_SK,
      status: 'claimed',
      enteredAt: '2026-11-02T00:00:00.000Z',
    });
    expect(claim?.Item).not.toHaveProperty('duePk');
    expect(claim?.ConditionExpression).toContain('#status IN (:pending, :failed)');
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
    // Two ledger writes per email: the pending send, then the claim that stands for the sent email.
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(2);
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
  ])('sends nothing to a customer %s, and closes the send as skipped', async (_name, customer, reason) => {
    dynamo.on(GetCommand).resolves(stored(customer));
    dynamo.on(GetCommand, { Key: { sk: SEND_SK } }).resolves(pendingSend());

    expect(await handler(stageEntered())).toEqual({ status: 'skipped', reason });

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1); // the pending send only, never a claim
    const close = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(close?.ExpressionAttributeValues).toMatchObject({ ':outcome': 'skipped', ':reason': reason });
    expect(close?.UpdateExpression).toContain('REMOVE duePk, dueSk');
  });

  it('cancels the send of a customer already further along', async () => {
    dynamo.on(GetCommand).resolves(stored(subscribed({ counters: rumBabaCounters(2) })));
    dynamo.on(GetCommand, { Key: { sk: SEND_SK } }).resolves(pendingSend());

    expect(await handler(stageEntered())).toEqual({
      status: 'cancelled',
      reason: 'customer has left the stage',
    });

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':outcome': 'cancelled',
    });
  });

  it('keeps a redelivered entry whose send is not due yet pending, and sends nothing', async () => {
    // The entry's send was written before (its put finds it) and is due tomorrow.
    dynamo
      .on(PutCommand, { Item: { sk: SEND_SK, status: 'pending' } })
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    dynamo
      .on(GetCommand, { Key: { sk: SEND_SK } })
      .resolves(pendingSend({ dueAt: new Date(Date.now() + 86_400_000).toISOString() }));

    expect(await handler(stageEntered())).toMatchObject({ status: 'exists' });

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('dispatches the sends the due index lists when the schedule fires', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'DUE#SEND#05' } })
      .resolves({ Items: [{ pk: 'SHOP#bakery-demo.myshopify.com#CUSTOMER#7001', sk: SEND_SK }] });

    const report = await handler(busEvent('Scheduled Event', {}));

    expect(report).toEqual({ due: 1, failed: 0, sent: 1 });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(16);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ IndexName: 'due' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
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
    // The pending send exists (a redelivery) and another invocation holds the claim.
    expect(await handler(stageEntered())).toEqual({
      status: 'skipped',
      reason: 'the send ledger holds a claim for this entry',
    });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('releases the claim and fails when SES refuses, due again after a backoff, so a retry can send', async () => {
    ses.on(SendEmailCommand).rejects(new Error('Throttling'));
    await expect(handler(stageEntered())).rejects.toThrow('Throttling');
    const release = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(release?.ExpressionAttributeValues).toMatchObject({ ':failed': 'failed', ':attempts': 1 });
    expect(release?.UpdateExpression).toContain('duePk = :duePk');
  });

  it('rejects an event whose detail is not a stage entry', async () => {
    await expect(handler({ ...stageEntered(), detail: { shop: 'x' } })).rejects.toThrow();
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
