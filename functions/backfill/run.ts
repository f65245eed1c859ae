import { createHash } from 'node:crypto';
import { ShopifyAccessError } from '#adapters/shopify/admin-errors.ts';
import { BulkOperationError } from '#adapters/shopify/bulk-operations.ts';
import { type HistoryBatch, HistoryReader } from '#adapters/shopify/history-reader.ts';
import { withoutPersonalFields } from '#adapters/shopify/personal-fields.ts';
import {
  BACKFILL_PHASES,
  type BackfillPhase,
  type BackfillRun,
  type BackfillRuns,
} from '#adapters/store/backfills.ts';
import type { Quarantine } from '#adapters/store/quarantine.ts';
import type { ApplyPath } from '#apply/apply-change.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { UnusableChange } from '#domain/unusable.ts';

/** A Bulk Operation as polled: Shopify's status, error code, result file and object count. */
export type BulkStatus = {
  status: string;
  errorCode: string | null;
  url: string | null;
  objectCount: number | null;
};

/** Where history comes from: a shop's Bulk Operations (Shopify's Admin API, or its local stand-in). */
export type BulkSource = {
  /** Starts the phase's bulk query; its operation id. */
  start(shop: string, phase: BackfillPhase): Promise<string>;
  poll(shop: string, operationId: string): Promise<BulkStatus>;
  /** The result file's lines from `fromLine` on (1-based), each with its number. */
  lines(url: string, fromLine: number): AsyncIterable<{ text: string; line: number }>;
};

