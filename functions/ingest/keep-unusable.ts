import { withoutPersonalFields } from '#adapters/shopify/personal-fields.ts';
import { UNKNOWN_SHOP } from '#adapters/store/keys.ts';
import type { Quarantine } from '#adapters/store/quarantine.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import type { WebhookDelivery } from './webhook.ts';

/**
 * Keeps an authentic webhook that cannot be used in the quarantine, for inspection and redrive:
 * its Shopify headers without the signature and a copy of its body without personal fields.
 * Shopify is answered 200 so it keeps the subscription.
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
    shop: shop || UNKNOWN_SHOP,
    topic,
    eventId,
    reason,
    headers: delivery.shopifyHeaders,
    copy: withoutPersonalFields(delivery.body),
    bodyBytes: delivery.body.length,
    bodySha256: delivery.bodySha256,
    triggeredAt: delivery.triggeredAt,
    receivedAt: now.toISOString(),
  });
  return { status: 'quarantined', reason };
};
