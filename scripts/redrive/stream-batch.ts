import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { toLambdaImage } from '#adapters/store/stream-image.ts';
import type { Target } from '../operator-target.ts';
import type { StreamBatchFailure } from './failure.ts';

/** Pages in a row that may bring nothing before the batch's end is taken as unreachable. */
const EMPTY_PAGES_LIMIT = 5;

/** A stream record read with the SDK, in the shape Lambda's event source mapping delivers it. */
export const toLambdaStreamRecord = (record: StreamRecord, streamArn: string) => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion,
  eventSource: 'aws:dynamodb',
  awsRegion: record.awsRegion,
  eventSourceARN: streamArn,
  dynamodb: {
    ...record.dynamodb,
    ...(record.dynamodb?.NewImage ? { NewImage: toLambdaImage(record.dynamodb.NewImage) } : {}),
    ...(record.dynamodb?.OldImage ? { OldImage: toLambdaImage(record.dynamodb.OldImage) } : {}),
    ApproximateCreationDateTime: Math.floor(
      (record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) / 1000,
    ),
  },
});

/** The records of one failed stream batch, read again from its shard between its two sequence numbers. */
export const readStreamBatch = async (
  target: Target,
  failure: StreamBatchFailure,
): Promise<ReturnType<typeof toLambdaStreamRecord>[]> => {
  const end = BigInt(failure.endSequenceNumber);
  let iterator = (
    await target.streams.send(
      new GetShardIteratorCommand({
        StreamArn: failure.streamArn,
        ShardId: failure.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: failure.startSequenceNumber,
      }),
    )
  ).ShardIterator;
  const records: StreamRecord[] = [];
  for (let empty = 0; iterator && empty < EMPTY_PAGES_LIMIT; ) {
    const page = await target.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    const read = page.Records ?? [];
    const within = read.filter((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0') <= end);
    records.push(...within);
    if (within.length < read.length || records.at(-1)?.dynamodb?.SequenceNumber === failure.endSequenceNumber)
      break;
    empty = read.length === 0 ? empty + 1 : 0;
    iterator = page.NextShardIterator;
  }
  return records.map((r) => toLambdaStreamRecord(r, failure.streamArn));
};

/** What a stream function answers: partial batch failures, or Lambda's error object when it threw. */
const BatchResponse = z
  .object({ batchItemFailures: z.array(z.unknown()).optional(), errorMessage: z.string().optional() })
  .nullable();

const decode = (payload: Uint8Array | undefined): unknown => {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  return text ? JSON.parse(text) : null;
};

/**
 * Hands a failed batch, read again, to its function synchronously (so the answer says which
 * records failed); resolves to an error text unless every record succeeded.
 */
export const redriveStreamBatch = async (
  target: Target,
  failure: StreamBatchFailure,
): Promise<string | null> => {
  const records = await readStreamBatch(target, failure);
  if (records.length === 0) return 'the records have left the stream (24-hour retention)';
  const response = await target.lambda.send(
    new InvokeCommand({
      FunctionName: failure.functionArn,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify({ Records: records })),
    }),
  );
  const answer = BatchResponse.safeParse(decode(response.Payload)).data;
  if (response.FunctionError) return `function failed: ${answer?.errorMessage ?? response.FunctionError}`;
  if (answer?.batchItemFailures?.length) return `${answer.batchItemFailures.length} records failed again`;
  return null;
};
