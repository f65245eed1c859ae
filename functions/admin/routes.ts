import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { HttpError, json } from '#commons/http.ts';
import { describeIssues } from '#commons/validation.ts';
import { segmentsOf, stageOf } from '#domain/journey.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';

export type AdminDeps = {
  customers: CustomerRecords;
  privacy: PrivacyRequests;
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

/** The aggregate, journey stages and segments of one customer (as of their last change). */
const getCustomer: Route = async ({ customers, config }, event) => {
  const { shop, customerId } = parsePath(CustomerPath, event);
  const customer = await customers.getAggregate(shop, customerId);
  if (!customer) throw new HttpError(404, 'customer not found');
  return json(200, {
    ...customer,
    journeys: stageOf(config.journeys, customer),
    segments: segmentsOf(config.segments, customer),
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

/** The admin API's routes, by API Gateway route key (a Map: no prototype names). */
export const ADMIN_ROUTES = new Map<string, Route>([
  ['GET /api/shops/{shop}/customers/{customerId}', getCustomer],
  ['GET /api/shops/{shop}/data-requests/{requestId}', getDataRequest],
]);
