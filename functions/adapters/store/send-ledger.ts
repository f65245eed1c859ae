import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { DUE_PK, DUE_SK, dueAttributes, feedAttributes, type SendKey, sendKey } from './keys.ts';
import { isConditionFailure, itemOnConditionFailure, type StoreTable } from './table.ts';

export type { SendKey } from './keys.ts';
/** `taken`: another invocation holds the claim (its email went out, or is going out). */
export type SendClaim = 'claimed' | 'taken';

/** A failed send is tried again by the dispatcher this many times, backing off a minute more each time. */
export const MAX_SEND_ATTEMPTS = 8;

/** What a claim keeps of the pending send it takes over (see `PendingSends`). */
export type ClaimRecord = { enteredAt?: string; dueAt?: string; delaySource?: string; attempts?: number };

/**
 * The send ledger: at most one email per stage entry. An entry is one conditional write, the
 * claim, made before the email is handed to SES — over the entry's pending send, if it has one;
 * the claimant is the invocation (its request id), so an SDK retry after a lost answer recognises
 * its own claim. A send that fails before SES accepted it releases the claim (status `failed`,
 * due again after a backoff), and a retry may claim it again. A claim that is never released
 * stands for the email: it went out, or its sender died trying (at most once).
 */
export class SendLedger {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  /**
   * Claims the entry for its email (`claimed`), or — for a customer of the stage's control group —
   * records that they were held out at this decision (`control`; no email follows).
   */
  async claim(
    send: SendKey,
    claimant: string,
    nowIso: string,
    record: ClaimRecord = {},
    as: 'claimed' | 'control' = 'claimed',
  ): Promise<SendClaim> {
    const { journeyId, stageId, entryId } = send;
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...sendKey(send),
            kind: ItemKind.Send,
            status: as,
            journeyId,
            stageId,
            entryId,
            claimedAt: nowIso,
            claimant,
            ...record,
            // In the analytics feed: the send (or the control), once per stage entry.
            ...feedAttributes(send.shop, send.customerId, nowIso),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status IN (:pending, :failed)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':failed': 'failed' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return itemOnConditionFailure(error).claimant?.S === claimant ? 'claimed' : 'taken';
    }
  }

  /**
   * Releases this claimant's claim after a send that failed before SES accepted it, due again after
   * a backoff unless it has been tried MAX_SEND_ATTEMPTS times. Idempotent.
   */
  async release(send: SendKey, claimant: string, reason: string, at: string, attempts = 1): Promise<void> {
    const retry = attempts < MAX_SEND_ATTEMPTS;
    const due = dueAttributes(
      'SEND',
      send.customerId,
      new Date(Date.parse(at) + attempts * 60_000).toISOString(),
    );
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: sendKey(send),
          UpdateExpression: retry
            ? `SET #status = :failed, failedAt = :at, reason = :reason, attempts = :attempts, ${DUE_PK} = :duePk, ${DUE_SK} = :dueSk`
            : 'SET #status = :failed, failedAt = :at, reason = :reason, attempts = :attempts',
          ConditionExpression: 'claimant = :claimant',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':at': at,
            ':reason': reason.slice(0, 1000),
            ':claimant': claimant,
            ':attempts': attempts,
            ...(retry ? { ':duePk': due[DUE_PK], ':dueSk': due[DUE_SK] } : {}),
          },
        }),
      );
    } catch (error) {
      // Not our claim (never written, or claimed again by a retry since): nothing to release.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
