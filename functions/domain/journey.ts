import { z } from 'zod';
import type { CustomerAggregate } from './aggregate.ts';
import { type Condition, ConditionSchema, evaluate, selectorsOf } from './conditions.ts';
import { HoldoutSchema } from './holdout.ts';
import { type ProductSelector, selectorKey } from './order.ts';
import { countsFor, selectorKeys } from './reindex.ts';
import { DelaySchema, ReentrySchema } from './timing.ts';

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and dashes (max 63)');

export const EmailActionSchema = z
  .object({
    type: z.literal('email'),
    /** Name of a template in the journey configuration's template registry. */
    template: Id,
    /** A shop-wide discount code shown in the email (unique codes come with the Admin API). */
    coupon: z
      .object({ code: z.string().min(1).max(255) })
      .strict()
      .optional(),
    /** When the email goes out after the stage entry (see `DelaySchema`); at once (after the settle window) without. */
    after: DelaySchema.optional(),
    /** Cancel the email when the customer places any order after entering the stage, before it went out. */
    exitOnOrder: z.boolean().optional(),
    /** An email the frequency cap stops: `skip` it (recorded), or `defer` it until the cap has room. */
    onCap: z.enum(['skip', 'defer']).optional(),
    /** Whether entering the stage again sends again (see `ReentrySchema`); every entry without. */
    reentry: ReentrySchema.optional(),
    /** A control group that gets no email, to measure the email's lift (see `HoldoutSchema`). */
    holdout: HoldoutSchema.optional(),
  })
  .strict();
export type EmailAction = z.infer<typeof EmailActionSchema>;

export const StageSchema = z
  .object({
    id: Id,
    name: z.string().min(1).optional(),
    when: ConditionSchema,
    action: EmailActionSchema.optional(),
  })
  .strict();
export type Stage = z.infer<typeof StageSchema>;

export const JourneySchema = z
  .object({
    id: Id,
    name: z.string().min(1),
    description: z.string().optional(),
    stages: z.array(StageSchema).min(1),
  })
  .strict()
  .superRefine((journey, ctx) => {
    const seen = new Set<string>();
    journey.stages.forEach((stage, index) => {
      if (seen.has(stage.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'id'],
          message: `duplicate stage id "${stage.id}"`,
        });
      }
      seen.add(stage.id);
    });
  });
export type Journey = z.infer<typeof JourneySchema>;

export const SegmentSchema = z
  .object({ id: Id, name: z.string().min(1), description: z.string().optional(), when: ConditionSchema })
  .strict();
export type Segment = z.infer<typeof SegmentSchema>;

/** The time an aggregate's conditions are evaluated at: its event time (see CustomerAggregate.updatedAt). */
export const evaluatedAt = (agg: CustomerAggregate): number => Date.parse(agg.updatedAt);

/**
 * The stage a customer is in: the LAST stage in the journey's order whose condition holds, or
 * null when none does (the customer is not in the journey). Later stages are further along, so
 * when conditions overlap the customer is placed as far along as they qualify.
 */
export const currentStage = (
  journey: Journey,
  agg: CustomerAggregate,
  now = evaluatedAt(agg),
): Stage | null => {
  for (let i = journey.stages.length - 1; i >= 0; i--) {
    const stage = journey.stages[i];
    if (stage && evaluate(stage.when, agg, now)) return stage;
  }
  return null;
};

export type StageTransition = {
  journeyId: string;
  from: string | null;
  to: string | null;
  /** Stage entry id: the aggregate version that caused the move. Replays yield the same id. */
  entryId: number;
  occurredAt: string;
};

/**
 * Compares a customer before and after a change, each evaluated at its own time. A journey whose
 * stage differs yields one transition (exit from `from`, entry into `to`); an unchanged one none.
 */
export const stageTransitions = (
  journeys: readonly Journey[],
  before: CustomerAggregate | null,
  after: CustomerAggregate,
): StageTransition[] =>
  journeys.flatMap((journey) => {
    // A journey waits for a customer whose counters miss earlier orders (see `countsFor`); the
    // reindex that completes them is where the customer enters it.
    const keys = keysOf(journey, () => journey.stages.map((stage) => stage.when));
    if (!countsFor(after, keys)) return [];
    const from = before && countsFor(before, keys) ? (currentStage(journey, before)?.id ?? null) : null;
    const to = currentStage(journey, after)?.id ?? null;
    return from === to
      ? []
      : [{ journeyId: journey.id, from, to, entryId: after.version, occurredAt: after.updatedAt }];
  });

export const stageOf = (
  journeys: readonly Journey[],
  agg: CustomerAggregate,
): Record<string, string | null> =>
  Object.fromEntries(journeys.map((j) => [j.id, currentStage(j, agg)?.id ?? null]));

/** The ids of the segments a customer is in, evaluated at the aggregate's own time. */
export const segmentsOf = (segments: readonly Segment[], agg: CustomerAggregate): string[] =>
  segments.filter((segment) => evaluate(segment.when, agg, evaluatedAt(agg))).map((segment) => segment.id);

export type SegmentTransition = { segmentId: string; entered: boolean; entryId: number; occurredAt: string };

