import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AnalyticsEngine } from '#adapters/analytics/engine.ts';
import { type Snapshot, writeSnapshot } from '#adapters/analytics/snapshot.ts';
import { isMissing, type LatestSnapshot, type SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { type Definitions, parseReportRequest, type ReportRequest } from '#domain/analytics/reports.ts';

/** Answers kept in memory per warm function (the bucket keeps them for cold ones). */
const MEMO_LIMIT = 500;

export type ReportAnswer =
  | { status: 200; body: Record<string, unknown> }
  | { status: 400; body: { message: string } };

type Opened = { snapshotId: string; engine: AnalyticsEngine; dir: string };

/** The id of the empty snapshot a shop never refreshed is answered from. */
const EMPTY = 'none';

export type ReportServiceOptions = {
  /** Where snapshots are downloaded (`/tmp/...` in Lambda). */
  workDir: string;
  /** The report SQL files. */
  sqlDir: URL | string;
  /** The deployed journeys and segments: what a shop never refreshed yet is answered with. */
  definitions: Definitions;
  now?: () => Date;
};

/** How long a replaced snapshot's engine stays open for requests already using it. */
const RETIRE_AFTER_MS = 60_000;

const retire = async (opened: Opened): Promise<void> => {
  opened.engine.close();
  await rm(opened.dir, { recursive: true, force: true });
};

const requestHash = (request: ReportRequest) =>
  createHash('sha256')
    .update(
      JSON.stringify([
        request.from,
        request.to,
        request.segment,
        request.journey,
        request.product,
        // Only reports that take a conversion window hash it: the others' cached answers keep their keys.
        ...(request.days === null ? [] : [request.days]),
      ]),
    )
    .digest('hex');

/**
 * Answers report requests from a shop's latest snapshot, never from the table. A request is checked
 * against the journeys and segments `latest.json` names; each answer is cached per (snapshot,
 * report, request) — in memory and in the bucket — so the dashboard's next request, and a cold
 * function's, is two small reads. Only an answer not cached yet downloads the snapshot (once per
 * snapshot, into `workDir`) and runs its SQL with DuckDB. `to` defaults to today, so the cache turns over
 * with the day and with each refresh. A shop never refreshed is answered from an empty snapshot:
 * empty results, not errors.
 */
export class ReportService {
  private readonly snapshots: SnapshotStore;
  private readonly options: ReportServiceOptions;
  private readonly opened = new Map<string, Promise<Opened>>();
  private readonly memo = new Map<string, Record<string, unknown>>();

  constructor(snapshots: SnapshotStore, options: ReportServiceOptions) {
    this.snapshots = snapshots;
    this.options = options;
  }

  async answer(
    shop: string,
    report: string,
    query: Readonly<Record<string, string | undefined>>,
  ): Promise<ReportAnswer> {
    const latest = await this.snapshots.latest(shop);
    const today = (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
    const parsed = parseReportRequest(report, query, latest?.definitions ?? this.options.definitions, today);
    if (!parsed.ok) return { status: 400, body: { message: parsed.message } };
    const { request } = parsed;
    const snapshotId = latest?.snapshotId ?? EMPTY;
    const hash = requestHash(request);
    const memoKey = `${shop}\n${snapshotId}\n${request.report}\n${hash}`;
    const remembered = this.memo.get(memoKey);
    if (remembered) return { status: 200, body: remembered };
    const cached = latest
      ? ((await this.snapshots.cachedResult(shop, snapshotId, request.report, hash)) as Record<
          string,
          unknown
        > | null)
      : null;
    const body = cached ?? {
      report: request.report,
      refreshedAt: latest?.refreshedAt ?? null,
      ...((await (await this.engineFor(shop, latest)).run(request)) as Record<string, unknown>),
    };
    if (!cached && latest) await this.snapshots.cacheResult(shop, snapshotId, request.report, hash, body);
    this.remember(memoKey, body);
    return { status: 200, body };
  }

  /** The engine over `latest`; when a refresh deleted it while it downloaded, over the one after. */
  private async engineFor(shop: string, latest: LatestSnapshot | null): Promise<AnalyticsEngine> {
    try {
      return (await this.open(shop, latest)).engine;
    } catch (error) {
      if (!isMissing(error)) throw error;
      return (await this.open(shop, await this.snapshots.latest(shop))).engine;
    }
  }

  private remember(key: string, body: Record<string, unknown>): void {
    if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(key, body);
  }

  /** The shop's engine over `latest` (or over an empty snapshot): opened once, replaced when a newer one is published. */
  private async open(shop: string, latest: LatestSnapshot | null): Promise<Opened> {
    const snapshotId = latest?.snapshotId ?? EMPTY;
    const current = this.opened.get(shop);
    const opened = current ? await current.catch(() => null) : null;
    if (opened?.snapshotId === snapshotId) return opened;
    // Another request may have started on the new snapshot meanwhile: share it.
    const meanwhile = this.opened.get(shop);
    if (meanwhile && meanwhile !== current) return this.open(shop, latest);
    const opening = this.load(shop, latest, snapshotId);
    this.opened.set(shop, opening);
    opening.catch(() => this.opened.delete(shop));
    // The engine replaced may still answer a request in flight: closed a little later.
    if (opened) setTimeout(() => void retire(opened), RETIRE_AFTER_MS).unref();
    return opening;
  }

  private async load(shop: string, latest: LatestSnapshot | null, snapshotId: string): Promise<Opened> {
    const dir = join(this.options.workDir, shop, snapshotId);
    if (latest) await this.snapshots.download(shop, latest, dir);
    else await writeSnapshot(dir, emptySnapshot(shop, this.options.definitions));
    const engine = await AnalyticsEngine.open(dir, { sqlDir: this.options.sqlDir });
    return { snapshotId, engine, dir };
  }
}

const emptySnapshot = (shop: string, definitions: Definitions): Snapshot => ({
  shop,
  refreshedAt: new Date(0).toISOString(),
  definitions,
  customers: [],
  orders: [],
  orderProducts: [],
  memberships: [],
  decisions: [],
});