export type BackfillDeps = {
  source: BulkSource;
  applyPath: ApplyPath;
  quarantine: Quarantine;
  runs: BackfillRuns;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Called at every checkpoint (a CLI's progress bar). */
  onProgress?: (run: BackfillRun) => void;
  /** Lines between checkpoints, and orders waiting for their line items (tests make them small). */
  checkpointLines?: number;
  orderWindow?: number;
};

/**
 * A batch of changes (`ApplyPath.applyMany`) ends after this many lines or changes, whichever
 * comes first, and a checkpoint follows it: about 1,400 orders, or 2,000 customers, a batch.
 */
const CHECKPOINT_LINES = 4_000;
const BATCH_CHANGES = 5_000;
const POLL_MS = 2_000;

/** A backfill that cannot go on by itself (an operation failed, access was refused): said clearly, resumable. */
export class BackfillStopped extends Error {
  override name = 'BackfillStopped';
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED']);

/**
 * Backfills a shop's history — customers, then orders — through the apply path, silently: stages
 * entered because of history are recorded, not emailed. Resumable and idempotent: progress is
 * checkpointed (a stopped run re-reads from its last checkpoint, and what it applies again is a
 * duplicate), and history applied after webhooks counts nothing twice. Runs until done or until
 * `deadline` (epoch ms), then returns the run as it stands.
 */
export const runBackfill = async (
  deps: BackfillDeps,
  shop: string,
  { deadline = Number.POSITIVE_INFINITY, restart = false } = {},
): Promise<BackfillRun> => {
  const now = deps.now ?? (() => new Date());
  const existing = await deps.runs.get(shop);
  let run: BackfillRun =
    existing && !restart && existing.status !== 'done'
      ? { ...existing, status: 'running', error: null }
      : {
          shop,
          status: 'running',
          phase: BACKFILL_PHASES[0],
          operationId: null,
          url: null,
          total: null,
          line: 1,
          applied: 0,
          problems: 0,
          error: null,
          startedAt: now().toISOString(),
          updatedAt: now().toISOString(),
        };
  const save = async (patch: Partial<BackfillRun>) => {
    run = { ...run, ...patch, updatedAt: now().toISOString() };
    await deps.runs.save(run);
    deps.onProgress?.(run);
  };
  await save({});
  try {
    while (run.status === 'running') {
      if (Date.now() > deadline) return run;
      if (!run.url) await operationOf(deps, shop, run, save, deadline);
      else if (await applyFile(deps, shop, run, save, deadline)) {
        const next = BACKFILL_PHASES[BACKFILL_PHASES.indexOf(run.phase) + 1];
        await save(
          next ? { phase: next, operationId: null, url: null, total: null, line: 1 } : { status: 'done' },
        );
      }
    }
  } catch (error) {
    // What a retry cannot fix by itself — a failed operation, refused access — stops the run clearly.
    const stop = [BackfillStopped, BulkOperationError, ShopifyAccessError].some(
      (type) => error instanceof type,
    );
    if (!stop) throw error;
    await save({ status: 'failed', error: (error as Error).message });
  }
  return run;
};

type Save = (patch: Partial<BackfillRun>) => Promise<void>;

/** Starts (or keeps polling) the phase's Bulk Operation until its file is ready. */
const operationOf = async (
  deps: BackfillDeps,
  shop: string,
  run: BackfillRun,
  save: Save,
  deadline: number,
) => {
  const operationId = run.operationId ?? (await deps.source.start(shop, run.phase));
  if (!run.operationId) await save({ operationId, line: 1 });
  for (;;) {
    const status = await deps.source.poll(shop, operationId);
    if (status.status === 'COMPLETED') {
      // An empty result has no file: nothing to apply in this phase.
      await save({ url: status.url ?? 'empty:', total: status.objectCount });
      return;
    }
    if (FINISHED.has(status.status)) {
      // Partial results are not applied: a new operation reads the phase again (what was applied is a duplicate).
      await save({ operationId: null });
      throw new BackfillStopped(
        `the ${run.phase} bulk operation ended ${status.status}${status.errorCode ? ` (${status.errorCode})` : ''}; run the backfill again to resume`,
      );
    }
    if (Date.now() > deadline) return;
    await (deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(POLL_MS);
  }
};

/**
 * Applies the phase's file from the run's line on; true when the file is done, false at the
 * deadline. Lines are read into batches that `ApplyPath.applyMany` applies one after another — so
 * one customer's changes apply in file order, and a run's result does not depend on timing — the
 * next batch read while one applies; each applied batch is a checkpoint.
 */
const applyFile = async (
  deps: BackfillDeps,
  shop: string,
  run: BackfillRun,
  save: Save,
  deadline: number,
): Promise<boolean> => {
  if (run.url === 'empty:') return true;
  const reader = new HistoryReader(deps.orderWindow);
  const texts = new Map<number, string>();
  let counts = { applied: run.applied, problems: run.problems };
  let batch: Batch = { changes: [], problems: 0 };
  let applying: Promise<void> = Promise.resolve();
  let lines = 0;
  // Starts applying the batch read so far once the one before is applied; its checkpoint follows it.
  const cut = async () => {
    await applying;
    const { changes, problems } = batch;
    const resume = reader.resumeLine();
    batch = { changes: [], problems: 0 };
    lines = 0;
    for (const seen of texts.keys()) if (seen < resume) texts.delete(seen);
    applying = (async () => {
      const outcomes = await deps.applyPath.applyMany(shop, changes, { silent: true });
      // A change that can never be applied counts as a problem of the run.
      const unusable = outcomes.filter((o) => o instanceof UnusableChange).length;
      counts = {
        applied: counts.applied + outcomes.length - unusable,
        problems: counts.problems + problems + unusable,
      };
      await save({ line: resume, ...counts });
    })();
    // Awaited at the next cut; until then a failure must not count as unhandled.
    applying.catch(() => {});
  };
  const take = async ({ changes, problems }: HistoryBatch) => {
    batch.changes.push(...changes);
    for (const problem of problems) {
      batch.problems++;
      await keepLine(deps, shop, run, problem.line, texts.get(problem.line) ?? '', problem.reason);
    }
  };
  try {
    for await (const { text, line } of deps.source.lines(run.url as string, run.line)) {
      texts.set(line, text);
      await take(reader.push(text, line));
      if (++lines >= (deps.checkpointLines ?? CHECKPOINT_LINES) || batch.changes.length >= BATCH_CHANGES) {
        await cut();
        if (Date.now() > deadline) {
          await applying;
          return false;
        }
      }
    }
    await take(reader.end());
    await cut();
    await applying;
    return true;
  } finally {
    // A stopped read (or a failed batch) leaves no batch applying behind it.
    await applying.catch(() => {});
  }
};

/** Changes read since the last cut, and how many lines of them were unusable. */
type Batch = { changes: ShopifyChange[]; problems: number };

/** An unusable line of history, kept like an unusable webhook: without personal fields. */
const keepLine = async (
  deps: BackfillDeps,
  shop: string,
  run: BackfillRun,
  line: number,
  text: string,
  reason: string,
) => {
  const body = Buffer.from(text);
  const at = (deps.now ?? (() => new Date()))().toISOString();
  await deps.quarantine.put({
    shop,
    topic: `backfill/${run.phase}`,
    eventId: `${run.operationId ?? 'operation'}#${line}`.replace(/[^A-Za-z0-9._:#/-]/g, '-'),
    reason: `line ${line}: ${reason}`,
    headers: {},
    copy: withoutPersonalFields(body),
    bodyBytes: body.length,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    triggeredAt: at,
    receivedAt: at,
  });
};
