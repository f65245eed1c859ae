import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { repairImage } from '../local/stream-poller.ts';

/**
 * Lists and redrives what failed: the stack's dead-letter queues and the quarantined webhooks.
 *
 *   npm run redrive -- list                      # DLQ messages and quarantined webhooks
 *   npm run redrive -- redrive [--dlq|--quarantine] [--shop S]
 *
 * In AWS pass `--table`, `--webhook-url` (stack outputs) and `--queue-prefix` (the stack name,
 * default LoyaltyLoop); against the local stack pass `--local http://127.0.0.1:3000` instead.
 */

export type Target = {
  sqs: SQSClient;
  lambda: LambdaClient;
  streams: DynamoDBStreamsClient;
  doc: DynamoDBDocumentClient;
  queuePrefix: string;
  tableName: string;
  webhookUrl: string;
};

/** What one dead-letter message is, and therefore how it is redriven. */
export type Failure =
  /** A Lambda asynchronous invocation that failed after its retries (on-failure destination). */
  | { kind: 'async'; functionArn: string; payload: unknown; condition: string; error: string }
  /** A stream batch that failed after its retries: the records stay in the stream for 24 hours. */
  | {
      kind: 'stream';
      functionArn: string;
      condition: string;
      streamArn: string;
      shardId: string;
      startSequenceNumber: string;
      endSequenceNumber: string;
      batchSize: number;
    }
  /** An event EventBridge could not deliver to its target (rule DLQ; attributes name the target). */
  | { kind: 'event'; targetArn: string; event: unknown; error: string }
  | { kind: 'unknown'; reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const classify = (message: Message): Failure => {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return { kind: 'unknown', reason: 'body is not JSON' };
  }
  const context = isObject(body) && isObject(body.requestContext) ? body.requestContext : null;
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  if (isObject(body) && context && isObject(body.DDBStreamBatchInfo)) {
    const info = body.DDBStreamBatchInfo;
    return {
      kind: 'stream',
      functionArn: String(context.functionArn),
      condition: String(context.condition ?? ''),
      streamArn: String(info.streamArn),
      shardId: String(info.shardId),
      startSequenceNumber: String(info.startSequenceNumber),
      endSequenceNumber: String(info.endSequenceNumber),
      batchSize: Number(info.batchSize ?? 0),
    };
  }
  if (isObject(body) && context && 'requestPayload' in body) {
    const response = isObject(body.responsePayload) ? body.responsePayload : {};
    return {
      kind: 'async',
      functionArn: String(context.functionArn),
      payload: body.requestPayload,
      condition: String(context.condition ?? ''),
      error: String(response.errorMessage ?? ''),
    };
  }
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

const queueUrls = async (target: Target): Promise<string[]> =>
  (await target.sqs.send(new ListQueuesCommand({ QueueNamePrefix: target.queuePrefix }))).QueueUrls ?? [];

/**
 * Every message of a queue, each hidden for `visibilitySeconds` while it is handled. With 0 the
 * messages stay visible (a listing that changes nothing): it stops once a page brings nothing new.
 */
async function* messagesOf(target: Target, queueUrl: string, visibilitySeconds: number) {
  const seen = new Set<string>();
  for (;;) {
    const { Messages = [] } = await target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = Messages.filter((m) => !seen.has(m.MessageId ?? ''));
    if (fresh.length === 0) return;
    for (const m of fresh) seen.add(m.MessageId ?? '');
    yield* fresh;
  }
}

export type DeadLetterListing = { queue: string; messageId: string; failure: Failure };

/** Lists the dead-letter messages without hiding or removing any (SQS may leave some out of one listing). */
export const listDeadLetters = async (target: Target): Promise<DeadLetterListing[]> => {
  const listing: DeadLetterListing[] = [];
  for (const url of await queueUrls(target)) {
    for await (const message of messagesOf(target, url, 0)) {
      listing.push({
        queue: url.split('/').pop() ?? url,
        messageId: message.MessageId ?? '',
        failure: classify(message),
      });
    }
  }
  return listing;
};

/** The records of one failed stream batch, read again from the stream, in the shape Lambda delivers. */
const readStreamBatch = async (target: Target, failure: Extract<Failure, { kind: 'stream' }>) => {
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
  for (let empty = 0; iterator && empty < 5; ) {
    const page = await target.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    const within = (page.Records ?? []).filter((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0') <= end);
    records.push(...within);
    if (
      within.length < (page.Records ?? []).length ||
      records.at(-1)?.dynamodb?.SequenceNumber === failure.endSequenceNumber
    )
      break;
    empty = (page.Records ?? []).length === 0 ? empty + 1 : 0;
    iterator = page.NextShardIterator;
  }
  return records.map((r) => ({
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: r.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: r.awsRegion,
    eventSourceARN: failure.streamArn,
    dynamodb: {
      ...r.dynamodb,
      // DynamoDB Local streams empty maps as `{}`; AWS never sends an empty attribute value, so this is a no-op there.
      ...(r.dynamodb?.NewImage ? { NewImage: asLambdaImage(repairImage(r.dynamodb.NewImage)) } : {}),
      ...(r.dynamodb?.OldImage ? { OldImage: asLambdaImage(repairImage(r.dynamodb.OldImage)) } : {}),
      ApproximateCreationDateTime: Math.floor(
        (r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) / 1000,
      ),
    },
  }));
};

/**
 * An image as Lambda's event carries it: the SDK hands binary attributes over as bytes, Lambda's
 * JSON as base64 strings (serialising bytes as JSON would turn them into an object of numbers).
 */
const asLambdaImage = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(asLambdaImage);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, asLambdaImage(v)]));
};

