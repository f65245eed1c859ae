import { createHmac, timingSafeEqual } from 'node:crypto';

/** Shopify's signature: base64 HMAC-SHA256 of the raw body bytes with the app's client secret. */
export const signShopifyBody = (body: Buffer | string, secret: string): string =>
  createHmac('sha256', secret).update(body).digest('base64');

/**
 * True when `signature` is a valid signature of `body` under any of `secrets` (the current
 * secret and, during rotation, the previous one). Compares in constant time.
 */
export const verifyShopifyHmac = (
  body: Buffer,
  signature: string | undefined,
  secrets: readonly string[],
): boolean => {
  if (!signature) return false;
  const given = Buffer.from(signature, 'base64');
  if (given.length !== 32) return false;
  let valid = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    // Check every secret so the time taken does not reveal which one matched.
    if (timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
};
