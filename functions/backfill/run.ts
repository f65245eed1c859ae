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

/** Changes applied at once; a checkpoint after this many lines. */
const CONCURRENCY = 16;
const CHECKPOINT_LINES = 500;
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

/** Applies the phase's file from the run's line on; true when the file is done, false at the deadline. */
const applyFile = async (
  deps: BackfillDeps,
  shop: string,
  run: BackfillRun,
  save: Save,
  deadline: number,
): Promise<boolean> => {
  if (run.url === 'empty:') return true;
  const reader = new HistoryReader(deps.orderWindow);
  const inFlight = new Set<Promise<void>>();
  let { applied, problems } = run;
  const texts = new Map<number, string>();
  // One customer's changes apply in file order (so a run's result does not depend on timing),
  // different customers' side by side.
  const tails = new Map<string, Promise<void>>();
  const settle = async (batch: HistoryBatch) => {
    for (const change of batch.changes) {
      const customer = customerOf(change);
      const done = (tails.get(customer) ?? Promise.resolve())
        .then(() => apply(deps, shop, change))
        .then((ok) => {
          if (ok) applied++;
          else problems++;
          inFlight.delete(done);
          if (tails.get(customer) === done) tails.delete(customer);
        });
      tails.set(customer, done);
      inFlight.add(done);
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
    for (const problem of batch.problems) {
      problems++;
      await keepLine(deps, shop, run, problem.line, texts.get(problem.line) ?? '', problem.reason);
    }
  };
  let sinceCheckpoint = 0;
  for await (const { text, line } of deps.source.lines(run.url as string, run.line)) {
    texts.set(line, text);
    await settle(reader.push(text, line));
    if (++sinceCheckpoint >= (deps.checkpointLines ?? CHECKPOINT_LINES)) {
      await Promise.all(inFlight);
      sinceCheckpoint = 0;
      const resume = reader.resumeLine();
      for (const seen of texts.keys()) if (seen < resume) texts.delete(seen);
      await save({ line: resume, applied, problems });
      if (Date.now() > deadline) return false;
    }
  }
  await settle(reader.end());
  await Promise.all(inFlight);
  await save({ line: reader.resumeLine(), applied, problems });
  return true;
};

const customerOf = (change: ShopifyChange): string => {
  switch (change.type) {
    case 'order':
      return change.order.customerId;
    case 'refund':
      return `order ${change.refund.orderId}`;
    case 'consent':
    case 'customer':
    case 'customer-tags':
      return change.customerId;
    default:
      return change.type;
  }
};

/** One change of history, silently; false when it can never be applied (counted as a problem of the run). */
const apply = async (deps: BackfillDeps, shop: string, change: ShopifyChange): Promise<boolean> => {
  try {
    await deps.applyPath.apply(shop, change, { silent: true });
    return true;
  } catch (error) {
    if (error instanceof UnusableChange) return false;
    throw error;
  }
};

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
