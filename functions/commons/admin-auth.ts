import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { HttpError } from './http.ts';
import { secretJson } from './secret-json.ts';

/** The shops a key may read: every shop (an operator's key), or the ones listed. */
export type AdminAccess = { readonly shops: '*' | ReadonlySet<string> };

/** One admin key: its SHA-256 (what requests are compared with) and what it may read. */
export type AdminKey = { readonly digest: Buffer; readonly access: AdminAccess };

/** The secret's JSON form: keys, each for some shops or for all (`"*"`). */
const AdminKeysJson = z.object({
  keys: z
    .array(
      z.object({
        key: z.string().min(16, 'keys need 16 characters or more'),
        shops: z.union([
          z.literal('*'),
          z.array(z.string().regex(SHOP_DOMAIN, 'expected a *.myshopify.com domain')).min(1),
        ]),
      }),
    )
    .min(1)
    .refine((keys) => new Set(keys.map((k) => k.key)).size === keys.length, 'every key must differ'),
});

const digestOf = (key: string) => createHash('sha256').update(key).digest();

/**
 * The keys in the admin secret: a plain string is one key for every shop; JSON
 * `{"keys":[{"key":"…","shops":["a.myshopify.com"]},{"key":"…","shops":"*"}]}` gives each key its
 * shops. Errors never quote the secret.
 */
export const adminKeys = (secretValue: string): AdminKey[] => {
  const parsed = secretJson(secretValue, AdminKeysJson, 'admin API key secret');
  if (!parsed) return [{ digest: digestOf(secretValue), access: { shops: '*' } }];
  return parsed.keys.map(({ key, shops }) => ({
    digest: digestOf(key),
    access: { shops: shops === '*' ? '*' : new Set(shops) },
  }));
};

/**
 * Requires `Authorization: Bearer <admin key>`; 401 otherwise. Compared in constant time: SHA-256
 * digests (equal lengths whatever the key's), every key compared, no early exit.
 */
export const requireBearer = (event: APIGatewayProxyEventV2, keys: readonly AdminKey[]): AdminAccess => {
  const match = /^Bearer (.+)$/.exec(event.headers?.authorization ?? '');
  const given = digestOf(match?.[1] ?? '');
  let access: AdminAccess | undefined;
  for (const key of keys) {
    if (timingSafeEqual(given, key.digest) && access === undefined) access = key.access;
  }
  if (!match?.[1] || access === undefined) throw new HttpError(401, 'missing or invalid bearer token');
  return access;
};

/** 403 unless the key may read the shop in the path (a route without one needs an all-shops key). */
export const requireShop = (access: AdminAccess, shop: string | undefined): void => {
  if (access.shops === '*') return;
  if (shop === undefined || !access.shops.has(shop))
    throw new HttpError(403, 'this key may not read that shop');
};
