import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { secretJson } from '#commons/secret-json.ts';

/** What an unsubscribe link identifies. */
export type UnsubscribeClaim = { shop: string; customerId: string; expiresAt: number };

/** The key id of a plain-string secret, and of the tokens made before key ids (which carry none). */
export const UNVERSIONED_KEY_ID = '0';

/** Key ids travel in links: letters, digits and hyphens (no `.`, the token's separator). */
const KeyId = z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'key ids are 1-32 letters, digits or hyphens');

/** The secret's JSON form during a rotation: the key that signs new links, and every key that verifies. */
const KeyRingJson = z
  .object({ current: KeyId, keys: z.record(KeyId, z.string().min(16, 'keys need 16 characters or more')) })
  .refine((ring) => Object.hasOwn(ring.keys, ring.current), 'the current key id must be one of "keys"');

/** The unsubscribe signing keys: `currentId`'s signs new links; any key listed verifies a link. */
export type UnsubscribeKeys = { readonly currentId: string; readonly byId: ReadonlyMap<string, string> };

/**
 * The keys in the unsubscribe secret: a plain string is the one key, id "0"; JSON
 * `{"current":"k2","keys":{"k2":"…","0":"…"}}` during a rotation. Links already sent keep working
 * while their key is listed and stop when it is removed. Errors never quote the secret.
 */
export const unsubscribeKeys = (secretValue: string): UnsubscribeKeys => {
  const ring = secretJson(secretValue, KeyRingJson, 'unsubscribe secret');
  if (!ring) return { currentId: UNVERSIONED_KEY_ID, byId: new Map([[UNVERSIONED_KEY_ID, secretValue]]) };
  return { currentId: ring.current, byId: new Map(Object.entries(ring.keys)) };
};

const sign = (payload: string, key: string) => createHmac('sha256', key).update(payload).digest('base64url');

/**
 * A signed, expiring token for the one-click unsubscribe link: `keyId.base64url(JSON).signature`
 * (the signature covers the key id too), or `base64url(JSON).signature` under key "0" — the format
 * from before key ids, so tokens stay readable by older code until a key is rotated.
 */
export const createUnsubscribeToken = (claim: UnsubscribeClaim, keys: UnsubscribeKeys): string => {
  const key = keys.byId.get(keys.currentId);
  if (key === undefined) throw new Error(`no unsubscribe key with the current id ${keys.currentId}`);
  const payload = Buffer.from(JSON.stringify([claim.shop, claim.customerId, claim.expiresAt])).toString(
    'base64url',
  );
  const signed = keys.currentId === UNVERSIONED_KEY_ID ? payload : `${keys.currentId}.${payload}`;
  return `${signed}.${sign(signed, key)}`;
};

/** The key id, payload and signed text of a token's two or three parts. */
const partsOf = (token: string) => {
  const parts = token.split('.');
  if (parts.length === 2) {
    const [payload = '', signature = ''] = parts;
    return { keyId: UNVERSIONED_KEY_ID, payload, signed: payload, signature };
  }
  if (parts.length === 3) {
    const [keyId = '', payload = '', signature = ''] = parts;
    return { keyId, payload, signed: `${keyId}.${payload}`, signature };
  }
  return null;
};

/** The claim of a valid, unexpired token signed with a listed key, or null. */
export const verifyUnsubscribeToken = (
  token: string,
  keys: UnsubscribeKeys,
  nowSeconds: number,
): UnsubscribeClaim | null => {
  const parts = partsOf(token);
  if (!parts?.payload || !parts.signature) return null;
  const { keyId, payload, signed, signature } = parts;
  const key = keys.byId.get(keyId);
  if (key === undefined) return null;
  const expected = Buffer.from(sign(signed, key));
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
