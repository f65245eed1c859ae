import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { repairImage } from '#adapters/store/stream-image.ts';
import type { LocalClock } from './clock.ts';
import type { DeadLetters } from './dead-letters.ts';
import { matchesPattern } from './event-pattern.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { LOCAL_REGION, type StreamMappingSpec } from './template.ts';

/** A stream record in the shape Lambda hands to a function. */
export type LambdaStreamRecord = {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  eventSourceARN: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime: number };
};

const POLL_INTERVAL_MS = 50;
const SHARD_REFRESH_MS = 1000;
export const STREAM_RETRY_BASE_MS = 100;

/** A record as DynamoDB Streams puts it on the wire (DynamoDB JSON, epoch-second timestamps). */
type WireRecord = {
  eventID?: string;
  eventName?: string;
  eventVersion?: string;
  dynamodb?: Record<string, unknown> & { SequenceNumber?: string; ApproximateCreationDateTime?: number };
};

const toLambdaRecord = (record: WireRecord, streamArn: string): LambdaStreamRecord => ({
  eventID: record.eventID ?? '',
  eventName: record.eventName ?? '',
  eventVersion: record.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: LOCAL_REGION,
  eventSourceARN: streamArn,
  dynamodb: {
    ...record.dynamodb,
    ...(record.dynamodb?.NewImage ? { NewImage: repairImage(record.dynamodb.NewImage) } : {}),
    ...(record.dynamodb?.OldImage ? { OldImage: repairImage(record.dynamodb.OldImage) } : {}),
    ApproximateCreationDateTime: Math.floor(
      record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000,
    ),
    SequenceNumber: record.dynamodb?.SequenceNumber ?? '',
  },
});

/**
 * GetRecords without the SDK: the wire JSON is exactly what Lambda forwards (binary attributes as
 * base64 strings, where the SDK would hand over bytes).
 */
const getRecords = async (endpoint: string, iterator: string) => {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDBStreams_20120810.GetRecords',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ ShardIterator: iterator, Limit: 1000 }),
  });
  const body = (await response.json()) as {
    Records?: WireRecord[];
    NextShardIterator?: string;
    __type?: string;
    message?: string;
  };
  if (!response.ok) {
    if (body.__type?.includes('ExpiredIteratorException')) return 'expired' as const;
    throw new Error(`GetRecords failed: ${body.__type ?? response.status} ${body.message ?? ''}`);
  }
  return { records: body.Records ?? [], next: body.NextShardIterator ?? null };
};

type Shard = {
  id: string;
  parentId: string | null;
  iterator: string | null;
  lastSequence: string | null;
  closed: boolean;
};

/**
 * Lambda's event source mapping for one DynamoDB stream: reads every shard in order, drops
 * records the filter criteria reject, invokes the function with batches of at most BatchSize,
 * and on failure does what Lambda does: with ReportBatchItemFailures, retries from the first
 * failed record; bisects a failing batch when BisectBatchOnFunctionError; gives up after
 * MaximumRetryAttempts or MaximumRecordAgeInSeconds and sends the batch description to the
 * on-failure destination. A shard does not move past a batch until it is done with it.
 */
export class StreamPoller {
  private readonly shards = new Map<string, Shard>();
  private running = false;
  private loop: Promise<void> | null = null;
  private lastShardRefresh = 0;
  /** Counts polling rounds that found nothing to do; `settled()` waits for fresh ones. */
  private quietRounds = 0;
  readonly stats = { records: 0, delivered: 0, filteredOut: 0, failedInvocations: 0, deadLettered: 0 };

  private readonly mapping: StreamMappingSpec;
  private readonly streamArn: string;
  private readonly fn: LocalFunction;
  private readonly client: DynamoDBStreamsClient;
  private readonly endpoint: string;
  private readonly deadLetters: DeadLetters;
  private readonly clock: LocalClock;

  constructor(deps: {
    mapping: StreamMappingSpec;
    streamArn: string;
    fn: LocalFunction;
    client: DynamoDBStreamsClient;
    endpoint: string;
    deadLetters: DeadLetters;
    clock: LocalClock;
  }) {
    this.mapping = deps.mapping;
    this.streamArn = deps.streamArn;
    this.fn = deps.fn;
    this.client = deps.client;
    this.endpoint = deps.endpoint;
    this.deadLetters = deps.deadLetters;
    this.clock = deps.clock;
  }

