import type { EventBridgeEvent } from 'aws-lambda';
import { unsubscribeInShopify } from '#adapters/shopify/admin.ts';
import { ShopifyAccessError } from '#adapters/shopify/admin-errors.ts';
import { adminSessionsFromSecret } from '#adapters/shopify/admin-session.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { CustomerUnsubscribedDetail } from '#domain/events.ts';

const env = requireEnv('SHOPIFY_ADMIN_TOKENS_SECRET_ARN', 'SHOPIFY_ADMIN_ORIGIN');
const sessions = /* @__PURE__ */ adminSessionsFromSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN, {
  origin: env.SHOPIFY_ADMIN_ORIGIN,
});

/** A refused access (revoked token or grant, missing scope) is a refusal like user errors: not retried. */
const accessRefusal = (error: unknown): string[] => {
  if (!(error instanceof ShopifyAccessError)) throw error;
  logger.error('Shopify refused the app access to the shop', { shop: error.shop, reason: error.reason });
  return [error.message];
};

export type ConsentSyncResult = { status: 'written' | 'not-configured' | 'rejected'; errors?: string[] };

/**
 * `Customer Unsubscribed` → the customer's Shopify consent is set to unsubscribed, when the shop
 * has Admin API credentials. Shopify being unavailable throws (Lambda retries, then the DLQ, from
 * which `npm run redrive` sends it again); Shopify refusing (user errors) is logged, not retried.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<ConsentSyncResult> => {
  const { shop, customerId, occurredAt } = CustomerUnsubscribedDetail.parse(event.detail);
  const session = await sessions.forShop(shop);
  if (!session) {
    logger.info('no Admin API credentials for the shop: consent not written back', { shop, customerId });
    return { status: 'not-configured' };
  }
  const errors = await unsubscribeInShopify(session, { customerId, at: occurredAt }).catch(accessRefusal);
  if (errors.length > 0) {
    // How many, not what: Shopify's messages may quote the customer's data.
    logger.error('Shopify refused the consent update', { shop, customerId, errorCount: errors.length });
    countMetric('ConsentWriteBackRejected');
    return { status: 'rejected', errors };
  }
  logger.info('consent written back to Shopify', { shop, customerId });
  return { status: 'written' };
};
