import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { invokeLater } from '#adapters/lambda-invoke.ts';
import { readSecret } from '#adapters/secrets.ts';
import { credentialedShops } from '#adapters/shopify/admin-credentials.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { CustomerReindex } from '#adapters/store/customer-reindex.ts';
import { ReindexRuns } from '#adapters/store/reindexes.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { wakeTimeOf } from '#domain/wake.ts';
import { journeyConfig } from '#journeys/index.ts';
import { reindexDue, runReindex, shopsToReindex } from './run.ts';

const env = requireEnv('TABLE_NAME', 'SHOPS', 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  customers: new CustomerReindex(table, { wakeAt: wakeTimeOf(journeyConfig) }),
  runs: new ReindexRuns(table),
  options: journeyConfig,
};
/** Time kept back from the Lambda timeout to checkpoint and hand over to the next invocation. */
const SAFETY_MS = 60_000;
const Input = z.union([
  z.object({
    shop: z.string().regex(SHOP_DOMAIN),
    restart: z.boolean().default(false),
    all: z.boolean().default(false),
  }),
  // The schedule: every shop whose customers do not count the configuration's selectors yet.
  z.object({ 'detail-type': z.literal('Scheduled Event') }),
]);

/**
 * A shop's reindex (started by `POST /api/shops/{shop}/reindex`, or by the schedule once a
 * deploy brought a journey or segment that counts by a new selector): it runs until done or until
 * the invocation's time is nearly up, then checkpoints and invokes itself to go on.
 */
export const handler = async (event: unknown, context: Context) => {
  const input = Input.parse(event);
  if (!('shop' in input)) {
    const shops = shopsToReindex(
      env.SHOPS,
      credentialedShops(await readSecret(env.SHOPIFY_ADMIN_TOKENS_SECRET_ARN)),
    );
    const due = [];
    for (const shop of shops) if (reindexDue(await deps.runs.get(shop), journeyConfig)) due.push(shop);
    await Promise.all(due.map((shop) => invokeLater(context.functionName, { shop })));
    logger.info('reindex check', { shops: shops.length, started: due });
    return { started: due };
  }
  const { shop, restart, all } = input;
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS;
  const run = await runReindex(deps, shop, { restart, all, deadline });
  if (run.status === 'running') await invokeLater(context.functionName, { shop, all: run.all });
  const { status, scanned, reindexed, current, inexact, error } = run;
  logger.info('reindex', { shop, status, scanned, reindexed, current, inexact, error });
  return run;
};