/** Segments the customer entered or left with this change. */
export const segmentTransitions = (
  segments: readonly Segment[],
  before: CustomerAggregate | null,
  after: CustomerAggregate,
): SegmentTransition[] => {
  const counted = segments.filter((segment) =>
    countsFor(
      after,
      keysOf(segment, () => [segment.when]),
    ),
  );
  const was = new Set(
    before
      ? segmentsOf(
          counted.filter((segment) =>
            countsFor(
              before,
              keysOf(segment, () => [segment.when]),
            ),
          ),
          before,
        )
      : [],
  );
  const is = new Set(segmentsOf(counted, after));
  return counted.flatMap((segment) =>
    was.has(segment.id) === is.has(segment.id)
      ? []
      : [
          {
            segmentId: segment.id,
            entered: is.has(segment.id),
            entryId: after.version,
            occurredAt: after.updatedAt,
          },
        ],
  );
};

/** The selector keys a journey's or segment's conditions count by, worked out once per definition. */
const definitionKeys = new WeakMap<object, string[]>();
const keysOf = (definition: object, conditions: () => readonly Condition[]): string[] => {
  let keys = definitionKeys.get(definition);
  if (!keys) {
    keys = selectorKeys(selectorsOfConditions(conditions()));
    definitionKeys.set(definition, keys);
  }
  return keys;
};

/** Distinct product selectors used anywhere in these conditions: what an order contribution counts. */
export const selectorsOfConditions = (conditions: readonly Condition[]): ProductSelector[] => {
  const byKey = new Map<string, ProductSelector>();
  for (const condition of conditions) {
    for (const selector of selectorsOf(condition)) byKey.set(selectorKey(selector), selector);
  }
  return [...byKey.values()];
};

/** The journey stages that have an action: one EventBridge rule each. */
export const actionStages = (
  journeys: readonly Journey[],
): { journey: Journey; stage: Stage & { action: EmailAction } }[] =>
  journeys.flatMap((journey) =>
    journey.stages.flatMap((stage) =>
      stage.action ? [{ journey, stage: { ...stage, action: stage.action } }] : [],
    ),
  );

export type SendDecision =
  | { send: true; action: EmailAction; email: string; customer: CustomerAggregate }
  /** `cancelled`: the customer left the stage or ordered since; `skipped`: the email may not go out. */
  | { send: false; reason: string; outcome: 'cancelled' | 'skipped' };

const skipped = (reason: string): SendDecision => ({ send: false, reason, outcome: 'skipped' });
const cancelled = (reason: string): SendDecision => ({ send: false, reason, outcome: 'cancelled' });

/**
 * Whether a stage entry's email goes out now: the stage still has an action, the customer is
 * subscribed to email marketing, has an address, is still in that stage and — for a stage that
 * exits on an order — has not ordered since `enteredAt`. (The send ledger then makes it once per entry.)
 */
export const sendDecision = (
  journey: Journey | undefined,
  stageId: string,
  customer: CustomerAggregate | null,
  enteredAt?: string,
): SendDecision => {
  const action = journey?.stages.find((s) => s.id === stageId)?.action;
  if (!journey || !action) return skipped('stage no longer has an action');
  if (!customer) return skipped('customer not found');
  if (customer.emailMarketing.state !== 'subscribed')
    return skipped(`email marketing state is ${customer.emailMarketing.state}`);
  if (!customer.email) return skipped('no email address');
  if (
    !countsFor(
      customer,
      keysOf(journey, () => journey.stages.map((stage) => stage.when)),
    )
  )
    return skipped('customer is waiting for a reindex');
  if (currentStage(journey, customer)?.id !== stageId) return cancelled('customer has left the stage');
  if (action.exitOnOrder && enteredAt !== undefined && orderedSince(customer, enteredAt))
    return cancelled('customer ordered since entering the stage');
  return { send: true, action, email: customer.email, customer };
};

/** Whether the customer placed an order after `at` (the last order's time is later). */
export const orderedSince = (customer: CustomerAggregate, at: string): boolean =>
  customer.lastOrderAt !== null && Date.parse(customer.lastOrderAt) > Date.parse(at);

/** A customer's open sends of one stage to cancel (those entered before `enteredBefore`, when given). */
export type SendCancellation = { journeyId: string; stageId: string; reason: string; enteredBefore?: string };

/**
 * The sends a change cancels: those of a stage with an email that the customer has left, and —
 * for a stage that exits on an order — those entered before the order this change added.
 */
export const sendCancellations = (
  journeys: readonly Journey[],
  before: CustomerAggregate | null,
  after: CustomerAggregate,
  transitions: readonly StageTransition[],
): SendCancellation[] => {
  const left = transitions.flatMap((t) => {
    const stage = journeys.find((j) => j.id === t.journeyId)?.stages.find((s) => s.id === t.from);
    return stage?.action
      ? [{ journeyId: t.journeyId, stageId: stage.id, reason: 'customer left the stage' }]
      : [];
  });
  const ordered =
    before !== null && after.lastOrderAt !== null && after.lastOrderAt !== before.lastOrderAt
      ? after.lastOrderAt
      : null;
  if (ordered === null) return left;
  const moved = new Set(transitions.map((t) => t.journeyId));
  const exits = journeys.flatMap((journey) => {
    const stage = moved.has(journey.id) ? null : currentStage(journey, after);
    return stage?.action?.exitOnOrder
      ? [{ journeyId: journey.id, stageId: stage.id, reason: 'customer ordered', enteredBefore: ordered }]
      : [];
  });
  return [...left, ...exits];
};
