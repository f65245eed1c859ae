import { randomBytes } from 'node:crypto';

/**
 * Admin API access for the stand-in, both ways a shop's app can hold it:
 * - a static token per shop (a legacy custom app's `shpat_…`, never expiring);
 * - the client-credentials grant of a Dev Dashboard app on the merchant's own store:
 *   `POST /{shop}/admin/oauth/access_token` with `client_id`, `client_secret` and
 *   `grant_type=client_credentials` (form or JSON) answers `{ access_token, scope, expires_in:
 *   86399 }`; there is no refresh token, the app asks again when the token expires.
 * Time follows the injected clock, so the local stack's time travel expires tokens.
 */

export type AppCredentials = {
  clientId: string;
  clientSecret: string;
  /** The scopes the grant reports. @default 'read_all_orders,read_customers,read_orders,write_customers' */
  scope?: string;
};

/** What the token endpoint answers: an HTTP status and a JSON body. */
export type TokenAnswer = { status: number; body: Record<string, unknown> };

/** Seconds a client-credentials token lives (Shopify answers `expires_in: 86399`). */
export const TOKEN_LIFETIME_SECONDS = 86_399;

const DEFAULT_SCOPE = 'read_all_orders,read_customers,read_orders,write_customers';

// Shopify answers a bad GraphQL token with this body; the error names for the token endpoint are
// RFC 6749's (section 5.2), as shopify.dev does not document the grant's error bodies.
const oauthError = (status: number, error: string, description: string): TokenAnswer => ({
  status,
  body: { error, error_description: description },
});

export class AccessTokens {
  private readonly issued = new Map<string, { shop: string; expiresAt: number }>();
  private readonly apps = new Map<string, AppCredentials>();

  private readonly staticTokens: Record<string, string>;
  private readonly now: () => number;

  constructor(staticTokens: Record<string, string>, apps: Record<string, AppCredentials>, now: () => number) {
    this.staticTokens = staticTokens;
    this.now = now;
    for (const [shop, credentials] of Object.entries(apps)) this.apps.set(shop, credentials);
  }

  /** Installs (or replaces) the Dev Dashboard app whose credentials the shop's grant accepts. */
  installApp(shop: string, credentials: AppCredentials): void {
    this.apps.set(shop, credentials);
  }

  /** Answers a client-credentials grant request for the shop. */
  grant(shop: string, params: Record<string, unknown>): TokenAnswer {
    const clientId = params.client_id;
    const clientSecret = params.client_secret;
    const grantType = params.grant_type;
    if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof grantType !== 'string')
      return oauthError(400, 'invalid_request', 'client_id, client_secret and grant_type are required');
    if (grantType !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
    const app = this.apps.get(shop);
    if (!app || app.clientId !== clientId || app.clientSecret !== clientSecret)
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    const token = `shpat_${randomBytes(16).toString('hex')}`;
    this.issued.set(token, { shop, expiresAt: this.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    return {
      status: 200,
      body: { access_token: token, scope: app.scope ?? DEFAULT_SCOPE, expires_in: TOKEN_LIFETIME_SECONDS },
    };
  }

  /** Whether `token` opens the shop's Admin API now. */
  accepts(shop: string, token: string): boolean {
    if (!token) return false;
    if (this.staticTokens[shop] === token) return true;
    const issued = this.issued.get(token);
    return issued !== undefined && issued.shop === shop && this.now() < issued.expiresAt;
  }
}
