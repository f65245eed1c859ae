import { type AdminApiClient, createAdminApiClient, type LogContent } from '@shopify/admin-api-client';
import { readSecret } from '#adapters/secrets.ts';
import { logger } from '#commons/logger.ts';
import { assertUnreachable } from '#domain/conditions.ts';
import { type AdminResult, outcomeOf, throttleWaitMs } from './admin-answer.ts';
import { type AdminCredentials, adminCredentials } from './admin-credentials.ts';
import { ShopifyAccessError, ShopifyUnavailable } from './admin-errors.ts';
import { AccessTokens, type Fetch, shopOrigin } from './admin-token.ts';
import { SHOPIFY_API_VERSION } from './payloads.ts';

export type { AdminResult, QueryCost } from './admin-answer.ts';

export type AdminSessionOptions = {
  /** `https://{shop}`, or a local stand-in's `http://127.0.0.1:1234/{shop}`; `{shop}` is replaced. */
  origin: string;
  /** @default SHOPIFY_API_VERSION, the version the webhooks are pinned to */
  apiVersion?: string;
  /** @default globalThis.fetch */
  fetch?: Fetch;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
  /** How THROTTLED answers are waited out. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** The client library's own retries of network failures, 429 and 503 (0–3, about 1 s apart). @default 2 */
  retries?: number;
  /** One HTTP attempt's limit. @default 5_000 */
  timeoutMs?: number;
  /** A client-credentials token is renewed this long before it expires. @default 300_000 (5 min) */
  refreshMarginMs?: number;
  /** THROTTLED answers retried, and the longest total wait for them, before `ShopifyUnavailable`. @default { maxRetries: 4, maxWaitMs: 5_000 } */
  throttle?: { maxRetries: number; maxWaitMs: number };
};

/**
 * One shop's Admin GraphQL API. `request` throws `ShopifyAccessError` (refused access: token,
 * grant, scope or shop), `ShopifyQueryError` (the query is wrong: retrying changes nothing) or
 * `ShopifyUnavailable` (a retry later may succeed); mutations' `userErrors` are in `data`.
 */
export type AdminSession = {
  readonly shop: string;
  request(query: string, variables?: Record<string, unknown>): Promise<AdminResult>;
};

export type AdminSessions = {
  /** The shop's session, or null when its credentials list no entry for the shop. */
  forShop(shop: string): Promise<AdminSession | null>;
};

let unsupportedVersionLogged = false;
/** The client library's log: its retries, and once per environment a pinned version past Shopify's support. */
const libraryLog = (shop: string) => (entry: LogContent) => {
  if (entry.type === 'HTTP-Retry') {
    const content = entry.content as { lastResponse?: Response; retryAttempt: number };
    logger.info('Shopify Admin API call retried', {
      shop,
      status: content.lastResponse?.status,
      attempt: content.retryAttempt,
    });
  } else if (entry.type === 'Unsupported_Api_Version' && !unsupportedVersionLogged) {
    unsupportedVersionLogged = true;
    logger.warn(
      'the pinned Shopify API version is past its support window: Shopify answers with the oldest supported one',
      entry.content as Record<string, unknown>,
    );
  }
};

/**
 * The client library waits a 429's or 503's `Retry-After` as milliseconds, where HTTP and Shopify
 * give seconds (`2.0`) or a date: the header is handed to it in milliseconds, at most the throttle
 * budget (a longer wait is Lambda's retry's to make).
 */
const retryAfterInMs = (response: Response, options: Pick<Resolved, 'now' | 'throttle'>): Response => {
  const value = response.headers.get('retry-after');
  if (value === null || (response.status !== 429 && response.status !== 503)) return response;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - options.now();
  if (!Number.isFinite(ms)) return response;
  const headers = new Headers(response.headers);
  headers.set('retry-after', String(Math.min(Math.max(Math.ceil(ms), 0), options.throttle.maxWaitMs)));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
};

type Resolved = Required<AdminSessionOptions>;

