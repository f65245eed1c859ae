import type { EventBridgeEvent } from 'aws-lambda';
import { readSecret } from '#adapters/secrets.ts';
import { adminToken, unsubscribeInShopify } from '#adapters/shopify/admin.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { CustomerUnsubscribedDetail } from '#domain/events.ts';

const env = requireEnv('SHOPIFY_ADMIN_TOKENS_SECRET_ARN', 'SHOPIFY_ADMIN_ORIGIN');

export type ConsentSyncResult = { status: 'written' | 'not-configured' | 'rejected'; errors?: string[] };

/**
 * `Customer Unsubscribed` → the customer's Shopify consent is set to unsubscribed, when the shop
 * has an Admin API token. Shopify being unavailable throws (Lambda retries, then the DLQ, from
 * which `npm run redrive` sends it again); Shopify refusing (user errors) is logged, not retried.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<ConsentSyncResult> => {
  const { shop, customerId, occurredAt } = CustomerUnsubscribedDetail.parse(event.detail);
  const token = adminToken(await readSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN), shop);
  if (!token) {
    logger.info('no Admin API token for the shop: consent not written back', { shop, customerId });
    return { status: 'not-configured' };
  }
  const errors = await unsubscribeInShopify({
    origin: env.SHOPIFY_ADMIN_ORIGIN,
    shop,
    token,
    customerId,
    at: occurredAt,
  });
  if (errors.length > 0) {
    // How many, not what: Shopify's messages may quote the customer's data.
    logger.error('Shopify refused the consent update', { shop, customerId, errorCount: errors.length });
    countMetric('ConsentWriteBackRejected');
    return { status: 'rejected', errors };
  }
  logger.info('consent written back to Shopify', { shop, customerId });
  return { status: 'written' };
};
