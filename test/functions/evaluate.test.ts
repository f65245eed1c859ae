import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeState } from '#adapters/store/aggregate-item.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.ts';

const evaluate = useHandlerEnvironment({
  env: { EVENT_BUS_NAME: 'loyalty-bus', TABLE_NAME: 'customers' },
  load: () => import('../../functions/evaluate/handler.ts'),
});
const handler = (event: DynamoDBStreamEvent, context: Context) => evaluate.handler(event, context);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBDocumentClient);

/** An aggregate item's stream image as Lambda delivers it (binary attributes base64-encoded). */
const image = (aggregate: CustomerAggregate): Record<string, AttributeValue> => ({
  ...(marshall({ pk: 'p', sk: 'AGGREGATE', kind: 'aggregate', version: aggregate.version }) as Record<
    string,
    AttributeValue
  >),
  state: { B: Buffer.from(encodeState({ aggregate, pendingOrder: null })).toString('base64') },
});

const record = (
  sequence: string,
  before: CustomerAggregate | null,
  after: CustomerAggregate,
): DynamoDBRecord => ({
  eventID: sequence,
  eventName: before ? 'MODIFY' : 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: sequence,
    NewImage: image(after),
    ...(before ? { OldImage: image(before) } : {}),
  },
});

const firstRumBaba = (customerId: string) =>
  record(
    `${customerId}00`,
    aggregateFactory({ customerId, ordersCount: 1, version: 1 }),
    aggregateFactory({
      customerId,
      ordersCount: 2,
      counters: rumBabaCounters(1),
      emailMarketing: { state: 'subscribed', updatedAt: '2026-11-01T00:00:00.000Z' },
      version: 2,
      updatedAt: '2026-11-02T00:00:00.000Z',
    }),
  );

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  events.reset();
  events
    .on(PutEventsCommand)
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
});

describe('evaluate handler', () => {
  it('puts one Journey Stage Changed event per journey whose stage changed', async () => {
    const result = await handler({ Records: [firstRumBaba('7001')] } as DynamoDBStreamEvent, lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      ['loyalty-bus', 'loyalty-loop', 'Journey Stage Changed'],
    ]);
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toEqual({
      eventId: 'bakery-demo.myshopify.com/7001/rum-baba-fans/changed/2',
      shop: 'bakery-demo.myshopify.com',
      customerId: '7001',
      journeyId: 'rum-baba-fans',
      from: 'not-yet',
      to: 'first-rum-baba',
      entryId: 2,
      occurredAt: '2026-11-02T00:00:00.000Z',
      emailMarketing: 'subscribed',
      backfill: false,
    });
  });

  it('records the move as a fact, keyed by the version that caused it, before announcing it', async () => {
    await handler({ Records: [firstRumBaba('7001')] } as DynamoDBStreamEvent, lambdaContext());
    await handler({ Records: [firstRumBaba('7001')] } as DynamoDBStreamEvent, lambdaContext());

    const items = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items).toHaveLength(2);
    expect(items[1]).toEqual(items[0]);
    expect(items[0]).toMatchObject({
      pk: 'SHOP#bakery-demo.myshopify.com#CUSTOMER#7001',
      sk: 'FACT#STAGE#rum-baba-fans#000000000002',
      kind: 'fact',
      fact: 'stage',
      from: 'not-yet',
      to: 'first-rum-baba',
      at: '2026-11-02T00:00:00.000Z',
      silent: false,
      feedSk: '7001#2026-11-02T00:00:00.000Z',
    });
  });

  it('announces nothing when the fact cannot be recorded: the record fails and is retried', async () => {
    dynamo.on(PutCommand).resolvesOnce({}).rejectsOnce(new Error('ProvisionedThroughputExceededException'));

    const result = await handler(
      { Records: [firstRumBaba('7001'), firstRumBaba('7002')] } as DynamoDBStreamEvent,
      lambdaContext(),
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '700200' }] });
    const announced = events
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(announced.map((entry) => JSON.parse(entry.Detail ?? '{}').customerId)).toEqual(['7001']);
  });

  it('marks the events of a silent write (history) as backfill, at their historical time', async () => {
    const silent = firstRumBaba('7003');
    const written = silent.dynamodb?.NewImage;
    if (written) written.silent = { BOOL: true };

    await handler({ Records: [silent] } as DynamoDBStreamEvent, lambdaContext());

    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
      to: 'first-rum-baba',
      occurredAt: '2026-11-02T00:00:00.000Z',
      backfill: true,
    });
  });

  it('puts nothing when no stage changes', async () => {
    const same = record(
      '1',
      aggregateFactory({ ordersCount: 1, version: 1 }),
      aggregateFactory({ ordersCount: 2, version: 2 }),
    );
    expect(await handler({ Records: [same] } as DynamoDBStreamEvent, lambdaContext())).toEqual({
      batchItemFailures: [],
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('puts Segment Entered when a change (here: a new tag, 60 days after the last order) makes a lapsing regular', async () => {
    const lastOrder = '2026-09-01T00:00:00.000Z';
    const before = aggregateFactory({
      ordersCount: 3,
      lastOrderAt: lastOrder,
      firstOrderAt: lastOrder,
      version: 3,
      updatedAt: lastOrder,
    });
    const after = {
      ...before,
      version: 4,
      updatedAt: '2026-10-31T00:00:00.000Z',
      customerTags: { vip: { present: true, at: '2026-10-31T00:00:00.000Z' } },
    };
    const result = await handler(
      { Records: [record('1', before, after)] } as DynamoDBStreamEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const entries = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    // The segment, and the win-back journey's lapsing stage (the same condition).
    expect(entries.map((e) => e.DetailType)).toEqual(['Segment Entered', 'Journey Stage Changed']);
    expect(JSON.parse(entries[1]?.Detail ?? '{}')).toMatchObject({
      journeyId: 'win-back',
      from: 'regular',
      to: 'lapsing',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toEqual({
      eventId: 'bakery-demo.myshopify.com/7001/segment/lapsing-regulars/entered/4',
      shop: 'bakery-demo.myshopify.com',
      customerId: '7001',
      segmentId: 'lapsing-regulars',
      entryId: 4,
      occurredAt: '2026-10-31T00:00:00.000Z',
      backfill: false,
    });
  });

  it('fails only the record whose events EventBridge rejected', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [] })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
      });
    const result = await handler(
      { Records: [firstRumBaba('7001'), firstRumBaba('7002')] } as DynamoDBStreamEvent,
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '700200' }] });
  });
});
