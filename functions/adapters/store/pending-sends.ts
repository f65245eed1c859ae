import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, SEND_RECORD_RETENTION_DAYS } from '#domain/timing.ts';
import { readDue } from './due-index.ts';
import { ItemKind } from './item-kinds.ts';
import {
  customerPk,
  DUE_PK,
  DUE_SK,
  dueAttributes,
  SEND_SK_PREFIX,
  type SendKey,
  sendKey,
  sendOfKey,
  stageSendPrefix,
} from './keys.ts';
import { isConditionFailure, putIf, queryPartition, type StoreTable } from './table.ts';

/**
 * Where a stage entry's send stands. `pending`: due at `dueAt`; `claimed`: handed to SES (see
 * `SendLedger`); `control`: held out (the stage's control group), no email; `failed`: SES refused
 * it and it is due again; `cancelled`: the customer left the stage (or ordered) before it was due;
 * `skipped`: the re-check at the due time (or the frequency cap) said no.
 */
export type SendStatus = 'pending' | 'claimed' | 'control' | 'failed' | 'cancelled' | 'skipped';

export type PendingSend = SendKey & {
  status: SendStatus;
  /** When the stage was entered (the entry's event time): what "ordered since" is measured from. */
  enteredAt: string;
  dueAt: string;
  /** Where the delay came from (`fixed`, `percentile`, `fallback`). */
  delaySource: string;
  /** How many times it was handed to SES and failed. */
  attempts: number;
  reason?: string;
};

/** Statuses a send can still go out from. */
const OPEN = [':pending', ':failed'] as const;
const OPEN_VALUES = { ':pending': 'pending', ':failed': 'failed' };

const expiresAt = (fromMs: number) => Math.floor((fromMs + SEND_RECORD_RETENTION_DAYS * DAY_MS) / 1000);

/**
 * Sends waiting for their time, as send ledger entries with status `pending` and the due index's
 * attributes: scheduled once per stage entry (a redelivered entry finds it written), cancelled by
 * the evaluator when the customer leaves the stage, closed by the action when the re-check says
 * no, and listed by due time for the dispatcher. A record that never became an email expires
 * (TTL) after SEND_RECORD_RETENTION_DAYS; a sent one is kept (analytics reads it).
 */
export class PendingSends {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  /** Records a stage entry's send, due at `dueAt`; `exists` when the entry already has a record. */
  async schedule(
    send: SendKey,
    input: { enteredAt: string; dueAt: string; delaySource: string; now: string },
  ): Promise<'scheduled' | 'exists'> {
    const { journeyId, stageId, entryId } = send;
    const written = await putIf(
      this.table,
      {
        ...sendKey(send),
        kind: ItemKind.Send,
        status: 'pending',
        journeyId,
        stageId,
        entryId,
        enteredAt: input.enteredAt,
        dueAt: input.dueAt,
        delaySource: input.delaySource,
        scheduledAt: input.now,
        expiresAt: expiresAt(Date.parse(input.now)),
        ...dueAttributes('SEND', send.customerId, input.dueAt),
      },
      { expression: 'attribute_not_exists(pk)' },
    );
    return written ? 'scheduled' : 'exists';
  }

