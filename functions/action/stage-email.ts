import { sendEmail } from '#adapters/ses-mail.ts';
import type { SendKey } from '#adapters/store/keys.ts';
import type { PendingSend, PendingSends } from '#adapters/store/pending-sends.ts';
import type { SendLedger } from '#adapters/store/send-ledger.ts';
import { logger } from '#commons/logger.ts';
import { inControlGroup } from '#domain/holdout.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';
import { composeEmail, type Sender } from './compose-email.ts';
import { type PacingDeps, pace } from './pacing.ts';
import { recheck } from './recheck.ts';
import { sendOnce } from './send-once.ts';

export type ActionResult =
  | { status: 'sent'; messageId: string; to: string; template: string }
  | { status: 'scheduled'; dueAt: string; delaySource: string }
  | { status: 'waiting'; dueAt: string }
  | { status: 'held'; until: string; reason: string }
  | { status: 'control'; reason: string }
  | { status: 'cancelled' | 'skipped'; reason: string };

export type StageEmailDeps = Parameters<typeof recheck>[0] &
  Omit<PacingDeps, 'pending'> & {
    ledger: SendLedger;
    pending: PendingSends;
    ses: Parameters<typeof sendEmail>[0];
    config: Pick<CompiledConfig, 'journeys' | 'templates' | 'brandName'>;
    /** The sender, read when an email is due (the unsubscribe key is a secret). */
    sender: () => Promise<Sender>;
  };

/**
 * A stage entry's send whose time has come: re-checked against the state now (still in the
 * stage, not ordered since when the stage exits on an order, consent, address, installed, not
 * suppressed), paced (quiet hours, frequency cap), composed, and sent once per entry (the send
 * ledger's claim). A send the re-check refuses is closed with why (`cancelled` or `skipped`), one
 * paced is `held` until later (or `skipped` by the cap); one not yet due waits; a replay after a
 * successful send sends nothing.
 */
export const sendDueEmail = async (
  deps: StageEmailDeps,
  send: SendKey,
  claimant: string,
  now: Date,
  /** The pending send as the caller just wrote it: not read again. */
  written?: PendingSend,
): Promise<ActionResult> => {
  const record = written ?? (await deps.pending.get(send));
  if (!record) return { status: 'skipped', reason: 'the stage entry has no send' };
  if (record.status !== 'pending' && record.status !== 'failed')
    return { status: 'skipped', reason: `the send is ${record.status}` };
  if (record.status === 'pending' && Date.parse(record.dueAt) > now.getTime())
    return { status: 'waiting', dueAt: record.dueAt };
  const decision = await recheck(deps, deps.config, { ...send, enteredAt: record.enteredAt }, now.getTime());
  if (!decision.send) {
    await deps.pending.close(send, decision.outcome, decision.reason, now.toISOString());
    logger.info(`email ${decision.outcome}`, { ...send, reason: decision.reason });
    return { status: decision.outcome, reason: decision.reason };
  }
  const { action, customer, email: to } = decision;
  const paced = await pace(deps, send, { action, customer, now: now.getTime() });
  if (!paced.go) {
    const { outcome, reason } = paced;
    if (outcome === 'held') await deps.pending.hold(send, paced.until, reason, now.toISOString());
    else await deps.pending.close(send, outcome, reason, now.toISOString());
    logger.info(`email ${outcome}`, { ...send, reason });
    return outcome === 'held' ? { status: outcome, until: paced.until, reason } : { status: outcome, reason };
  }
  const { enteredAt, dueAt, delaySource } = record;
  const claim = { enteredAt, dueAt, delaySource, attempts: record.attempts + 1 };
  // The control group is decided here, where the email would go out: same checks, no email.
  if (inControlGroup(action.holdout, send)) {
    const reason = `holdout: the stage's control group (${action.holdout?.percent} %)`;
    const taken = await deps.ledger.claim(send, claimant, now.toISOString(), claim, 'control');
    logger.info('email held out', { ...send, reason, taken });
    return taken === 'claimed'
      ? { status: 'control', reason }
      : { status: 'skipped', reason: 'the send ledger holds a claim for this entry' };
  }
  const email = composeEmail({
    config: deps.config,
    sender: await deps.sender(),
    send,
    action,
    customer,
    to,
    now,
  });
  const messageId = await sendOnce(deps.ledger, send, claimant, claim, () => sendEmail(deps.ses, email), now);
  if (messageId === null)
    return { status: 'skipped', reason: 'the send ledger holds a claim for this entry' };
  logger.info('email sent', { ...send, messageId });
  return { status: 'sent', messageId, to, template: action.template };
};
