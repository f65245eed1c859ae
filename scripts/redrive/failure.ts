import type { Message } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { describeIssues } from '#commons/validation.ts';

/** What one dead-letter message is, and therefore how it is redriven. */
export type Failure =
  /** A Lambda asynchronous invocation that failed after its retries (on-failure destination). */
  | { kind: 'async'; functionArn: string; payload: unknown; condition: string; error: string }
  /** A stream batch that failed after its retries: the records stay in the stream for 24 hours. */
  | StreamBatchFailure
  /** An event EventBridge could not deliver to its target (rule DLQ; attributes name the target). */
  | { kind: 'event'; targetArn: string; event: unknown; error: string }
  | { kind: 'unknown'; reason: string };

/** Where a failed stream batch lies in the stream, as Lambda's on-failure record describes it. */
export type StreamBatchFailure = {
  kind: 'stream';
  functionArn: string;
  condition: string;
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
};

/** Lambda's on-failure record: which function, and why it gave up (`RetriesExhausted`, `RecordAgeExceeded`...). */
const RequestContext = z.object({ functionArn: z.string().min(1), condition: z.string().default('') });

const StreamBatchRecord = z.object({
  requestContext: RequestContext,
  DDBStreamBatchInfo: z.object({
    streamArn: z.string().min(1),
    shardId: z.string().min(1),
    startSequenceNumber: z.string().regex(/^\d+$/),
    endSequenceNumber: z.string().regex(/^\d+$/),
    batchSize: z.number().default(0),
  }),
});

const AsyncInvocationRecord = z.object({
  requestContext: RequestContext,
  requestPayload: z.unknown(),
  responsePayload: z.unknown(),
});

/** What a failed function answered: Lambda's error object, or whatever it returned. */
const ErrorPayload = z.object({ errorMessage: z.string() });

const has = (body: unknown, key: string): body is Record<string, unknown> =>
  typeof body === 'object' && body !== null && key in body;

const parseJson = (text: string): { json: unknown } | null => {
  try {
    return { json: JSON.parse(text) };
  } catch {
    return null;
  }
};

/**
 * Classifies a dead-letter message by its shape: Lambda's on-failure record of a stream batch
 * (`DDBStreamBatchInfo`) or of an asynchronous invocation (`requestPayload`); otherwise an
 * EventBridge rule DLQ message, the undelivered event itself, whose attributes name its target.
 */
export const classify = (message: Message): Failure => {
  const parsed = parseJson(message.Body ?? '');
  if (!parsed) return { kind: 'unknown', reason: 'body is not JSON' };
  const body = parsed.json;
  if (has(body, 'DDBStreamBatchInfo')) {
    const record = StreamBatchRecord.safeParse(body);
    if (!record.success)
      return { kind: 'unknown', reason: `stream batch record: ${describeIssues(record.error)}` };
    const { requestContext, DDBStreamBatchInfo } = record.data;
    return { kind: 'stream', ...requestContext, ...DDBStreamBatchInfo };
  }
  if (has(body, 'requestPayload')) {
    const record = AsyncInvocationRecord.safeParse(body);
    if (!record.success)
      return { kind: 'unknown', reason: `asynchronous invocation record: ${describeIssues(record.error)}` };
    const { requestContext, requestPayload, responsePayload } = record.data;
    return {
      kind: 'async',
      ...requestContext,
      payload: requestPayload,
      error: ErrorPayload.safeParse(responsePayload).data?.errorMessage ?? '',
    };
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const targetArn = attribute('TARGET_ARN');
  if (targetArn)
    return {
      kind: 'event',
      targetArn,
      event: body,
      error: attribute('ERROR_MESSAGE') ?? attribute('ERROR_CODE') ?? '',
    };
  return { kind: 'unknown', reason: 'not a Lambda, stream or EventBridge failure record' };
};
