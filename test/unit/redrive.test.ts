import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { repairImage, toLambdaImage } from '#adapters/store/stream-image.ts';
import { parseCommand } from '../../scripts/redrive/cli.ts';
import { classify, type Failure } from '../../scripts/redrive/failure.ts';
import { toLambdaStreamRecord } from '../../scripts/redrive/stream-batch.ts';

const EVALUATE_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:LoyaltyLoop-Evaluate';
const ACTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:LoyaltyLoop-Action';
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/Customers/stream/2026-01-01T00:00:00.000';

/** An SQS message as ReceiveMessage hands it over, with string message attributes. */
const sqsMessage = (body: unknown, attributes: Record<string, string> = {}): Message => ({
  MessageId: 'm-1',
  ReceiptHandle: 'r-1',
  Body: typeof body === 'string' ? body : JSON.stringify(body),
  MessageAttributes: Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  ),
});

/** Lambda's on-failure record of a stream batch (event source mapping destination). */
const streamBatchRecord = (info: Record<string, unknown> = {}) => ({
  version: '1.0',
  timestamp: '2026-01-01T00:00:00.000Z',
  requestContext: { requestId: 'q-1', functionArn: EVALUATE_ARN, condition: 'RetryAttemptsExhausted' },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  DDBStreamBatchInfo: {
    shardId: 'shardId-0001',
    startSequenceNumber: '100',
    endSequenceNumber: '180',
    approximateArrivalOfFirstRecord: '2026-01-01T00:00:00.000Z',
    approximateArrivalOfLastRecord: '2026-01-01T00:00:01.000Z',
    batchSize: 3,
    streamArn: STREAM_ARN,
    ...info,
  },
});

/** Lambda's on-failure record of an asynchronous invocation. */
const asyncFailureRecord = (overrides: Record<string, unknown> = {}) => ({
  version: '1.0',
  timestamp: '2026-01-01T00:00:00.000Z',
  requestContext: { requestId: 'q-2', functionArn: ACTION_ARN, condition: 'RetriesExhausted' },
  requestPayload: { 'detail-type': 'Journey Stage Entered', detail: { customerId: '7' } },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'Error', errorMessage: 'SES throttled' },
  ...overrides,
});

/** An event EventBridge could not deliver, with the attributes its rule DLQ message carries. */
const undeliveredEvent = { source: 'loyalty-loop', 'detail-type': 'Customer Unsubscribed', detail: {} };
const eventBridgeAttributes = {
  RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/LoyaltyLoop-Unsubscribed',
  TARGET_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:LoyaltyLoop-ConsentSync',
  ERROR_CODE: 'SDK_CLIENT_ERROR',
  ERROR_MESSAGE: 'Unable to invoke Lambda function',
};

const { ERROR_MESSAGE: _errorMessage, ...attributesWithoutMessage } = eventBridgeAttributes;

describe('classify', () => {
  it.each<[string, Message, Failure]>([
    [
      'a failed stream batch as its function and its place in the stream',
      sqsMessage(streamBatchRecord()),
      {
        kind: 'stream',
        functionArn: EVALUATE_ARN,
        condition: 'RetryAttemptsExhausted',
        streamArn: STREAM_ARN,
        shardId: 'shardId-0001',
        startSequenceNumber: '100',
        endSequenceNumber: '180',
        batchSize: 3,
      },
    ],
    [
      'a failed asynchronous invocation as its function, its original event and the error',
      sqsMessage(asyncFailureRecord()),
      {
        kind: 'async',
        functionArn: ACTION_ARN,
        condition: 'RetriesExhausted',
        payload: { 'detail-type': 'Journey Stage Entered', detail: { customerId: '7' } },
        error: 'SES throttled',
      },
    ],
    [
      'an asynchronous failure whose function answered no error object, with no error text',
      sqsMessage(asyncFailureRecord({ responsePayload: null })),
      {
        kind: 'async',
        functionArn: ACTION_ARN,
        condition: 'RetriesExhausted',
        payload: { 'detail-type': 'Journey Stage Entered', detail: { customerId: '7' } },
        error: '',
      },
    ],
    [
      'an EventBridge DLQ message as the event and the target its attributes name',
      sqsMessage(undeliveredEvent, eventBridgeAttributes),
      {
        kind: 'event',
        targetArn: eventBridgeAttributes.TARGET_ARN,
        event: undeliveredEvent,
        error: 'Unable to invoke Lambda function',
      },
    ],
    [
      'an EventBridge DLQ message without an error message, with its error code',
      sqsMessage(undeliveredEvent, attributesWithoutMessage),
      {
        kind: 'event',
        targetArn: eventBridgeAttributes.TARGET_ARN,
        event: undeliveredEvent,
        error: 'SDK_CLIENT_ERROR',
      },
    ],
  ])('reads %s', (_name, message, expected) => {
    const failure = classify(message);

    expect(failure).toEqual(expected);
  });

  it.each([
    ['a body that is not JSON', sqsMessage('{"truncated'), 'body is not JSON'],
    ['no body at all', { MessageId: 'm-1' }, 'body is not JSON'],
    [
      'JSON that is none of the three records',
      sqsMessage({ hello: 'world' }),
      'not a Lambda, stream or EventBridge failure record',
    ],
    [
      'an event without the attributes naming its target',
      sqsMessage(undeliveredEvent),
      'not a Lambda, stream or EventBridge failure record',
    ],
    [
      'a stream record without its sequence numbers',
      sqsMessage(streamBatchRecord({ startSequenceNumber: undefined })),
      'stream batch record: DDBStreamBatchInfo.startSequenceNumber',
    ],
    [
      'an asynchronous record without its function',
      sqsMessage(asyncFailureRecord({ requestContext: { condition: 'RetriesExhausted' } })),
      'asynchronous invocation record: requestContext.functionArn',
    ],
  ])('classifies %s as unknown, with the reason', (_name, message: Message, reason) => {
    const failure = classify(message);

    expect(failure.kind).toBe('unknown');
    expect(failure).toHaveProperty('reason', expect.stringContaining(reason));
  });
});

