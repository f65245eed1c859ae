import { parseJsonLossless } from './lossless-json.ts';

/**
 * Strips a Shopify webhook body of personal data, for the copy kept in the quarantine: names,
 * addresses (all but country and province), email addresses, phone numbers, notes, IPs, browser
 * details and checkout tokens go, at any depth; ids, amounts, products and dates stay, so the
 * copy still shows what was wrong and can still be applied once the cause is fixed.
 */

/** Fields removed wherever they appear. */
const PERSONAL = new Set([
  'email',
  'contact_email',
  'email_address',
  'phone',
  'first_name',
  'last_name',
  'address1',
  'address2',
  'city',
  'zip',
  'company',
  'latitude',
  'longitude',
  'note',
  'note_attributes',
  'browser_ip',
  'client_details',
  'payment_details',
  'token',
  'cart_token',
  'checkout_token',
  'order_status_url',
  'landing_site',
  'referring_site',
]);

/** Address objects keep only where, never who: their `name` (the addressee) goes too. */
const ADDRESSES = new Set([
  'billing_address',
  'shipping_address',
  'default_address',
  'addresses',
  'customer_address',
]);
const ADDRESS_KEPT = new Set(['country_code', 'province_code', 'country', 'province', 'id', 'default']);

const strip = (value: unknown, inAddress: boolean, depth: number): unknown => {
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => strip(v, inAddress, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines properties: a `__proto__` key stays a plain key.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !PERSONAL.has(key) && (!inAddress || ADDRESS_KEPT.has(key)))
      .map(([key, field]) => [key, strip(field, ADDRESSES.has(key), depth + 1)]),
  );
};

/** The body without personal fields, as JSON; null when the body is not JSON (nothing can be told apart). */
export const withoutPersonalFields = (body: Buffer): string | null => {
  let value: unknown;
  try {
    value = parseJsonLossless(body.toString('utf8'));
  } catch {
    return null;
  }
  return JSON.stringify(strip(value, false, 0));
};