/** A session for one shop and one set of credentials; its token is renewed through `tokens`. */
const createSession = (
  shop: string,
  credentials: AdminCredentials,
  tokens: AccessTokens,
  options: Resolved,
): AdminSession => {
  const prefix = `https://${shop}`;
  // The client builds `https://{shop}/admin/api/{version}/graphql.json`; the stand-in has another origin.
  const customFetchApi = async (url: string, init: RequestInit = {}) =>
    retryAfterInMs(
      await options.fetch(
        url.startsWith(`${prefix}/`) ? `${shopOrigin(options.origin, shop)}${url.slice(prefix.length)}` : url,
        {
          ...init,
          signal: init.signal
            ? AbortSignal.any([init.signal, AbortSignal.timeout(options.timeoutMs)])
            : AbortSignal.timeout(options.timeoutMs),
        },
      ),
      options,
    );
  let current: { token: string; client: AdminApiClient } | null = null;
  const clientFor = (token: string): AdminApiClient => {
    if (current?.token !== token)
      current = {
        token,
        client: createAdminApiClient({
          storeDomain: shop,
          apiVersion: options.apiVersion,
          accessToken: token,
          retries: options.retries,
          customFetchApi,
          logger: libraryLog(shop),
          userAgentPrefix: 'Loyalty Loop',
        }),
      };
    return current.client;
  };
  const tokenFor = async (): Promise<string> =>
    credentials.kind === 'access-token'
      ? credentials.accessToken
      : (await tokens.get(shop, credentials)).value;

  return {
    shop,
    async request(query, variables) {
      let renewed = false;
      let throttled = 0;
      let waited = 0;
      for (;;) {
        const token = await tokenFor();
        const outcome = outcomeOf(shop, await clientFor(token).request(query, { variables }));
        switch (outcome.kind) {
          case 'data':
            return outcome.result;
          case 'failed':
            throw outcome.error;
          case 'unauthorized':
            // A client-credentials token may have expired early or been revoked: one new grant, one retry.
            if (credentials.kind === 'client-credentials' && !renewed) {
              renewed = true;
              tokens.invalidate(shop, credentials, token);
              break;
            }
            throw new ShopifyAccessError(
              shop,
              'token-rejected',
              `Shopify Admin API answered 401 for ${shop}: the access token is invalid, expired or revoked, ` +
                'or the app was uninstalled',
              401,
            );
          case 'throttled': {
            const wait = throttleWaitMs(outcome.cost, throttled);
            if (throttled >= options.throttle.maxRetries || waited + wait > options.throttle.maxWaitMs)
              throw new ShopifyUnavailable(
                `Shopify Admin API throttled ${shop} (${throttled} retries, ${waited} ms waited): try again later`,
              );
            throttled += 1;
            waited += wait;
            logger.info('Shopify Admin API throttled: waiting for the bucket to refill', {
              shop,
              wait,
              throttled,
            });
            await options.sleep(wait);
            break;
          }
          default:
            return assertUnreachable(outcome);
        }
      }
    },
  };
};

/**
 * Admin API sessions per shop, from credentials looked up per call (`credentialsOf`). Tokens from
 * the client-credentials grant are cached in memory and shared by the shop's sessions; a session
 * is rebuilt when the shop's credentials change.
 */
export const createAdminSessions = (
  credentialsOf: (shop: string) => Promise<AdminCredentials | null>,
  options: AdminSessionOptions,
): AdminSessions => {
  const resolved: Resolved = {
    origin: options.origin,
    apiVersion: options.apiVersion ?? SHOPIFY_API_VERSION,
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    retries: options.retries ?? 2,
    timeoutMs: options.timeoutMs ?? 5_000,
    refreshMarginMs: options.refreshMarginMs ?? 300_000,
    throttle: options.throttle ?? { maxRetries: 4, maxWaitMs: 5_000 },
  };
  const tokens = new AccessTokens(resolved);
  const sessions = new Map<string, { key: string; session: AdminSession }>();
  return {
    async forShop(shop) {
      const credentials = await credentialsOf(shop);
      if (!credentials) return null;
      const key = JSON.stringify(credentials);
      const known = sessions.get(shop);
      if (known?.key === key) return known.session;
      const session = createSession(shop, credentials, tokens, resolved);
      sessions.set(shop, { key, session });
      return session;
    },
  };
};

/** Sessions whose credentials come from the Secrets Manager secret `secretId` (format: `admin-credentials.ts`). */
export const adminSessionsFromSecret = (secretId: string, options: AdminSessionOptions): AdminSessions =>
  createAdminSessions(async (shop) => adminCredentials(await readSecret(secretId), shop), options);
