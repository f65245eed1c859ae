import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { assertUnreachable } from '#domain/conditions.ts';
import type { Target } from '../operator-target.ts';
import { classify, type Failure } from './failure.ts';
import { redriveStreamBatch } from './stream-batch.ts';

/** How long a message being redriven stays hidden from other readers of its queue. */
const REDRIVE_VISIBILITY_SECONDS = 300;

const queueUrls = async (target: Target): Promise<string[]> =>
  (await target.sqs.send(new ListQueuesCommand({ QueueNamePrefix: target.queuePrefix }))).QueueUrls ?? [];

const queueName = (url: string): string => url.split('/').pop() ?? url;

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
      listing.push({ queue: queueName(url), messageId: message.MessageId ?? '', failure: classify(message) });
    }
  }
  return listing;
};

/** Invokes a function asynchronously again: Lambda's retries and on-failure destination apply once more. */
const invokeAsync = async (target: Target, functionArn: string, event: unknown): Promise<string | null> => {
  const response = await target.lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  return response.StatusCode === 202 ? null : `Lambda answered ${response.StatusCode}`;
};

/** Redrives one failure; resolves to an error text when it failed again (the message is kept). */
const redriveOne = async (target: Target, failure: Failure): Promise<string | null> => {
  switch (failure.kind) {
    case 'async':
      return invokeAsync(target, failure.functionArn, failure.payload);
    case 'event':
      return invokeAsync(target, failure.targetArn, failure.event);
    case 'stream':
      return redriveStreamBatch(target, failure);
    case 'unknown':
      return `cannot redrive: ${failure.reason}`;
    default:
      return assertUnreachable(failure);
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
    for await (const message of messagesOf(target, url, REDRIVE_VISIBILITY_SECONDS)) {
      const error = await redriveOne(target, classify(message)).catch((e: unknown) => String(e));
      if (error) {
        report.failed.push({ queue: queueName(url), messageId: message.MessageId ?? '', error });
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
