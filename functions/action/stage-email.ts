import { sendEmail } from '#adapters/ses-mail.ts';
import type { SendLedger } from '#adapters/store/send-ledger.ts';
import { logger } from '#commons/logger.ts';
import type { StageEntryDetail } from '#domain/events.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';
import { composeEmail, type Sender } from './compose-email.ts';
import { recheck } from './recheck.ts';
import { sendOnce } from './send-once.ts';

export type ActionResult =
  | { status: 'sent'; messageId: string; to: string; template: string }
  | { status: 'skipped'; reason: string };

export type StageEmailDeps = Parameters<typeof recheck>[0] & {
  ledger: SendLedger;
  ses: Parameters<typeof sendEmail>[0];
  config: Pick<CompiledConfig, 'journeys' | 'templates' | 'brandName'>;
  /** The sender, read when an email is due (the unsubscribe key is a secret). */
  sender: () => Promise<Sender>;
};

/**
 * A stage entry's email: re-checked against the state now, composed, and sent once per entry
 * (the send ledger's claim). A replay after a successful send sends nothing.
 */
export const sendStageEmail = async (
  deps: StageEmailDeps,
  entry: StageEntryDetail,
  claimant: string,
): Promise<ActionResult> => {
  const send = {
    shop: entry.shop,
    customerId: entry.customerId,
    journeyId: entry.journeyId,
    stageId: entry.to,
    entryId: entry.entryId,
  };
  const skip = (reason: string): ActionResult => {
    logger.info('email skipped', { ...send, reason });
    return { status: 'skipped', reason };
  };
  // The rules route no history; should one arrive anyway (a rule edited by hand), it sends nothing.
  if (entry.backfill) return skip('the stage was entered from history (backfill)');
  const decision = await recheck(deps, deps.config, entry);
  if (!decision.send) return skip(decision.reason);
  const { action, customer, email: to } = decision;
  const email = composeEmail({
    config: deps.config,
    sender: await deps.sender(),
    entry,
    action,
    customer,
    to,
    now: new Date(),
  });
  const messageId = await sendOnce(deps.ledger, send, claimant, () => sendEmail(deps.ses, email));
  if (messageId === null) return skip('the send ledger holds a claim for this entry');
  logger.info('email sent', { ...send, messageId });
  return { status: 'sent', messageId, to, template: action.template };
};
