import { z } from 'zod';
import type { CustomerAggregate } from './aggregate.ts';
import { type Condition, ConditionSchema, evaluate, selectorsOf } from './conditions.ts';
import { type ProductSelector, selectorKey } from './order.ts';

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

/**
 * The stage a customer is in: the LAST stage in the journey's order whose condition holds, or
 * null when none does (the customer is not in the journey). Later stages are further along, so
 * when conditions overlap the customer is placed as far along as they qualify.
 */
export const currentStage = (journey: Journey, agg: CustomerAggregate): Stage | null => {
  for (let i = journey.stages.length - 1; i >= 0; i--) {
    const stage = journey.stages[i];
    if (stage && evaluate(stage.when, agg)) return stage;
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
 * Compares a customer before and after a change. A journey whose stage differs yields one
 * transition (exit from `from`, entry into `to`); a journey whose stage is unchanged yields none.
 */
export const stageTransitions = (
  journeys: readonly Journey[],
  before: CustomerAggregate | null,
  after: CustomerAggregate,
): StageTransition[] =>
  journeys.flatMap((journey) => {
    const from = before ? (currentStage(journey, before)?.id ?? null) : null;
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

/** Distinct product selectors used anywhere in the journeys: what an order contribution counts. */
export const selectorsOfJourneys = (journeys: readonly Journey[]): ProductSelector[] => {
  const byKey = new Map<string, ProductSelector>();
  for (const stage of journeys.flatMap((j) => j.stages)) {
    for (const selector of selectorsOf(stage.when as Condition)) byKey.set(selectorKey(selector), selector);
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
