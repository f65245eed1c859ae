import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ItemKind } from './item-kinds.ts';
import { feedAttributes, type SendKey, sendKey } from './keys.ts';
import { isConditionFailure, itemOnConditionFailure, type StoreTable } from './table.ts';

export type { SendKey } from './keys.ts';
/** `taken`: another invocation holds the claim (its email went out, or is going out). */
export type SendClaim = 'claimed' | 'taken';

/**
 * The send ledger: at most one email per stage entry. An entry is one conditional write, the
 * claim, made before the email is handed to SES; the claimant is the invocation (its request id),
 * so an SDK retry after a lost answer recognises its own claim. A send that fails before SES
 * accepted it releases the claim (status `failed`), and a retry may claim it again. A claim that
 * is never released stands for the email: it went out, or its sender died trying (at most once).
 */
export class SendLedger {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async claim(send: SendKey, claimant: string, nowIso: string): Promise<SendClaim> {
    const { journeyId, stageId, entryId } = send;
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...sendKey(send),
            kind: ItemKind.Send,
            status: 'claimed',
            journeyId,
            stageId,
            entryId,
            claimedAt: nowIso,
            claimant,
            // In the analytics feed: the send, once per stage entry.
            ...feedAttributes(send.shop, send.customerId, nowIso),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return itemOnConditionFailure(error).claimant?.S === claimant ? 'claimed' : 'taken';
    }
  }

  /** Releases this claimant's claim after a send that failed before SES accepted it. Idempotent. */
  async release(send: SendKey, claimant: string, reason: string, at: string): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: sendKey(send),
          UpdateExpression: 'SET #status = :failed, failedAt = :at, reason = :reason',
          ConditionExpression: 'claimant = :claimant',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':at': at,
            ':reason': reason.slice(0, 1000),
            ':claimant': claimant,
          },
        }),
      );
    } catch (error) {
      // Not our claim (never written, or claimed again by a retry since): nothing to release.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