  describe() {
    return { mapping: this.mapping.logicalId, shards: this.shards.size, ...this.stats };
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves once two polling rounds that began after this call found no new records. */
  async settled(timeoutMs: number): Promise<boolean> {
    const target = this.quietRounds + 2;
    const deadline = Date.now() + timeoutMs;
    while (this.quietRounds < target) {
      if (Date.now() > deadline || !this.running) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    return true;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (Date.now() - this.lastShardRefresh > SHARD_REFRESH_MS) await this.refreshShards();
        const found = await this.pollOnce();
        if (!found) {
          this.quietRounds++;
          await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        }
      } catch (error) {
        if (!this.running) return;
        process.stderr.write(`[local] stream poller ${this.mapping.logicalId}: ${String(error)}\n`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async refreshShards(): Promise<void> {
    this.lastShardRefresh = Date.now();
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.shards.has(shard.ShardId)) continue;
        this.shards.set(shard.ShardId, {
          id: shard.ShardId,
          parentId: shard.ParentShardId ?? null,
          iterator: null,
          lastSequence: null,
          closed: false,
        });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  /** One round over the readable shards; true when it delivered or dropped any record. */
  private async pollOnce(): Promise<boolean> {
    let found = false;
    for (const shard of this.shards.values()) {
      if (shard.closed) continue;
      const parent = shard.parentId ? this.shards.get(shard.parentId) : undefined;
      if (parent && !parent.closed) continue; // a child shard waits until its parent is drained
      const records = await this.read(shard);
      if (records.length === 0) continue;
      found = true;
      this.stats.records += records.length;
      const wanted = records
        .map((r) => toLambdaRecord(r, this.streamArn))
        .filter(
          (r) =>
            this.mapping.filterPatterns.length === 0 ||
            this.mapping.filterPatterns.some((p) => matchesPattern(p, r)),
        );
      this.stats.filteredOut += records.length - wanted.length;
      for (let i = 0; i < wanted.length; i += this.mapping.batchSize) {
        await this.deliver(shard.id, wanted.slice(i, i + this.mapping.batchSize), 0);
      }
    }
    return found;
  }

  private async read(shard: Shard): Promise<WireRecord[]> {
    if (!shard.iterator) {
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shard.id,
          ...(shard.lastSequence
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }
            : { ShardIteratorType: this.mapping.startingPosition }),
        }),
      );
      shard.iterator = ShardIterator ?? null;
      if (!shard.iterator) {
        shard.closed = true;
        return [];
      }
    }
    const result = await getRecords(this.endpoint, shard.iterator);
    if (result === 'expired') {
      shard.iterator = null;
      return [];
    }
    shard.iterator = result.next;
    if (!result.next) shard.closed = true;
    const last = result.records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) shard.lastSequence = last;
    return result.records;
  }

  private async deliver(shardId: string, batch: LambdaStreamRecord[], retries: number): Promise<void> {
    if (batch.length === 0) return;
    const maxAge = this.mapping.maxRecordAgeSeconds;
    if (maxAge >= 0) {
      // DynamoDB Local stamps records with real time, which advance-time does not move: age is real.
      const cutoff = Math.floor(Date.now() / 1000) - maxAge;
      const expired = batch.filter((r) => r.dynamodb.ApproximateCreationDateTime < cutoff);
      if (expired.length > 0) {
        this.deadLetter(shardId, expired, retries, 'RecordAgeExceeded');
        batch = batch.filter((r) => r.dynamodb.ApproximateCreationDateTime >= cutoff);
        if (batch.length === 0) return;
      }
    }
    let failedFrom: number;
    let wholeBatch = false;
    try {
      const response = (await this.fn.invoke({ Records: batch })) as {
        batchItemFailures?: { itemIdentifier?: string }[];
      } | null;
      const failures = this.mapping.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
      if (failures.length === 0) {
        this.stats.delivered += batch.length;
        return;
      }
      const indexes = failures.map((f) =>
        batch.findIndex((r) => r.dynamodb.SequenceNumber === f.itemIdentifier),
      );
      // An unknown or empty identifier fails the whole batch, as Lambda treats it.
      failedFrom = indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
      this.stats.delivered += failedFrom;
    } catch (error) {
      // Injected faults (fault-injection tests) are expected: only real failures are worth a line.
      if (!String(error).includes('Injected.Fault'))
        process.stderr.write(
          `[local] ${this.fn.spec.logicalId} failed a batch of ${batch.length}: ${String(error)}\n`,
        );
      failedFrom = 0;
      wholeBatch = true;
    }
    this.stats.failedInvocations++;
    const retry = batch.slice(failedFrom);
    if (this.mapping.maxRetryAttempts >= 0 && retries >= this.mapping.maxRetryAttempts) {
      this.deadLetter(shardId, retry, retries, 'RetryAttemptsExhausted');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(STREAM_RETRY_BASE_MS * 2 ** retries, 2000)));
    if (wholeBatch && this.mapping.bisectOnError && retry.length > 1) {
      const half = Math.ceil(retry.length / 2);
      await this.deliver(shardId, retry.slice(0, half), retries + 1);
      await this.deliver(shardId, retry.slice(half), retries + 1);
    } else {
      await this.deliver(shardId, retry, retries + 1);
    }
  }

  private deadLetter(
    shardId: string,
    records: LambdaStreamRecord[],
    retries: number,
    condition: string,
  ): void {
    this.stats.deadLettered += records.length;
    const first = records[0];
    const last = records.at(-1);
    const body = {
      version: '1.0',
      timestamp: new Date(this.clock.now()).toISOString(),
      requestContext: { functionArn: this.fn.spec.arn, condition, approximateInvokeCount: retries + 1 },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.dynamodb.SequenceNumber,
        endSequenceNumber: last?.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: first
          ? new Date(first.dynamodb.ApproximateCreationDateTime * 1000).toISOString()
          : null,
        approximateArrivalOfLastRecord: last
          ? new Date(last.dynamodb.ApproximateCreationDateTime * 1000).toISOString()
          : null,
        batchSize: records.length,
        streamArn: this.streamArn,
      },
    };
    if (this.mapping.onFailureQueueId)
      this.deadLetters.send(this.mapping.onFailureQueueId, body, this.clock.now());
    else
      process.stderr.write(
        `[local] ${this.mapping.logicalId} discarded ${records.length} records (${condition})\n`,
      );
  }
}
