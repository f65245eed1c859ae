import { z } from 'zod';

/**
 * A shop's products as the Admin stand-in serves them (`products`, `shop`), loaded from a catalog
 * file in the shape `npm run catalog` writes and `check:journeys` reads (journeys/bakery-catalog.json).
 */
export const CatalogFile = z.object({
  shop: z
    .object({
      domain: z.string().optional(),
      name: z.string(),
      currency: z.string(),
      timezone: z.string(),
    })
    .loose(),
  products: z.array(
    z
      .object({
        product_id: z.union([z.number(), z.string()]),
        title: z.string(),
        vendor: z.string().nullish(),
        product_type: z.string().nullish(),
        tags: z.array(z.string()).default([]),
        variants: z.array(
          z
            .object({
              variant_id: z.union([z.number(), z.string()]),
              sku: z.string().nullish(),
              title: z.string(),
              price: z.string(),
            })
            .loose(),
        ),
      })
      .loose(),
  ),
});
export type CatalogFile = z.infer<typeof CatalogFile>;

type JsonObject = Record<string, unknown>;

/** One product as GraphQL answers it, and its variants (a connection of the product). */
export type StoredProduct = { node: JsonObject & { id: string }; variants: (JsonObject & { id: string })[] };

/** The catalog's products as Admin GraphQL nodes, and the shop's fields. */
export const catalogNodes = (catalog: CatalogFile, domain: string) => ({
  shop: {
    name: catalog.shop.name,
    myshopifyDomain: domain,
    currencyCode: catalog.shop.currency,
    ianaTimezone: catalog.shop.timezone,
  },
  products: catalog.products.map(
    (p): StoredProduct => ({
      node: {
        id: `gid://shopify/Product/${p.product_id}`,
        title: p.title,
        vendor: p.vendor ?? '',
        productType: p.product_type ?? '',
        tags: p.tags,
      },
      variants: p.variants.map((v) => ({
        id: `gid://shopify/ProductVariant/${v.variant_id}`,
        sku: v.sku ?? null,
        title: v.title,
        price: v.price,
      })),
    }),
  ),
});
