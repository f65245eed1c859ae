import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an unsubscribe link identifies. */
export type UnsubscribeClaim = { shop: string; customerId: string; expiresAt: number };

const sign = (payload: string, key: string) => createHmac('sha256', key).update(payload).digest('base64url');

/** A signed, expiring token for the one-click unsubscribe link: base64url(JSON).signature. */
export const createUnsubscribeToken = (claim: UnsubscribeClaim, key: string): string => {
  const payload = Buffer.from(JSON.stringify([claim.shop, claim.customerId, claim.expiresAt])).toString(
    'base64url',
  );
  return `${payload}.${sign(payload, key)}`;
};

/** The claim of a valid, unexpired token, or null. */
export const verifyUnsubscribeToken = (
  token: string,
  key: string,
  nowSeconds: number,
): UnsubscribeClaim | null => {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length > 0) return null;
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 3) return null;
    const [shop, customerId, expiresAt] = decoded;
    if (typeof shop !== 'string' || typeof customerId !== 'string' || typeof expiresAt !== 'number')
      return null;
    return expiresAt >= nowSeconds ? { shop, customerId, expiresAt } : null;
  } catch {
    return null;
  }
};
