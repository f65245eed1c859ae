import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { SendKey } from '#adapters/store/keys.ts';
import type { PendingSends } from '#adapters/store/pending-sends.ts';
import type { ShopRegistry } from '#adapters/store/shops.ts';
import type { SuppressionList } from '#adapters/store/suppression.ts';
import { type SendDecision, sendDecision } from '#domain/journey.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';
import { reentryRefusal } from '#domain/timing.ts';

/**
 * Whether a stage entry's email goes out, judged from the state at its due time (not at the entry): the
 * customer is subscribed, has an address and is still in the stage (and has not ordered since, for
 * a stage that exits on an order); the stage's re-entry policy allows another email; the app is
 * installed; the address was never suppressed.
 */
export const recheck = async (
  stores: {
    customers: CustomerRecords;
    shops: ShopRegistry;
    suppressed: SuppressionList;
    pending: Pick<PendingSends, 'sentBefore'>;
  },
  config: Pick<CompiledConfig, 'journeys'>,
  send: SendKey & { enteredAt?: string },
  now = Date.now(),
): Promise<SendDecision> => {
  const { shop, customerId, journeyId } = send;
  // Independent reads, in parallel; the checks below still apply in the same order.
  const [customer, shopStatus] = await Promise.all([
    stores.customers.getAggregate(shop, customerId),
    stores.shops.status(shop),
  ]);
  const decision = sendDecision(
    config.journeys.find((j) => j.id === journeyId),
    send.stageId,
    customer,
    send.enteredAt,
  );
  if (!decision.send) return decision;
  const { reentry } = decision.action;
  const earlier = reentry && reentry !== 'every-entry' ? await stores.pending.sentBefore(send) : [];
  const refusal = reentryRefusal(reentry, earlier, now);
  if (refusal) return { send: false, reason: refusal, outcome: 'skipped' };
  if (shopStatus.uninstalledAt !== null)
    return { send: false, reason: 'the app is uninstalled from this shop', outcome: 'skipped' };
  if (await stores.suppressed.isSuppressed(shop, decision.email))
    return { send: false, reason: 'the address opted out before', outcome: 'skipped' };
  return decision;
};