describe('stream images as Lambda carries them', () => {
  it.each([
    ['an empty map attribute', { prefs: {} }, { prefs: { M: {} } }],
    ['an empty map inside a map', { state: { M: { tags: {} } } }, { state: { M: { tags: { M: {} } } } }],
    [
      'an empty map inside a list',
      { lines: { L: [{}, { S: 'x' }] } },
      { lines: { L: [{ M: {} }, { S: 'x' }] } },
    ],
  ])('repairs %s that DynamoDB Local streams as {} to {"M":{}}', (_name, image, expected) => {
    const repaired = repairImage(image);

    expect(repaired).toEqual(expected);
  });

  it('leaves an image as AWS streams it unchanged', () => {
    const image = {
      pk: { S: 'SHOP#a.myshopify.com#CUSTOMER#7' },
      ordersCount: { N: '3' },
      optedOut: { BOOL: false },
      coupon: { NULL: true },
      prefs: { M: {} },
      history: { L: [{ M: {} }, { M: { seen: { M: {} } } }] },
      tags: { SS: ['vip'] },
      empty: { S: '' },
    };

    const repaired = repairImage(image);

    expect(repaired).toEqual(image);
  });

  it('turns binary attributes the SDK reads as bytes into base64 strings, in maps and sets too', () => {
    const image = {
      state: { B: new Uint8Array([1, 2, 3]) },
      nested: { M: { blob: { B: Buffer.from('rum baba') } } },
      blobs: { BS: [new Uint8Array([255]), new Uint8Array([0, 0])] },
      prefs: {},
    };

    const converted = toLambdaImage(image);

    expect(converted).toEqual({
      state: { B: 'AQID' },
      nested: { M: { blob: { B: Buffer.from('rum baba').toString('base64') } } },
      blobs: { BS: ['/w==', 'AAA='] },
      prefs: { M: {} },
    });
    expect(JSON.parse(JSON.stringify(converted))).toEqual(converted);
  });

  it('shapes an SDK stream record as Lambda delivers it: base64 images, epoch seconds, the stream ARN', () => {
    const record: StreamRecord = {
      eventID: 'e-1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        SequenceNumber: '150',
        ApproximateCreationDateTime: new Date('2026-01-01T00:00:01.900Z'),
        Keys: { pk: { S: 'p' }, sk: { S: 'AGGREGATE' } },
        NewImage: { state: { B: new Uint8Array([1, 2, 3]) }, prefs: { M: {} } },
        OldImage: { state: { B: new Uint8Array([4]) } },
      },
    };

    const lambdaRecord = toLambdaStreamRecord(record, STREAM_ARN);

    expect(lambdaRecord).toEqual({
      eventID: 'e-1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        SequenceNumber: '150',
        ApproximateCreationDateTime: Date.parse('2026-01-01T00:00:01Z') / 1000,
        Keys: { pk: { S: 'p' }, sk: { S: 'AGGREGATE' } },
        NewImage: { state: { B: 'AQID' }, prefs: { M: {} } },
        OldImage: { state: { B: 'BA==' } },
      },
    });
  });
});

describe('the redrive command line', () => {
  it.each([
    [[], { action: 'list', deadLetters: true, quarantine: true }],
    [['redrive', '--dlq'], { action: 'redrive', deadLetters: true, quarantine: false }],
    [['redrive', '--quarantine', '--shop', 'a.myshopify.com'], { quarantine: true, shop: 'a.myshopify.com' }],
  ])('reads %j against a local stack', (args, expected) => {
    const command = parseCommand([...args, '--local', 'http://127.0.0.1:3000']);

    expect(command).toMatchObject({ ...expected, target: { local: 'http://127.0.0.1:3000' } });
  });

  it('names the AWS stack by its outputs, the queue prefix defaulting to the stack name', () => {
    const command = parseCommand(['list', '--table', 'T', '--webhook-url', 'https://x/webhooks/shopify']);

    expect(command.target).toEqual({
      aws: { tableName: 'T', webhookUrl: 'https://x/webhooks/shopify', queuePrefix: 'LoyaltyLoop' },
    });
  });

  it.each([
    [['list'], 'pass --table and --webhook-url'],
    [['retry', '--local', 'http://127.0.0.1:3000'], 'unknown command "retry"'],
  ])('refuses %j', (args, error) => {
    const parse = () => parseCommand(args);

    expect(parse).toThrow(error);
  });
});