  /** A stage entry's send record, read consistently; null when it has none. */
  async get(send: SendKey): Promise<PendingSend | null> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: sendKey(send), ConsistentRead: true }),
    );
    if (!Item) return null;
    return {
      ...send,
      status: Item.status as SendStatus,
      enteredAt: String(Item.enteredAt ?? Item.claimedAt ?? ''),
      dueAt: String(Item.dueAt ?? Item.claimedAt ?? ''),
      delaySource: String(Item.delaySource ?? 'fixed'),
      attempts: typeof Item.attempts === 'number' ? Item.attempts : 0,
      ...(typeof Item.reason === 'string' ? { reason: Item.reason } : {}),
    };
  }

  /** Every send record of a customer (pending, sent, held out, cancelled, skipped), for the admin API. */
  async ofCustomer(shop: string, customerId: string): Promise<Record<string, unknown>[]> {
    const items = await queryPartition(this.table, customerPk(shop, customerId), {
      skPrefix: SEND_SK_PREFIX,
    });
    return items.map((item) => {
      const sentOrDecided =
        item.status === 'claimed' ? 'sentAt' : item.status === 'control' ? 'decidedAt' : null;
      const view = {
        journeyId: item.journeyId,
        stageId: item.stageId,
        entryId: item.entryId,
        status: item.status,
        enteredAt: item.enteredAt,
        dueAt: item.dueAt,
        // Where the delay came from: the stage's days, the shop's repurchase percentile, or the fallback.
        delaySource: item.delaySource,
        ...(sentOrDecided ? { [sentOrDecided]: item.claimedAt } : {}),
        reason: item.reason,
        heldReason: item.heldReason,
      };
      return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
    });
  }

  /**
   * Closes a send that has not gone out (`cancelled` or `skipped`, with why): it leaves the due
   * index at once. False when it was no longer open (sent meanwhile, or closed already).
   */
  close(send: SendKey, outcome: 'cancelled' | 'skipped', reason: string, at: string): Promise<boolean> {
    return this.updateOpen(
      send,
      `SET #status = :outcome, reason = :reason, closedAt = :at, expiresAt = :expires REMOVE ${DUE_PK}, ${DUE_SK}`,
      {
        ':outcome': outcome,
        ':reason': reason.slice(0, 1000),
        ':at': at,
        ':expires': expiresAt(Date.parse(at)),
      },
    );
  }

  /**
   * Holds an open send until `dueAt` (quiet hours, a deferring frequency cap): it stays pending,
   * due then, with why. False when it was no longer open.
   */
  hold(send: SendKey, dueAt: string, reason: string, at: string): Promise<boolean> {
    const due = dueAttributes('SEND', send.customerId, dueAt);
    return this.updateOpen(
      send,
      `SET dueAt = :dueAt, heldReason = :reason, heldAt = :at, ${DUE_PK} = :duePk, ${DUE_SK} = :dueSk`,
      {
        ':dueAt': dueAt,
        ':reason': reason.slice(0, 1000),
        ':at': at,
        ':duePk': due[DUE_PK],
        ':dueSk': due[DUE_SK],
      },
    );
  }

  /** An update of a send that is still open (pending or failed); false when it no longer was. */
  private async updateOpen(send: SendKey, update: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: sendKey(send),
          UpdateExpression: update,
          ConditionExpression: `#status IN (${OPEN.join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...OPEN_VALUES, ...values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** When the customer's emails since `since` were sent (claimed), for the frequency cap. */
  sentSince(shop: string, customerId: string, since: string): Promise<number[]> {
    return this.sentTimes({ shop, customerId, prefix: SEND_SK_PREFIX, since });
  }

  /** When this stage's emails to the customer were sent (claimed), other than `send`'s own: for re-entry. */
  sentBefore(send: SendKey): Promise<number[]> {
    const prefix = stageSendPrefix(send.journeyId, send.stageId);
    return this.sentTimes({ ...send, prefix, since: '', except: sendKey(send).sk });
  }

  private async sentTimes(input: {
    shop: string;
    customerId: string;
    prefix: string;
    since: string;
    except?: string;
  }): Promise<number[]> {
    // A filter would not make the read cheaper (DynamoDB charges for what it reads): filtered here.
    const items = await queryPartition(this.table, customerPk(input.shop, input.customerId), {
      skPrefix: input.prefix,
    });
    return items
      .filter(
        (item) =>
          item.status === 'claimed' && item.sk !== input.except && String(item.claimedAt) >= input.since,
      )
      .map((item) => Date.parse(String(item.claimedAt)));
  }

  /**
   * Cancels a customer's open sends of one stage (they left it, or ordered), those entered before
   * `enteredBefore` when given. Answers the sends it cancelled.
   */
  async cancelStage(
    input: { shop: string; customerId: string; journeyId: string; stageId: string; enteredBefore?: string },
    reason: string,
    at: string,
  ): Promise<SendKey[]> {
    // A customer's sends of one stage are few: read them all, the open ones are kept here.
    const items = await queryPartition(this.table, customerPk(input.shop, input.customerId), {
      skPrefix: stageSendPrefix(input.journeyId, input.stageId),
    });
    const { enteredBefore } = input;
    const cancelled: SendKey[] = [];
    for (const item of items) {
      const send = sendOfKey(item);
      if (!send || (item.status !== 'pending' && item.status !== 'failed')) continue;
      if (enteredBefore !== undefined && !(Date.parse(String(item.enteredAt)) < Date.parse(enteredBefore)))
        continue;
      if (await this.close(send, 'cancelled', reason, at)) cancelled.push(send);
    }
    return cancelled;
  }

  /** Sends due by `now` (see `readDue`), at most `limit`: what the dispatcher fires in one run. */
  async due(now: string, limit: number): Promise<SendKey[]> {
    return (await readDue(this.table, 'SEND', now, limit)).flatMap(({ key }) => {
      const send = sendOfKey(key);
      return send ? [send] : [];
    });
  }
}
