import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Secure, bounded defaults shared by the constructs (one module, so they are reviewed once). */
export const DEFAULTS = {
  /** Stream batches: big enough to amortise invocations, small enough to retry cheaply. No batching
   *  window: journey emails should go out within a second of the webhook. */
  streamBatchSize: 100,
  /** A record is retried this many times (after bisecting) before it goes to the DLQ. */
  streamRetryAttempts: 8,
  /** Records older than this are sent to the DLQ rather than processed late. */
  streamMaxRecordAge: Duration.hours(6),
  /** Async (EventBridge → Lambda) retries and the age after which an event is dead-lettered. */
  targetRetryAttempts: 4,
  /** Retries of a failed asynchronous invocation (Lambda's maximum is 2). */
  asyncRetryAttempts: 2,
  targetMaxEventAge: Duration.hours(6),
  /** Long enough to redrive over a weekend after the DLQ alarm, short enough that personal data in
   *  SES feedback or failed events does not outlive a redaction by long. */
  dlqRetention: Duration.days(4),
  /** Replay after an incident needs days, not months: what is archived is personal data too. */
  archiveRetention: Duration.days(7),
} as const;

/** A dead-letter queue: SQS-managed encryption, TLS only, 4 days to redrive. */
export const deadLetterQueue = (scope: Construct, id: string): Queue => {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: DEFAULTS.dlqRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue (an on-failure destination); nothing consumes it automatically.',
  });
  return queue;
};

/** Why the stack's secrets do not rotate automatically, per secret. */
export const acknowledgeManualRotation = (secret: Construct, reason: string): void => {
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason });
};