const decode = (payload: Uint8Array | undefined): unknown => {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  return text ? JSON.parse(text) : null;
};

/** Redrives one failure; resolves to an error text when it failed again (the message is kept). */
const redriveOne = async (target: Target, failure: Failure): Promise<string | null> => {
  switch (failure.kind) {
    case 'async':
    case 'event': {
      // Asynchronous again: Lambda's retries and on-failure destination apply once more.
      const response = await target.lambda.send(
        new InvokeCommand({
          FunctionName: failure.kind === 'async' ? failure.functionArn : failure.targetArn,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(failure.kind === 'async' ? failure.payload : failure.event)),
        }),
      );
      return response.StatusCode === 202 ? null : `Lambda answered ${response.StatusCode}`;
    }
    case 'stream': {
      const records = await readStreamBatch(target, failure);
      if (records.length === 0) return 'the records have left the stream (24-hour retention)';
      const response = await target.lambda.send(
        new InvokeCommand({
          FunctionName: failure.functionArn,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify({ Records: records })),
        }),
      );
      const result = decode(response.Payload) as {
        batchItemFailures?: unknown[];
        errorMessage?: string;
      } | null;
      if (response.FunctionError) return `function failed: ${result?.errorMessage ?? response.FunctionError}`;
      if (result?.batchItemFailures?.length) return `${result.batchItemFailures.length} records failed again`;
      return null;
    }
    case 'unknown':
      return `cannot redrive: ${failure.reason}`;
  }
};

export type RedriveReport = {
  redriven: number;
  failed: { queue: string; messageId: string; error: string }[];
};

/** Redrives every dead-letter message; a message is deleted only once its redrive succeeded. */
export const redriveDeadLetters = async (target: Target): Promise<RedriveReport> => {
  const report: RedriveReport = { redriven: 0, failed: [] };
  for (const url of await queueUrls(target)) {
    const queue = url.split('/').pop() ?? url;
    for await (const message of messagesOf(target, url, 300)) {
      const error = await redriveOne(target, classify(message)).catch((e: unknown) => String(e));
      if (error) {
        report.failed.push({ queue, messageId: message.MessageId ?? '', error });
        continue;
      }
      await target.sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
      );
      report.redriven++;
    }
  }
  return report;
};

export type QuarantinedWebhook = {
  pk: string;
  sk: string;
  topic: string;
  eventId: string;
  reason: string;
  receivedAt: string;
  bodyBytes: number;
  headers: Record<string, string>;
  bodyBase64: string;
};

