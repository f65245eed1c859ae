import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { SendKey } from '#adapters/store/keys.ts';
import type { PendingSend, PendingSends } from '#adapters/store/pending-sends.ts';
import { logger } from '#commons/logger.ts';
import type { StageEntryDetail } from '#domain/events.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';
import { dueTime, resolveDelay, type ShopIntervals } from '#domain/timing.ts';

export type ScheduleDeps = {
  pending: PendingSends;
  customers: CustomerRecords;
  config: Pick<CompiledConfig, 'journeys'>;
  /** The shop's repurchase intervals as the analytics refresh last wrote them (null: none yet). */
  intervals: { get(shop: string): Promise<ShopIntervals | null> };
  /** The settle window: no email goes out sooner than this after its entry was received. */
  settleMs: number;
};

/** The send of a stage entry: the send ledger's key. */
export const sendOfEntry = (entry: StageEntryDetail): SendKey => ({
  shop: entry.shop,
  customerId: entry.customerId,
  journeyId: entry.journeyId,
  stageId: entry.to,
  entryId: entry.entryId,
});

export type Scheduled =
  /** `written`: the pending send as this call wrote it (absent when the entry already had one). */
  | { status: 'scheduled' | 'exists'; dueAt: string; delaySource: string; written?: PendingSend }
  | { status: 'skipped'; reason: string };

/**
 * A stage entry → its pending send, due after the stage's delay (fixed, or a percentile of the
 * shop's repurchase intervals for the customer's order number) and never before the settle
 * window has passed. Once per entry: a redelivered entry finds its send written.
 */
export const scheduleStageEmail = async (
  deps: ScheduleDeps,
  entry: StageEntryDetail,
  now: Date,
): Promise<Scheduled> => {
  // The rules route no history; should one arrive anyway (a rule edited by hand), it sends nothing.
  if (entry.backfill) return { status: 'skipped', reason: 'the stage was entered from history (backfill)' };
  const journey = deps.config.journeys.find((j) => j.id === entry.journeyId);
  const action = journey?.stages.find((stage) => stage.id === entry.to)?.action;
  if (!action) return { status: 'skipped', reason: 'stage no longer has an action' };
  const send = sendOfEntry(entry);
  const { shop, customerId } = send;
  // Only a percentile delay depends on the customer (their order number) and the shop's data.
  const byPercentile = action.after?.percentile !== undefined;
  const [intervals, customer] = byPercentile
    ? await Promise.all([deps.intervals.get(shop), deps.customers.getAggregate(shop, customerId)])
    : [null, null];
  const delay = resolveDelay(action.after, intervals, customer?.ordersCount ?? 1);
  const dueAt = new Date(
    dueTime({ enteredAt: entry.occurredAt, delayMs: delay.ms, now: now.getTime(), settleMs: deps.settleMs }),
  ).toISOString();
  const status = await deps.pending.schedule(send, {
    enteredAt: entry.occurredAt,
    dueAt,
    delaySource: delay.source,
    now: now.toISOString(),
  });
  logger.info('email scheduled', { ...send, status, dueAt, delay });
  const written: PendingSend = {
    ...send,
    status: 'pending',
    enteredAt: entry.occurredAt,
    dueAt,
    delaySource: delay.source,
    attempts: 0,
  };
  return { status, dueAt, delaySource: delay.source, ...(status === 'scheduled' ? { written } : {}) };
};
