/**
 * How a Shopify Admin API call can fail, by what the caller should do about it. No message quotes
 * a token or a client secret.
 */

/** A failure Shopify may not repeat (network, 429, 5xx, throttled too long): the caller throws so Lambda retries. */
export class ShopifyUnavailable extends Error {
  override name = 'ShopifyUnavailable';
}

/**
 * Why Shopify refused the app access to a shop: retrying the same call changes nothing until the
 * merchant or the operator acts (re-installs the app, grants a scope, fixes the secret).
 * - `token-rejected`: 401, the access token is invalid, revoked or expired (after one refresh, for
 *   client credentials), or the app was uninstalled;
 * - `credentials-rejected`: the client-credentials grant was refused (wrong client id or secret,
 *   app not installed on the shop, or not an app of the shop's own organisation);
 * - `scope-missing`: the app lacks an access scope the call needs (GraphQL `ACCESS_DENIED`, 403);
 * - `shop-unavailable`: the shop is frozen (402), locked (423) or unknown (404).
 */
export type ShopifyAccessReason =
  | 'token-rejected'
  | 'credentials-rejected'
  | 'scope-missing'
  | 'shop-unavailable';

export class ShopifyAccessError extends Error {
  override name = 'ShopifyAccessError';
  readonly shop: string;
  readonly reason: ShopifyAccessReason;
  /** The HTTP status Shopify answered, when it answered one. */
  readonly status: number | undefined;

  constructor(shop: string, reason: ShopifyAccessReason, message: string, status?: number) {
    super(message);
    this.shop = shop;
    this.reason = reason;
    this.status = status;
  }
}

/**
 * Shopify answered the query with top-level GraphQL errors (or a 4xx other than the access ones):
 * the query or its variables are wrong, so retrying changes nothing. Mutations' `userErrors` are
 * data, not this error.
 */
export class ShopifyQueryError extends Error {
  override name = 'ShopifyQueryError';
  readonly shop: string;
  /** Shopify's messages; they may quote the variables (customer data): count them in logs, never log them. */
  readonly messages: string[];

  constructor(shop: string, messages: string[]) {
    super(`Shopify Admin API refused the query for ${shop} (${messages.length} error(s))`);
    this.shop = shop;
    this.messages = messages;
  }
}
