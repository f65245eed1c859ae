/** In-memory stand-ins for the stack's SQS dead-letter queues: what failed, with its context. */
export type DeadLetter = { queueId: string; receivedAt: string; body: unknown };

export class DeadLetters {
  private readonly queues = new Map<string, DeadLetter[]>();

  constructor(queueIds: readonly string[]) {
    for (const id of queueIds) this.queues.set(id, []);
  }

  send(queueId: string, body: unknown, now: number): void {
    const queue = this.queues.get(queueId);
    if (!queue) throw new Error(`no queue ${queueId} in the template`);
    queue.push({ queueId, receivedAt: new Date(now).toISOString(), body });
  }

  list(): DeadLetter[] {
    return [...this.queues.values()].flat();
  }
}
