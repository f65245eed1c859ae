import { ItemKind } from './item-kinds.ts';
import { backfillKey } from './keys.ts';
import { ShopRuns } from './shop-runs.ts';
import type { StoreTable } from './table.ts';

/** What history is read, in this order: customers first, so orders find their consent. */
export const BACKFILL_PHASES = ['customers', 'orders'] as const;
export type BackfillPhase = (typeof BACKFILL_PHASES)[number];

/** Where a shop's backfill stands: enough to resume it after a stop, and to show its progress. */
export type BackfillRun = {
  shop: string;
  status: 'running' | 'done' | 'failed';
  phase: BackfillPhase;
  /** The phase's Bulk Operation, once started, and its result file once complete. */
  operationId: string | null;
  url: string | null;
  /** Lines in the phase's file (Shopify's objectCount), when known. */
  total: number | null;
  /** The first line of the phase's file not yet applied in full (1-based). */
  line: number;
  /** Records applied and lines unusable (quarantined), over the whole run. */
  applied: number;
  problems: number;
  /** Why the run failed (a Bulk Operation's error code, an access error); null otherwise. */
  error: string | null;
  startedAt: string;
  updatedAt: string;
};

/** The one backfill item per shop. */
export class BackfillRuns extends ShopRuns<BackfillRun> {
  constructor(table: StoreTable) {
    super(table, backfillKey, ItemKind.Backfill);
  }
}
