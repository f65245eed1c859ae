import type { Quarantine } from '#adapters/store/quarantine.ts';
import type { ApplyPath } from '#apply/apply-change.ts';
import { countMetric } from '#commons/metrics.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { keepUnusable } from './keep-unusable.ts';
import { parseWebhook } from './topics.ts';
import type { WebhookDelivery } from './webhook.ts';

/** What a verified delivery came to: its answer's `status` and what the log should say. */
export type Received = { status: string; reason?: string; customerId?: string; orderId?: string };

/**
 * A verified delivery of a served shop: parse → apply. A body that can never be applied — it fits
 * no schema of its topic, or applying it meets an UnusableChange (an amount out of range, a record
 * outgrowing its item) — is quarantined and answered 200, never 5xx.
 */
export const receive = async (
  deps: { applyPath: ApplyPath; quarantine: Quarantine },
  delivery: WebhookDelivery,
  now: Date,
): Promise<Received> => {
  const parsed = parseWebhook(delivery);
  if (parsed.kind === 'ignore') {
    if (parsed.metric) countMetric(parsed.metric);
    return { status: 'ignored', reason: parsed.reason };
  }
  if (parsed.kind === 'quarantine') return keepUnusable(deps.quarantine, delivery, parsed.reason, now);
  try {
    const applied = await deps.applyPath.apply(delivery.shop, parsed.change);
    if (applied.status === 'parked') countMetric('RefundParked');
    if (applied.status === 'redacted') countMetric('RedactedCustomerIgnored');
    return parsed.acceptedAs && applied.status === 'applied'
      ? { ...applied, status: parsed.acceptedAs }
      : applied;
  } catch (error) {
    if (!(error instanceof UnusableChange)) throw error;
    return keepUnusable(deps.quarantine, delivery, error.message, now);
  }
};
