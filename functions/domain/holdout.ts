import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A stage's control group: `percent` of the customers who would get its email get none (and no
 * coupon), recorded as control at the same decision point, so the email's lift can be measured
 * (analytics: `holdouts`). `salt` starts a new assignment (a new experiment) without renaming the stage.
 */
export const HoldoutSchema = z
  .object({
    percent: z
      .number()
      .gt(0, 'a holdout of 0 % holds nobody out: remove it')
      .lt(100, 'a holdout of 100 % sends nothing: remove the action instead'),
    salt: z.string().max(100).optional(),
  })
  .strict();
export type Holdout = z.infer<typeof HoldoutSchema>;

/**
 * Whether a customer is in a stage's control group: a deterministic draw from a hash of the shop,
 * customer, journey, stage and salt, so the same customer stays in the same group for that stage
 * however often they enter it, and groups are independent across stages.
 */
export const inControlGroup = (
  holdout: Holdout | undefined,
  who: { shop: string; customerId: string; journeyId: string; stageId: string },
): boolean => {
  if (!holdout) return false;
  const key = [who.shop, who.customerId, who.journeyId, who.stageId, holdout.salt ?? ''].join('\u0000');
  const draw = createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
  return draw < holdout.percent / 100;
};
