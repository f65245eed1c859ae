import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import type { BackfillRuns } from '#adapters/store/backfills.ts';
import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { PendingSends } from '#adapters/store/pending-sends.ts';
import type { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import type { Reconciliations } from '#adapters/store/reconciliations.ts';
import type { ReindexRuns } from '#adapters/store/reindexes.ts';
import { HttpError, json } from '#commons/http.ts';
import { describeIssues } from '#commons/validation.ts';
import { segmentsOf, stageOf } from '#domain/journey.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';

export type AdminDeps = {
  customers: CustomerRecords;
  sends: Pick<PendingSends, 'ofCustomer'>;
  privacy: PrivacyRequests;
  backfills: BackfillRuns;
  reconciliations: Reconciliations;
  /** Starts (or resumes) a shop's backfill job. */
  startBackfill: (shop: string, restart: boolean) => Promise<void>;
  reindexes: ReindexRuns;
  /** Starts (or resumes) a shop's reindex job. */
  startReindex: (shop: string, options: { restart: boolean; all: boolean }) => Promise<void>;
  config: Pick<CompiledConfig, 'journeys' | 'segments'>;
};
type Route = (deps: AdminDeps, event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const Shop = z.string().regex(SHOP_DOMAIN, 'expected a *.myshopify.com domain');
const CustomerPath = z.object({
  shop: Shop,
  customerId: z.string().regex(/^\d{1,20}$/, 'expected a numeric Shopify customer id'),
});
const DataRequestPath = z.object({
  shop: Shop,
  requestId: z.string().regex(/^\d{1,20}$/, 'expected a numeric data request id'),
});

const parsePath = <T>(schema: z.ZodType<T>, event: APIGatewayProxyEventV2): T => {
  const path = schema.safeParse(event.pathParameters ?? {});
  if (!path.success) throw new HttpError(400, describeIssues(path.error));
  return path.data;
};

/**
 * The aggregate, journey stages and segments of one customer (as of their last change), and their
 * stage emails: pending (due when), sent, held out, cancelled or skipped (why).
 */
const getCustomer: Route = async ({ customers, sends, config }, event) => {
  const { shop, customerId } = parsePath(CustomerPath, event);
  const [customer, emails] = await Promise.all([
    customers.getAggregate(shop, customerId),
    sends.ofCustomer(shop, customerId),
  ]);
  if (!customer) throw new HttpError(404, 'customer not found');
  return json(200, {
    ...customer,
    journeys: stageOf(config.journeys, customer),
    segments: segmentsOf(config.segments, customer),
    sends: emails,
  });
};

/** The export of a customers/data_request, for the merchant to hand over (202 while pending). */
const getDataRequest: Route = async ({ privacy }, event) => {
  const { shop, requestId } = parsePath(DataRequestPath, event);
  const exported = await privacy.dataRequestExport(shop, requestId);
  if (exported === null) throw new HttpError(404, 'data request not found');
  if (exported === 'pending') return json(202, { status: 'pending' });
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: exported };
};

const ShopPath = z.object({ shop: Shop });

/** A run that checkpointed this recently is taken to be running still (both jobs checkpoint within a minute). */
const RUNNING_MS = 5 * 60_000;

type JobRun = { status: string; updatedAt: string };

/**
 * The two routes of a shop's job (history backfill, reindex): `GET` its run as it stands (404
 * before the first), `POST` to start it (202; `?restart=true`: a new run even after a finished
 * one). A run still going answers 409; one stopped (failed, or its function died) resumes where it
 * checkpointed.
 */
const jobRoutes = (
  job: 'backfill' | 'reindex',
  read: (deps: AdminDeps, shop: string) => Promise<JobRun | null>,
  start: (deps: AdminDeps, shop: string, query: Record<string, string | undefined>) => Promise<void>,
): [string, Route][] => [
  [
    `GET /api/shops/{shop}/${job}`,
    async (deps, event) => {
      const run = await read(deps, parsePath(ShopPath, event).shop);
      if (!run) throw new HttpError(404, `no ${job} has run for this shop`);
      return json(200, run);
    },
  ],
  [
    `POST /api/shops/{shop}/${job}`,
    async (deps, event) => {
      const { shop } = parsePath(ShopPath, event);
      const run = await read(deps, shop);
      if (run?.status === 'running' && Date.now() - Date.parse(run.updatedAt) < RUNNING_MS)
        throw new HttpError(409, `a ${job} of this shop is running`);
      const at = new Date().toISOString();
      await start(deps, shop, event.queryStringParameters ?? {});
      return json(202, { status: 'started', at, progress: `/api/shops/${shop}/${job}` });
    },
  ],
];

/** What the last reconciliation of a shop read and repaired, and its watermark (404 before the first run). */
const getReconciliation: Route = async ({ reconciliations }, event) => {
  const state = await reconciliations.get(parsePath(ShopPath, event).shop);
  if (!state) throw new HttpError(404, 'no reconciliation has run for this shop');
  return json(200, state);
};

/** The admin API's routes, by API Gateway route key (a Map: no prototype names). */
export const ADMIN_ROUTES = new Map<string, Route>([
  ['GET /api/shops/{shop}/customers/{customerId}', getCustomer],
  ['GET /api/shops/{shop}/data-requests/{requestId}', getDataRequest],
  ...jobRoutes(
    'backfill',
    ({ backfills }, shop) => backfills.get(shop),
    ({ startBackfill }, shop, query) => startBackfill(shop, query.restart === 'true'),
  ),
  // `?all=true`: every customer, not only those whose aggregate misses a selector (after an upgrade).
  ...jobRoutes(
    'reindex',
    ({ reindexes }, shop) => reindexes.get(shop),
    ({ startReindex }, shop, query) =>
      startReindex(shop, { restart: query.restart === 'true', all: query.all === 'true' }),
  ),
  ['GET /api/shops/{shop}/reconciliation', getReconciliation],
]);