/** Quarantined webhooks of one shop (a query) or of every shop (a scan of the table). */
export const listQuarantine = async (target: Target, shop?: string): Promise<QuarantinedWebhook[]> => {
  const items: QuarantinedWebhook[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await target.doc.send(
      shop
        ? new QueryCommand({
            TableName: target.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `SHOP#${shop}#QUARANTINE` },
            ExclusiveStartKey: start,
          })
        : new ScanCommand({
            TableName: target.tableName,
            FilterExpression: 'kind = :quarantine',
            ExpressionAttributeValues: { ':quarantine': 'quarantine' },
            ExclusiveStartKey: start,
          }),
    );
    items.push(...((page.Items ?? []) as QuarantinedWebhook[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/**
 * Posts each quarantined webhook again, byte for byte with its Shopify headers (so its HMAC still
 * verifies), e.g. after a fix was deployed. Answered 200 it leaves the quarantine (if it is still
 * unusable, the webhook function quarantines it afresh); a truncated body cannot be redriven.
 */
export const redriveQuarantine = async (
  target: Target,
  shop?: string,
): Promise<{ redriven: number; requarantined: number; failed: { eventId: string; error: string }[] }> => {
  const report = { redriven: 0, requarantined: 0, failed: [] as { eventId: string; error: string }[] };
  for (const item of await listQuarantine(target, shop)) {
    const body = Buffer.from(item.bodyBase64, 'base64');
    if (body.length !== item.bodyBytes) {
      report.failed.push({
        eventId: item.eventId,
        error: `body was cut to ${body.length} of ${item.bodyBytes} bytes`,
      });
      continue;
    }
    const headers = Object.fromEntries(
      Object.entries(item.headers).filter(
        ([name]) => name.startsWith('x-shopify-') || name === 'content-type',
      ),
    );
    const response = await fetch(target.webhookUrl, { method: 'POST', headers, body });
    const answer = (await response.json().catch(() => ({}))) as { status?: string };
    if (response.status !== 200) {
      report.failed.push({ eventId: item.eventId, error: `webhook answered ${response.status}` });
      continue;
    }
    await target.doc.send(
      new DeleteCommand({ TableName: target.tableName, Key: { pk: item.pk, sk: item.sk } }),
    );
    if (answer.status === 'quarantined') report.requarantined++;
    else report.redriven++;
  }
  return report;
};

/** Clients and names for a local stack, from its health endpoint. */
export const localTarget = async (url: string): Promise<Target> => {
  const health = (await (await fetch(`${url}/_local/health`)).json()) as {
    endpoints: { aws: string; dynamoDb: string };
    tableName: string;
    stackName: string;
  };
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return {
    sqs: new SQSClient({ ...config, endpoint: health.endpoints.aws }),
    lambda: new LambdaClient({ ...config, endpoint: health.endpoints.aws }),
    streams: new DynamoDBStreamsClient({ ...config, endpoint: health.endpoints.dynamoDb }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: health.endpoints.dynamoDb })),
    queuePrefix: health.stackName,
    tableName: health.tableName,
    webhookUrl: `${url}/webhooks/shopify`,
  };
};

const main = async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      local: { type: 'string' },
      table: { type: 'string' },
      'webhook-url': { type: 'string' },
      'queue-prefix': { type: 'string', default: 'LoyaltyLoop' },
      shop: { type: 'string' },
      dlq: { type: 'boolean', default: false },
      quarantine: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0] ?? 'list';
  if (command !== 'list' && command !== 'redrive')
    throw new Error(`unknown command "${command}" (list | redrive)`);
  let target: Target;
  if (values.local) target = await localTarget(values.local);
  else {
    if (!values.table || !values['webhook-url'])
      throw new Error('pass --table and --webhook-url (stack outputs), or --local URL');
    target = {
      sqs: new SQSClient({}),
      lambda: new LambdaClient({}),
      streams: new DynamoDBStreamsClient({}),
      doc: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      queuePrefix: values['queue-prefix'],
      tableName: values.table,
      webhookUrl: values['webhook-url'],
    };
  }
  const both = !values.dlq && !values.quarantine;
  const out: Json = {};
  if (command === 'list') {
    if (both || values.dlq) out.deadLetters = await listDeadLetters(target);
    if (both || values.quarantine)
      out.quarantine = (await listQuarantine(target, values.shop)).map(
        ({ bodyBase64: _b, headers: _h, ...rest }) => rest,
      );
  } else {
    if (both || values.dlq) out.deadLetters = await redriveDeadLetters(target);
    if (both || values.quarantine) out.quarantine = await redriveQuarantine(target, values.shop);
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
};

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`redrive: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
