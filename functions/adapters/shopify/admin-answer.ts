import type { ClientResponse } from '@shopify/admin-api-client';
import { ShopifyAccessError, ShopifyQueryError, ShopifyUnavailable } from './admin-errors.ts';

/**
 * What one Admin GraphQL answer means, as the client library hands it over: data and its cost,
 * a refused token, a THROTTLED answer to wait out, or the error to throw.
 */

/** Shopify's `extensions.cost`: what a query cost, and the shop's bucket for this app. */
export type QueryCost = {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
};

/** `data` as Shopify answered it (the caller parses it with its own schema) and what it cost. */
export type AdminResult = { data: unknown; cost: QueryCost | null };

/** The smallest wait, so a bucket reported full again is not hit in the same instant. */
const MIN_THROTTLE_WAIT_MS = 100;

/**
 * How long to wait after a THROTTLED answer: until the bucket has restored the points the query
 * asked for (`(requestedQueryCost − currentlyAvailable) / restoreRate` seconds); without cost
 * data, 1 s, 2 s, 4 s… by attempt (0-based).
 */
export const throttleWaitMs = (cost: QueryCost | null, attempt: number): number => {
  if (!cost || cost.throttleStatus.restoreRate <= 0) return 1000 * 2 ** attempt;
  const missing = Math.max(cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable, 0);
  return Math.max(Math.ceil((missing / cost.throttleStatus.restoreRate) * 1000), MIN_THROTTLE_WAIT_MS);
};

export const readCost = (extensions: ClientResponse['extensions']): QueryCost | null => {
  const cost = extensions?.cost;
  const status = cost?.throttleStatus;
  if (
    typeof cost?.requestedQueryCost !== 'number' ||
    typeof status?.currentlyAvailable !== 'number' ||
    typeof status.maximumAvailable !== 'number' ||
    typeof status.restoreRate !== 'number'
  )
    return null;
  return {
    requestedQueryCost: cost.requestedQueryCost,
    actualQueryCost: typeof cost.actualQueryCost === 'number' ? cost.actualQueryCost : null,
    throttleStatus: {
      maximumAvailable: status.maximumAvailable,
      currentlyAvailable: status.currentlyAvailable,
      restoreRate: status.restoreRate,
    },
  };
};

/** What one answer means: data, a token to renew, a wait, or a failure to throw. */
export type Outcome =
  | { kind: 'data'; result: AdminResult }
  | { kind: 'unauthorized' }
  | { kind: 'throttled'; cost: QueryCost | null }
  | { kind: 'failed'; error: Error };

const ACCESS_STATUS: Record<number, 'scope-missing' | 'shop-unavailable'> = {
  402: 'shop-unavailable', // frozen: the shop's bill is unpaid
  403: 'scope-missing',
  404: 'shop-unavailable',
  423: 'shop-unavailable', // locked
};

export const outcomeOf = (shop: string, response: ClientResponse): Outcome => {
  const cost = readCost(response.extensions);
  const { errors } = response;
  if (!errors) return { kind: 'data', result: { data: response.data ?? null, cost } };
  const status = errors.networkStatusCode;
  const fail = (error: Error): Outcome => ({ kind: 'failed', error });
  if (status === undefined)
    return fail(new ShopifyUnavailable(`Shopify Admin API unreachable for ${shop}: ${errors.message ?? ''}`));
  if (status === 401) return { kind: 'unauthorized' };
  const accessReason = ACCESS_STATUS[status];
  if (accessReason)
    return fail(
      new ShopifyAccessError(shop, accessReason, `Shopify Admin API answered ${status} for ${shop}`, status),
    );
  if (status === 429 || status >= 500)
    return fail(new ShopifyUnavailable(`Shopify Admin API answered ${status} for ${shop}`));
  if (status !== 200) return fail(new ShopifyQueryError(shop, [`Shopify Admin API answered ${status}`]));
  const graphQLErrors = errors.graphQLErrors ?? [];
  const codes = graphQLErrors.map((e) => e.extensions?.code);
  if (codes.includes('THROTTLED')) return { kind: 'throttled', cost };
  const denied = graphQLErrors.find((e) => e.extensions?.code === 'ACCESS_DENIED');
  // Shopify's message names the field and the scope it needs ("Required access: `write_customers`…").
  if (denied) return fail(new ShopifyAccessError(shop, 'scope-missing', denied.message, status));
  if (graphQLErrors.length === 0 || codes.includes('INTERNAL_SERVER_ERROR'))
    return fail(
      new ShopifyUnavailable(`Shopify Admin API gave ${shop} no usable answer: ${errors.message ?? ''}`),
    );
  return fail(
    new ShopifyQueryError(
      shop,
      graphQLErrors.map((e) => e.message),
    ),
  );
};
