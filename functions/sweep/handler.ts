import { dynamoDb } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { requireEnv } from '#commons/env.ts';
import { journeyConfig } from '#journeys/index.ts';
import { sweepDue } from './sweep.ts';

const env = requireEnv('TABLE_NAME', 'SUPPRESSION_PEPPER_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  table,
  applyPath: new ApplyPath(table, journeyConfig, () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN)),
};

/** The schedule's `Scheduled Event` → the customers whose time conditions flipped, re-evaluated. */
export const handler = async () => sweepDue(deps, new Date());
