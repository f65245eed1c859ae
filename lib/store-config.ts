import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { SHOP_DOMAIN } from '../functions/adapters/shopify/shop-domain.ts';
import type { Catalog } from '../functions/domain/journey-config.ts';
import { isTimeZone } from '../functions/domain/send-policy.ts';

/**
 * One store's settings in one validated file (`-c loyaltyLoop:storeConfig=stores/your-shop.json`):
 * who the shop is to its customers and where its catalog is. A value given as context as well
 * must agree with the file.
 */
export const StoreConfigFile = z
  .object({
    /** The store's `*.myshopify.com` domain: the shop the stack serves. */
    shop: z.string().regex(SHOP_DOMAIN, "expected the store's *.myshopify.com domain"),
    /** The shop's name as customers know it: emails' greeting and footer, and the From's display name. */
    brand: z.string().trim().min(1).max(100),
    sender: z
      .object({
        address: z.email('an email address at a domain the merchant owns'),
        name: z.string().trim().min(1).max(100).optional(),
        replyTo: z.email('an email address').optional(),
      })
      .strict(),
    /** The postal address every email shows (CAN-SPAM). */
    postalAddress: z.string().trim().min(10, 'a full postal address').max(300),
    /** The shop's IANA time zone (Shopify's `ianaTimezone`); timing (quiet hours) uses it. */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Tokyo'),
    /** The catalog journeys are checked against (`npm run catalog` writes it), relative to this file. */
    catalog: z.string().min(1).optional(),
  })
  .strict();
export type StoreConfigFile = z.infer<typeof StoreConfigFile>;

/** A store file read and checked: its settings, and its catalog (loaded) when it names one. */
export type StoreConfig = StoreConfigFile & { catalogData?: Catalog };

/** Reads and validates a store file; problems name the file and the field. */
export const readStoreConfig = (path: string): StoreConfig => {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `invalid Loyalty Loop context:\n  - loyaltyLoop:storeConfig: ${path}: ${(error as Error).message}`,
    );
  }
  const parsed = StoreConfigFile.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  - ${path}: ${i.path.join('.') || '(file)'}: ${i.message}`,
    );
    throw new Error(`invalid Loyalty Loop context:\n${lines.join('\n')}`);
  }
  const config: StoreConfig = parsed.data;
  if (!config.catalog) return config;
  const catalogPath = resolve(dirname(path), config.catalog);
  try {
    return { ...config, catalogData: JSON.parse(readFileSync(catalogPath, 'utf8')) as Catalog };
  } catch (error) {
    throw new Error(
      `invalid Loyalty Loop context:\n  - ${path}: catalog: ${catalogPath}: ${(error as Error).message}`,
    );
  }
};
