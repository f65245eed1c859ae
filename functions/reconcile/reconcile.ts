import type { AdminSession } from '#adapters/shopify/admin-session.ts';
import {
  type ChangedRecord,
  customersChangedSince,
  ordersChangedSince,
} from '#adapters/shopify/changed-since.ts';
import { ensureSubscriptions } from '#adapters/shopify/webhook-subscriptions.ts';
import type { ReconciliationReport, Reconciliations } from '#adapters/store/reconciliations.ts';
import type { ApplyPath } from '#apply/apply-change.ts';
import { countMetric } from '#commons/metrics.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { ServedShops } from '../ingest/served-shops.ts';

/** Read again before the watermark: Shopify's `updated_at` search can lag behind a write. */
export const OVERLAP_MS = 5 * 60_000;
/** Problems kept in a report (the count is exact). */
const MAX_PROBLEMS_KEPT = 20;

/** The shops served (`SHOPS`: a list, or `*`) that have Admin API credentials. */
export const shopsToReconcile = (served: string, credentialed: readonly string[]): string[] =>
  new ServedShops(served).listed(credentialed).filter((shop) => credentialed.includes(shop));

export type ReconcileDeps = { applyPath: ApplyPath; reconciliations: Reconciliations };

/**
 * One reconciliation of a shop: the orders and customers Shopify changed since the watermark (less
 * an overlap), applied through the apply path like webhooks — not silently: a missed webhook
 * repaired sends the email it should have, once (the send ledger sees to "once"). What was
 * already applied is a duplicate and changes nothing. Counted as metric `ReconciliationRepaired`.
 */
export const reconcileShop = async (
  deps: ReconcileDeps,
  session: AdminSession,
  { now, periodMs }: { now: Date; periodMs: number },
): Promise<ReconciliationReport> => {
  const shop = session.shop;
  const state = await deps.reconciliations.get(shop);
  // A shop's first run reads two periods back: history before that is the backfill's.
  const watermark = state ? Date.parse(state.watermark) : now.getTime() - 2 * periodMs;
  const from = new Date(watermark - OVERLAP_MS).toISOString();
  const report: ReconciliationReport = {
    shop,
    from,
    to: now.toISOString(),
    orders: 0,
    customers: 0,
    repaired: 0,
    problems: [],
    finishedAt: '',
  };
  let problems = 0;
  const apply = async (records: AsyncIterable<ChangedRecord>, kind: 'orders' | 'customers') => {
    for await (const record of records) {
      report[kind]++;
      if ('problem' in record) {
        if (++problems <= MAX_PROBLEMS_KEPT) report.problems.push(record.problem);
        continue;
      }
      for (const change of record.changes) {
        try {
          const applied = await deps.applyPath.apply(shop, change);
          if (applied.status === 'applied') report.repaired++;
        } catch (error) {
          if (!(error instanceof UnusableChange)) throw error;
          if (++problems <= MAX_PROBLEMS_KEPT) report.problems.push(error.message);
        }
      }
    }
  };
  // Customers first: an order repaired then finds the consent it should be emailed under.
  await apply(customersChangedSince(session, from), 'customers');
  await apply(ordersChangedSince(session, from), 'orders');
  report.finishedAt = new Date().toISOString();
  await deps.reconciliations.save(shop, { watermark: report.to, last: report });
  if (report.repaired > 0) countMetric('ReconciliationRepaired', report.repaired);
  return report;
};

/**
 * Re-creates the shop's webhook subscriptions Shopify removed (after persistent delivery failures,
 * say): the topics missing at `address` are subscribed again. Returns how many were; topics that
 * failed are reported by the caller's log.
 */
export const keepSubscribed = async (session: AdminSession, address: string, topics: readonly string[]) => {
  const report = await ensureSubscriptions(session, address, topics);
  const created = report.topics.filter((t) => t.status === 'created').length;
  if (created > 0) countMetric('SubscriptionRecreated', created);
  return {
    created: report.topics.filter((t) => t.status === 'created').map((t) => t.topic),
    failed: report.topics.filter((t) => t.status === 'failed').map((t) => t.topic),
  };
};
