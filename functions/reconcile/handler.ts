import type { ScheduledEvent } from 'aws-lambda';
import { dynamoDb } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { credentialedShops } from '#adapters/shopify/admin-credentials.ts';
import { adminSessionsFromSecret } from '#adapters/shopify/admin-session.ts';
import { Reconciliations } from '#adapters/store/reconciliations.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { journeyConfig } from '#journeys/index.ts';
import { HANDLED_TOPICS } from '../ingest/topics.ts';
import { keepSubscribed, reconcileShop, shopsToReconcile } from './reconcile.ts';

const env = requireEnv(
  'TABLE_NAME',
  'SHOPS',
  'SHOPIFY_ADMIN_TOKENS_SECRET_ARN',
  'SHOPIFY_ADMIN_ORIGIN',
  'SUPPRESSION_PEPPER_SECRET_ARN',
  'RECONCILE_MINUTES',
);
/** Where the shops' subscriptions point; unset when the app's configuration (shopify.app.toml) holds them. */
const webhookUrl = process.env.WEBHOOK_URL ?? '';
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  applyPath: new ApplyPath(table, journeyConfig, () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN)),
  reconciliations: new Reconciliations(table),
};
const sessions = adminSessionsFromSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN, {
  origin: env.SHOPIFY_ADMIN_ORIGIN,
});
const periodMs = Number(env.RECONCILE_MINUTES) * 60_000;

/** Every period: each shop's orders and customers changed since its watermark, applied (what webhooks missed). */
export const handler = async (event: ScheduledEvent): Promise<{ shops: number; repaired: number }> => {
  const now = new Date(event.time ?? Date.now());
  let repaired = 0;
  const credentialed = credentialedShops(await readSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN));
  const shops = shopsToReconcile(env.SHOPS, credentialed);
  for (const shop of shops) {
    const session = await sessions.forShop(shop);
    if (!session) continue;
    try {
      const report = await reconcileShop(deps, session, { now, periodMs });
      repaired += report.repaired;
      const subscriptions = webhookUrl ? await keepSubscribed(session, webhookUrl, HANDLED_TOPICS) : null;
      logger.info('shop reconciled', { ...report, problems: report.problems.length, subscriptions });
    } catch (error) {
      // One shop's trouble (a revoked token, Shopify down) does not hold the others back.
      countMetric('ReconciliationFailed');
      logger.error('reconciliation failed', { shop, ...errorFacts(error) });
    }
  }
  return { shops: shops.length, repaired };
};
