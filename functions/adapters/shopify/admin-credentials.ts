import { z } from 'zod';
import { secretJson } from '#commons/secret-json.ts';
import { SHOP_DOMAIN } from './shop-domain.ts';

const ClientCredentials = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/**
 * The `ShopifyAdminTokens` secret: per shop, how the app gets an Admin API access token.
 * - `{"clientId","clientSecret"}`: a Dev Dashboard app installed on the merchant's own store; a
 *   ~24 h token comes from the client-credentials grant and is renewed before it expires;
 * - a string: an existing Admin API access token (`shpat_…`, e.g. a legacy custom app's), as
 *   the secret held before client credentials: `{"<shop>": "<token>"}` stays valid.
 * A shop that is not listed is not called.
 */
export const AdminCredentialsSecret = z
  .record(z.string(), z.unknown())
  // Checked before the values, so that no issue's path quotes a key that is not a shop (a pasted token).
  .refine((entries) => Object.keys(entries).every((key) => SHOP_DOMAIN.test(key)), {
    error: 'each key must be a shop domain, <name>.myshopify.com',
    abort: true,
  })
  .pipe(
    z.record(
      z.string(),
      z.union([z.string().min(1), ClientCredentials], {
        error: 'expected an access token string or {"clientId","clientSecret"}',
      }),
    ),
  );
export type AdminCredentialsSecret = z.infer<typeof AdminCredentialsSecret>;

export type AdminCredentials =
  | { kind: 'access-token'; accessToken: string }
  | { kind: 'client-credentials'; clientId: string; clientSecret: string };

const LABEL = 'Shopify admin credentials secret';

/**
 * The shop's Admin API credentials in the secret's value, or null for a shop not listed. A
 * malformed secret throws an error that names the problem, never a value.
 */
export const adminCredentials = (secretValue: string, shop: string): AdminCredentials | null => {
  const parsed = secretJson(secretValue, AdminCredentialsSecret, LABEL);
  if (!parsed)
    throw new Error(`${LABEL} must be a JSON object of shop → token or {"clientId","clientSecret"}`);
  const entry = Object.hasOwn(parsed, shop) ? parsed[shop] : undefined;
  if (entry === undefined) return null;
  return typeof entry === 'string'
    ? { kind: 'access-token', accessToken: entry }
    : { kind: 'client-credentials', clientId: entry.clientId, clientSecret: entry.clientSecret };
};

/** The shops the secret gives Admin API credentials for. */
export const credentialedShops = (secretValue: string): string[] =>
  Object.keys(secretJson(secretValue, AdminCredentialsSecret, LABEL) ?? {});
