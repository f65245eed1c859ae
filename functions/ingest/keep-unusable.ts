import { UNKNOWN_SHOP } from '#adapters/store/keys.ts';
import type { Quarantine } from '#adapters/store/quarantine.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import type { WebhookDelivery } from './webhook.ts';

/**
 * Keeps an authentic webhook that cannot be used in the quarantine, with its headers, for
 * inspection and redrive; Shopify is answered 200 so it keeps the subscription.
 */
export const keepUnusable = async (
  quarantine: Quarantine,
  delivery: WebhookDelivery,
  reason: string,
  now: Date,
): Promise<{ status: 'quarantined'; reason: string }> => {
  const { topic, shop, eventId } = delivery;
  logger.warn('quarantined webhook', { topic, shop, eventId, reason });
  countMetric('WebhookQuarantined');
  await quarantine.put({
    shop: delivery.knownShop ? shop : UNKNOWN_SHOP,
    topic,
    eventId,
    reason,
    headers: delivery.all,
    body: delivery.body,
    receivedAt: now.toISOString(),
  });
  return { status: 'quarantined', reason };
};
