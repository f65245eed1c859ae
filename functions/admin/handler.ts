import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDb } from '#adapters/clients.ts';
import { invokeLater } from '#adapters/lambda-invoke.ts';
import { readSecret } from '#adapters/secrets.ts';
import { BackfillRuns } from '#adapters/store/backfills.ts';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { PendingSends } from '#adapters/store/pending-sends.ts';
import { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { Reconciliations } from '#adapters/store/reconciliations.ts';
import { ReindexRuns } from '#adapters/store/reindexes.ts';
import { adminKeys, requireBearer, requireShop } from '#commons/admin-auth.ts';
import { requireEnv } from '#commons/env.ts';
import { HttpError, httpErrors } from '#commons/http.ts';
import { journeyConfig } from '#journeys/index.ts';
import { ADMIN_ROUTES } from './routes.ts';

const env = requireEnv('TABLE_NAME', 'ADMIN_API_KEY_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  customers: new CustomerRecords(table),
  sends: new PendingSends(table),
  privacy: new PrivacyRequests(table),
  backfills: new BackfillRuns(table),
  reconciliations: new Reconciliations(table),
  startBackfill: (shop: string, restart: boolean) =>
    invokeLater(requireEnv('BACKFILL_FUNCTION_NAME').BACKFILL_FUNCTION_NAME, { shop, restart }),
  reindexes: new ReindexRuns(table),
  startReindex: (shop: string, options: { restart: boolean; all: boolean }) =>
    invokeLater(requireEnv('REINDEX_FUNCTION_NAME').REINDEX_FUNCTION_NAME, { shop, ...options }),
  config: journeyConfig,
};

/** The merchant's admin API: bearer key, the key's shops, then the route API Gateway matched. */
const route = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const access = requireBearer(event, adminKeys(await readSecret(env.ADMIN_API_KEY_SECRET_ARN)));
  requireShop(access, event.pathParameters?.shop);
  const handle = ADMIN_ROUTES.get(event.routeKey);
  if (!handle) throw new HttpError(404, `no route ${event.routeKey}`);
  return handle(deps, event);
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrors())
  .handler(route);
