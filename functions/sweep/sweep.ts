import { readDue } from '#adapters/store/due-index.ts';
import { customerOfPk } from '#adapters/store/keys.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import type { ApplyPath } from '#apply/apply-change.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { inParallel } from '#commons/in-parallel.ts';
import { logger } from '#commons/logger.ts';

/** Customers re-evaluated at once, and at most in one run (the rest is due on the next run). */
const CONCURRENCY = 8;
export const SWEEP_LIMIT = 20_000;
/**
 * A flip noticed this late is history, not news: its stage is entered silently (like a backfill),
 * so a shop whose history was backfilled does not email everyone who lapsed years ago.
 */
export const HISTORY_AFTER_MS = 2 * 86_400_000;

export type SweepReport = { due: number; applied: number; silent: number; failed: number };

/**
 * The sweep's run: every customer whose time conditions flip by now (the due index's `WAKE`
 * partitions, so only those) is re-evaluated at that time, through the apply path (a `clock`
 * change). Each write records the customer's next flip, so the index always holds the next one.
 */
export const sweepDue = async (
  deps: { table: StoreTable; applyPath: Pick<ApplyPath, 'apply'> },
  now: Date,
): Promise<SweepReport> => {
  const due = await readDue(deps.table, 'WAKE', now.toISOString(), SWEEP_LIMIT);
  const report: SweepReport = { due: due.length, applied: 0, silent: 0, failed: 0 };
  await inParallel(due, CONCURRENCY, async ({ key, dueAt }) => {
    const customer = customerOfPk(key.pk);
    if (!customer) return;
    const silent = now.getTime() - Date.parse(dueAt) > HISTORY_AFTER_MS;
    try {
      const change = { type: 'clock' as const, customerId: customer.customerId, at: dueAt };
      const { status } = await deps.applyPath.apply(customer.shop, change, { silent });
      if (status === 'applied') report.applied++;
      if (silent) report.silent++;
    } catch (error) {
      report.failed++;
      logger.error('a due customer could not be re-evaluated', { ...customer, dueAt, ...errorFacts(error) });
    }
  });
  if (due.length > 0) logger.info('swept', { ...report });
  return report;
};
