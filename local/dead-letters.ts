import { createHash, randomUUID } from 'node:crypto';

/** In-memory stand-ins for the stack's SQS dead-letter queues: what failed, with its context. */
export type DeadLetter = {
  queueId: string;
  messageId: string;
  receivedAt: string;
  body: unknown;
  /** SQS message attributes (EventBridge puts RULE_ARN, TARGET_ARN, ERROR_CODE... on its DLQ messages). */
  attributes: Record<string, string>;
};

type Stored = DeadLetter & { invisibleUntil: number; receipt: string | null };

/**
 * The queues behind `GET /_local/dead-letters` and the SQS calls the redrive command makes
 * (receive with a visibility timeout, delete by receipt handle).
 */
export class DeadLetters {
  private readonly queues = new Map<string, Stored[]>();

  constructor(queueIds: readonly string[]) {
    for (const id of queueIds) this.queues.set(id, []);
  }

  get queueIds(): string[] {
    return [...this.queues.keys()];
  }

  send(queueId: string, body: unknown, now: number, attributes: Record<string, string> = {}): void {
    const queue = this.queues.get(queueId);
    if (!queue) throw new Error(`no queue ${queueId} in the template`);
    queue.push({
      queueId,
      messageId: randomUUID(),
      receivedAt: new Date(now).toISOString(),
      body,
      attributes,
      invisibleUntil: 0,
      receipt: null,
    });
  }

  list(): DeadLetter[] {
    return [...this.queues.values()].flat().map(({ queueId, messageId, receivedAt, body, attributes }) => ({
      queueId,
      messageId,
      receivedAt,
      body,
      attributes,
    }));
  }

  count(queueId: string): number {
    return this.queues.get(queueId)?.length ?? 0;
  }

  /** SQS ReceiveMessage: up to `max` visible messages, hidden for `visibilitySeconds`. */
  receive(queueId: string, max: number, visibilitySeconds: number) {
    const queue = this.queues.get(queueId) ?? [];
    const now = Date.now();
    return queue
      .filter((m) => m.invisibleUntil <= now)
      .slice(0, max)
      .map((m) => {
        m.invisibleUntil = now + visibilitySeconds * 1000;
        m.receipt = randomUUID();
        const body = JSON.stringify(m.body);
        return {
          MessageId: m.messageId,
          ReceiptHandle: m.receipt,
          Body: body,
          MD5OfBody: createHash('md5').update(body).digest('hex'),
          Attributes: { SentTimestamp: String(Date.parse(m.receivedAt)) },
          ...(Object.keys(m.attributes).length > 0
            ? {
                MessageAttributes: Object.fromEntries(
                  Object.entries(m.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
                ),
              }
            : {}),
        };
      });
  }

  /** SQS DeleteMessage; false when the receipt handle is unknown. */
  delete(queueId: string, receipt: string): boolean {
    const queue = this.queues.get(queueId) ?? [];
    const index = queue.findIndex((m) => m.receipt === receipt);
    if (index < 0) return false;
    queue.splice(index, 1);
    return true;
  }
}
