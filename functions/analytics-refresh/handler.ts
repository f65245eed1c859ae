import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { dynamoDb, s3 } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { credentialedShops } from '#adapters/shopify/admin-credentials.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { journeyConfig } from '#journeys/index.ts';
import { ServedShops } from '../ingest/served-shops.ts';
import { type RefreshReport, refreshShop } from './refresh.ts';

const env = requireEnv('TABLE_NAME', 'ANALYTICS_BUCKET', 'SHOPS', 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN');
const deps = {
  table: { doc: dynamoDb, name: env.TABLE_NAME },
  snapshots: new SnapshotStore(s3, env.ANALYTICS_BUCKET),
};

/** One shop (the admin route, the local stack's refresh), or every shop served (the schedule). */
const OneShop = z.object({ shop: z.string().regex(SHOP_DOMAIN) }).strict();

/** The shops to refresh: the one asked for, or every shop served (`*`: those with Admin API credentials). */
const shopsOf = async (event: unknown): Promise<string[]> => {
  const one = OneShop.safeParse(event);
  if (one.success) return [one.data.shop];
  const served = new ServedShops(env.SHOPS);
  return served.listed(
    env.SHOPS.trim() === '*' ? credentialedShops(await readSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN)) : [],
  );
};

/** Rebuilds the analytics snapshot of each shop; one shop's failure does not hold the others back. */
export const handler = async (
  event: ScheduledEvent | { shop: string },
): Promise<{ refreshed: RefreshReport[]; failed: string[] }> => {
  const refreshed: RefreshReport[] = [];
  const failed: string[] = [];
  for (const shop of await shopsOf(event)) {
    try {
      const report = await refreshShop(deps, shop, journeyConfig, new Date());
      logger.info('analytics refreshed', { ...report });
      refreshed.push(report);
    } catch (error) {
      countMetric('AnalyticsRefreshFailed');
      logger.error('analytics refresh failed', { shop, ...errorFacts(error) });
      failed.push(shop);
    }
  }
  if (failed.length > 0 && refreshed.length === 0)
    throw new Error(`analytics refresh failed for ${failed.join(', ')}`);
  return { refreshed, failed };
};
