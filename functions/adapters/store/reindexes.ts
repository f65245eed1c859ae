import { ItemKind } from './item-kinds.ts';
import { reindexKey } from './keys.ts';
import { ShopRuns } from './shop-runs.ts';
import type { StoreTable } from './table.ts';

/** Where a shop's reindex stands: enough to resume it after a stop, and to show its progress. */
export type ReindexRun = {
  shop: string;
  status: 'running' | 'done' | 'failed';
  /** The selector keys the run counts (the configuration's when it started). */
  selectors: string[];
  /** Every customer, not only those whose aggregate misses a selector (after an upgrade). */
  all: boolean;
  /** Where the scan of the shop's customers goes on (DynamoDB's LastEvaluatedKey, as JSON); null at the start. */
  cursor: string | null;
  /** Customers looked at, reindexed, already counting every selector; orders counted from product ids alone. */
  scanned: number;
  reindexed: number;
  current: number;
  inexact: number;
  error: string | null;
  startedAt: string;
  updatedAt: string;
};

/** The one reindex item per shop. */
export class ReindexRuns extends ShopRuns<ReindexRun> {
  constructor(table: StoreTable) {
    super(table, reindexKey, ItemKind.Reindex);
  }
}
