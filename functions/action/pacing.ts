import type { SendKey } from '#adapters/store/keys.ts';
import type { PendingSends } from '#adapters/store/pending-sends.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { EmailAction } from '#domain/journey.ts';
import {
  capDecision,
  customerZone,
  describeWindow,
  policyFor,
  quietUntil,
  type TimingConfig,
  TimingConfigSchema,
  windowMs,
} from '#domain/send-policy.ts';

export type PacingDeps = {
  pending: Pick<PendingSends, 'sentSince'>;
  /** The sending policy: the journeys' own, with the stack's over it (`TIMING_POLICY`). */
  timing: TimingConfig;
  /** The shop's time zone from the stack (`SHOP_TIME_ZONE`), unless the policy names one. */
  shopZone?: string;
};

export type Pacing =
  | { go: true }
  | { go: false; outcome: 'held'; until: string; reason: string }
  | { go: false; outcome: 'skipped'; reason: string };

/**
 * Whether an email that passed its re-check goes out now: not during quiet hours in the customer's
 * time zone (held until they end, never dropped), and not beyond the frequency cap (skipped, or
 * held until the cap has room when the stage says `onCap: 'defer'`).
 */
export const pace = async (
  deps: PacingDeps,
  send: SendKey,
  input: { action: EmailAction; customer: CustomerAggregate; now: number },
): Promise<Pacing> => {
  const { action, customer, now } = input;
  const policy = policyFor(deps.timing, send.shop, deps.shopZone);
  const zone = customerZone(customer.address, policy.timeZone);
  const open = quietUntil(policy.quietHours, zone, now);
  if (open > now && policy.quietHours) {
    const { start, end } = policy.quietHours;
    const reason = `quiet hours ${start}–${end} in ${zone}`;
    return { go: false, outcome: 'held', until: new Date(open).toISOString(), reason };
  }
  if (policy.frequencyCap.length === 0) return { go: true };
  const longest = Math.max(...policy.frequencyCap.map(windowMs));
  const sent = await deps.pending.sentSince(
    send.shop,
    send.customerId,
    new Date(now - longest).toISOString(),
  );
  const cap = capDecision(policy.frequencyCap, sent, now);
  if (!cap.capped) return { go: true };
  const reason = `frequency cap: ${describeWindow(cap.window)}`;
  return action.onCap === 'defer'
    ? { go: false, outcome: 'held', until: new Date(cap.freeAt).toISOString(), reason }
    : { go: false, outcome: 'skipped', reason };
};

/** The journeys' policy with the stack's over it (per shop, shop by shop). */
export const withStackTiming = (journeys: TimingConfig, stackJson: string | undefined): TimingConfig => {
  if (!stackJson) return journeys;
  const stack = TimingConfigSchema.parse(JSON.parse(stackJson));
  return { ...journeys, ...stack, shops: { ...journeys.shops, ...stack.shops } };
};
