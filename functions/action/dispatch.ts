import type { SendKey } from '#adapters/store/keys.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { inParallel } from '#commons/in-parallel.ts';
import { logger } from '#commons/logger.ts';
import { type ActionResult, type StageEmailDeps, sendDueEmail } from './stage-email.ts';

/** Customers handled at once, and sends at most in one run (the rest is due on the next run, a minute later). */
const CONCURRENCY = 8;
export const DISPATCH_LIMIT = 5_000;

export type DispatchReport = { due: number; failed: number } & Partial<
  Record<ActionResult['status'], number>
>;

/**
 * The dispatcher's run (every minute): every send due by now is re-checked and sent, cancelled or
 * skipped (`sendDueEmail`). One failing send does not stop the others: it stays due (after a
 * backoff, see `SendLedger.release`) and is counted.
 */
export const dispatchDue = async (
  deps: StageEmailDeps,
  claimant: string,
  now: Date,
  onSent: (send: SendKey, result: Extract<ActionResult, { status: 'sent' }>) => Promise<void>,
): Promise<DispatchReport> => {
  const due = await deps.pending.due(now.toISOString(), DISPATCH_LIMIT);
  const report: DispatchReport = { due: due.length, failed: 0 };
  // One customer's sends one after another: each sees the one before in the frequency cap.
  const byCustomer = Map.groupBy(due, (send) => `${send.shop}/${send.customerId}`);
  await inParallel([...byCustomer.values()], CONCURRENCY, async (sends) => {
    for (const send of sends) {
      try {
        const result = await sendDueEmail(deps, send, claimant, now);
        if (result.status === 'sent') await onSent(send, result);
        report[result.status] = (report[result.status] ?? 0) + 1;
      } catch (error) {
        report.failed++;
        logger.error('a due send failed', { ...send, ...errorFacts(error) });
      }
    }
  });
  if (due.length > 0) logger.info('dispatched', { ...report });
  return report;
};
