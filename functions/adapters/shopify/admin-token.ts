import { z } from 'zod';
import { ShopifyAccessError, ShopifyUnavailable } from './admin-errors.ts';

/** `fetch` as the Admin adapters call it; tests inject their own. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** A shop's origin for its Admin endpoints: `https://{shop}`, or a local stand-in's with `{shop}` in its path. */
export const shopOrigin = (origin: string, shop: string): string => origin.replaceAll('{shop}', shop);

/** An Admin API access token from the client-credentials grant; `expiresAt` in epoch milliseconds. */
export type AccessToken = { value: string; scopes: string[]; expiresAt: number | null };

export type ClientCredentials = { clientId: string; clientSecret: string };

// Shopify answers `{access_token, scope, expires_in}` (~86,399 s, no refresh token).
const GrantAnswer = z.object({
  access_token: z.string().min(1),
  scope: z.string().default(''),
  expires_in: z.number().positive().optional(),
});
// An OAuth error code (`invalid_client`) is safe to quote; its free-text description is not read.
const GrantRefusal = z.object({ error: z.string().regex(/^[a-z_]{1,64}$/) });

export type GrantRequest = ClientCredentials & {
  origin: string;
  shop: string;
  fetch: Fetch;
  now: () => number;
  timeoutMs: number;
};

/**
 * The client-credentials grant (`POST {origin}/admin/oauth/access_token`, form-encoded
 * `grant_type=client_credentials&client_id&client_secret`), open to a Dev Dashboard app installed
 * on a store of its own organisation. Throws `ShopifyAccessError` (`credentials-rejected`) when
 * Shopify refuses it, `ShopifyUnavailable` when a retry may succeed.
 */
export const requestAccessToken = async (request: GrantRequest): Promise<AccessToken> => {
  const { shop } = request;
  let response: Response;
  try {
    response = await request.fetch(`${shopOrigin(request.origin, shop)}/admin/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: request.clientId,
        client_secret: request.clientSecret,
      }).toString(),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw new ShopifyUnavailable(
      `Shopify token endpoint unreachable for ${shop}: ${(error as Error).message}`,
    );
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 429 || response.status >= 500)
    throw new ShopifyUnavailable(`Shopify token endpoint answered ${response.status} for ${shop}`);
  if (!response.ok) {
    const refusal = GrantRefusal.safeParse(body);
    throw new ShopifyAccessError(
      shop,
      'credentials-rejected',
      `Shopify refused the client-credentials grant for ${shop} (${response.status}` +
        `${refusal.success ? ` ${refusal.data.error}` : ''}): check the client id and secret, and that ` +
        'the app is installed on this store of its own organisation',
      response.status,
    );
  }
  const answer = GrantAnswer.safeParse(body);
  if (!answer.success) throw new ShopifyUnavailable(`Shopify token endpoint gave ${shop} no access token`);
  const { access_token, scope, expires_in } = answer.data;
  return {
    value: access_token,
    scopes: scope.split(',').filter((s) => s.length > 0),
    expiresAt: expires_in === undefined ? null : request.now() + expires_in * 1000,
  };
};

type Entry = { pending: Promise<AccessToken>; token?: AccessToken };

/**
 * Client-credentials tokens kept in memory per shop and app, for the life of the Lambda
 * environment: a token is reused until `refreshMarginMs` before it expires, one grant at a time
 * per shop, and forgotten when Shopify refuses it (401), so the next call asks for a new one.
 */
export class AccessTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly options: Omit<GrantRequest, 'shop' | keyof ClientCredentials> & {
    refreshMarginMs: number;
  };

  constructor(options: Omit<GrantRequest, 'shop' | keyof ClientCredentials> & { refreshMarginMs: number }) {
    this.options = options;
  }

  async get(shop: string, credentials: ClientCredentials): Promise<AccessToken> {
    const key = `${shop} ${credentials.clientId}`;
    const cached = this.entries.get(key);
    if (cached) {
      const token = await cached.pending.catch(() => null);
      if (
        token &&
        (token.expiresAt === null || this.options.now() < token.expiresAt - this.options.refreshMarginMs)
      )
        return token;
      // Another caller already replaced the stale entry: share its grant.
      if (this.entries.get(key) !== cached) return this.get(shop, credentials);
    }
    const entry: Entry = { pending: requestAccessToken({ ...this.options, ...credentials, shop }) };
    this.entries.set(key, entry);
    entry.pending.then(
      (token) => {
        entry.token = token;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.pending;
  }

  /** Forgets the shop's token if it is still `value` (a newer one is kept). */
  invalidate(shop: string, credentials: ClientCredentials, value: string): void {
    const key = `${shop} ${credentials.clientId}`;
    if (this.entries.get(key)?.token?.value === value) this.entries.delete(key);
  }
}
