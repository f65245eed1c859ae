import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCustomerSnapshot } from '#adapters/analytics/snapshot.ts';
import type { SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { type FeedTally, readFeed } from '#adapters/store/feed.ts';
import { ShopIntervalsStore } from '#adapters/store/shop-intervals.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import {
  type CustomerSnapshotRows,
  customerSnapshotRows,
  definitionsOf,
  type MembershipDefinitions,
} from '#domain/analytics/snapshot-rows.ts';
import { IntervalHistogram } from '#domain/timing.ts';

export type RefreshDeps = { table: StoreTable; snapshots: SnapshotStore };

/** What one shop's refresh did (logged, and answered to `POST /_local/analytics/refresh`). */
export type RefreshReport = {
  shop: string;
  snapshotId: string;
  refreshedAt: string;
  customers: number;
  orders: number;
  memberships: number;
  /** Feed items and index pages read (what the refresh cost in DynamoDB). */
  feedItems: number;
  feedPages: number;
  sends: number;
  /** Stage moves and segment entries and exits recorded by the evaluator. */
  transitions: number;
  suppressions: number;
  durationMs: number;
};

/**
 * Rebuilds a shop's analytics snapshot: its fact log read from the feed index one customer at a
 * time, turned into rows by the pure domain (current order versions, membership spells replayed
 * under the deployed journeys and segments), written as Parquet and published as the shop's
 * latest snapshot, and the shop's repurchase intervals (for percentile delays) written to the
 * table. A full rebuild, so a redacted customer, a refund or a changed journey is in the
 * next snapshot as it is in the table. A shop without orders gets an empty snapshot.
 */
export const refreshShop = async (
  deps: RefreshDeps,
  shop: string,
  definitions: MembershipDefinitions,
  now: Date,
): Promise<RefreshReport> => {
  const started = performance.now();
  const refreshedAt = now.toISOString();
  const snapshotId = `${refreshedAt.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const tally: FeedTally = { items: 0, suppressions: 0, pages: 0 };
  let sends = 0;
  let transitions = 0;
  // The shop's repurchase intervals, for percentile delays: from the same rows, as they stream by.
  const intervals = new IntervalHistogram();
  async function* bundles(): AsyncGenerator<CustomerSnapshotRows> {
    for await (const customer of readFeed(deps.table, shop, tally)) {
      sends += customer.sends.filter((send) => send.status === 'claimed').length;
      transitions += customer.transitions.length;
      const rows = customerSnapshotRows({ shop, ...customer }, definitions, refreshedAt);
      intervals.addCustomer(rows.orders.filter((order) => order.counts).map((order) => order.placed_at));
      yield rows;
    }
  }
  const work = await mkdtemp(join(tmpdir(), 'analytics-refresh-'));
  try {
    const dir = join(work, 'snapshot');
    const info = await writeCustomerSnapshot(dir, {
      shop,
      refreshedAt,
      definitions: definitionsOf(definitions),
      customers: bundles(),
    });
    await deps.snapshots.publish(shop, dir, { snapshotId, refreshedAt });
    await new ShopIntervalsStore(deps.table).put(shop, intervals.intervals(refreshedAt));
    return {
      shop,
      snapshotId,
      refreshedAt,
      customers: info.counts.customers,
      orders: info.counts.orders,
      memberships: info.counts.memberships,
      feedItems: tally.items,
      feedPages: tally.pages,
      sends,
      transitions,
      suppressions: tally.suppressions,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};
