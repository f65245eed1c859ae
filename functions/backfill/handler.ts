import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { invokeLater } from '#adapters/lambda-invoke.ts';
import { readSecret } from '#adapters/secrets.ts';
import { adminSessionsFromSecret } from '#adapters/shopify/admin-session.ts';
import { BulkOperations } from '#adapters/shopify/bulk-operations.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { BackfillRuns } from '#adapters/store/backfills.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { journeyConfig } from '#journeys/index.ts';
import { runBackfill } from './run.ts';

const env = requireEnv(
  'TABLE_NAME',
  'SHOPIFY_ADMIN_TOKENS_SECRET_ARN',
  'SHOPIFY_ADMIN_ORIGIN',
  'SUPPRESSION_PEPPER_SECRET_ARN',
);
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const sessions = adminSessionsFromSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN, {
  origin: env.SHOPIFY_ADMIN_ORIGIN,
});
const deps = {
  source: new BulkOperations(sessions),
  applyPath: new ApplyPath(table, journeyConfig, () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN)),
  quarantine: new Quarantine(table),
  runs: new BackfillRuns(table),
};
/** Time kept back from the Lambda timeout to checkpoint and hand over to the next invocation. */
const SAFETY_MS = 60_000;
const Input = z.object({ shop: z.string().regex(SHOP_DOMAIN), restart: z.boolean().default(false) });

/**
 * A shop's history backfill, started by `POST /api/shops/{shop}/backfill`: it runs until done or
 * until the invocation's time is nearly up, then checkpoints and invokes itself to go on.
 */
export const handler = async (event: unknown, context: Context) => {
  const { shop, restart } = Input.parse(event);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS;
  const run = await runBackfill(deps, shop, { restart, deadline });
  if (run.status === 'running') await invokeLater(context.functionName, { shop });
  const { status, phase, line, applied, problems, error } = run;
  logger.info('backfill', { shop, status, phase, line, applied, problems, error });
  return run;
};
