import type { CustomerReindex } from '#adapters/store/customer-reindex.ts';
import type { ReindexRun, ReindexRuns } from '#adapters/store/reindexes.ts';
import { inParallel } from '#commons/in-parallel.ts';
import type { ContributionOptions } from '#domain/order.ts';
import { needsReindex, selectorKeys } from '#domain/reindex.ts';
import { ServedShops } from '../ingest/served-shops.ts';

export type ReindexDeps = {
  customers: CustomerReindex;
  runs: ReindexRuns;
  /** The configuration's selectors: what every customer must count. */
  options: ContributionOptions;
  /** Customers read a page; @default 1,000 */
  pageSize?: number;
  /** Told after each page. */
  onProgress?: (run: ReindexRun) => void;
};

/** Customers reindexed at once. */
const CONCURRENCY = 16;

/** Whether a run counts exactly these selector keys (both sorted, as `selectorKeys` gives them). */
const countsSelectors = (run: ReindexRun, keys: readonly string[]): boolean =>
  run.selectors.join('\n') === keys.join('\n');

/** A run that has not moved for this long is taken as stopped (its function died without handing over). */
const STALE_MS = 30 * 60_000;

/**
 * Whether a shop needs a reindex for the configuration: no run counted its selectors yet (a
 * journey or segment that counts by a new one was deployed, or the shop is new), or the last run
 * failed or stopped without handing over.
 */
export const reindexDue = (run: ReindexRun | null, options: ContributionOptions, now = Date.now()): boolean =>
  !run ||
  !countsSelectors(run, selectorKeys(options.selectors)) ||
  run.status === 'failed' ||
  (run.status === 'running' && now - Date.parse(run.updatedAt) > STALE_MS);

/**
 * Reindexes a shop's customers for the configured selectors (see `reindexCustomer`): page after
 * page of the shop's aggregates, each customer whose aggregate does not count every selector (or
 * every one, `all`) counted again from their stored orders, silently. Progress is saved after
 * each page, so a run stopped at its deadline (or killed) goes on from there; a customer counted
 * again twice ends the same. A run finished for the same selectors is answered as it is, unless
 * `restart`.
 */
export const runReindex = async (
  deps: ReindexDeps,
  shop: string,
  { restart = false, all = false, deadline = Number.POSITIVE_INFINITY } = {},
): Promise<ReindexRun> => {
  const keys = selectorKeys(deps.options.selectors);
  const now = () => new Date().toISOString();
  const previous = await deps.runs.get(shop);
  const same = previous !== null && countsSelectors(previous, keys) && !restart;
  if (previous && same && previous.status === 'done' && (previous.all || !all)) return previous;
  let run: ReindexRun =
    previous && same && previous.status !== 'done' && (previous.all || !all)
      ? { ...previous, status: 'running', error: null }
      : {
          shop,
          status: 'running',
          selectors: keys,
          all,
          cursor: null,
          scanned: 0,
          reindexed: 0,
          current: 0,
          inexact: 0,
          error: null,
          startedAt: now(),
          updatedAt: now(),
        };
  try {
    do {
      const page = await deps.customers.page(shop, run.cursor, deps.pageSize);
      const due = page.aggregates.filter((aggregate) => run.all || needsReindex(aggregate, keys));
      const results = await inParallel(due, CONCURRENCY, (aggregate) =>
        deps.customers.reindex(shop, aggregate.customerId, deps.options),
      );
      run = {
        ...run,
        cursor: page.cursor,
        scanned: run.scanned + page.aggregates.length,
        reindexed: run.reindexed + results.filter(({ status }) => status === 'reindexed').length,
        current: run.current + page.aggregates.length - due.length,
        inexact: run.inexact + results.reduce((sum, { inexact }) => sum + inexact, 0),
        status: page.cursor === null ? 'done' : 'running',
        updatedAt: now(),
      };
      await deps.runs.save(run);
      deps.onProgress?.(run);
    } while (run.status === 'running' && Date.now() < deadline);
  } catch (error) {
    run = {
      ...run,
      status: 'failed',
      error: error instanceof Error ? error.message : String(error),
      updatedAt: now(),
    };
    await deps.runs.save(run);
  }
  return run;
};

/** The shops the schedule checks: those served (`SHOPS`), or with `*` those with Admin API credentials. */
export const shopsToReindex = (served: string, credentialed: readonly string[]): string[] =>
  new ServedShops(served).listed(credentialed);
