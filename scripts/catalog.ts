import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ShopifyQueryError } from '#adapters/shopify/admin-errors.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { awsTarget, localTarget, sessionsFor } from './operator-target.ts';
import { runMain } from './run-main.ts';

/**
 * Writes a shop's catalog from its Admin API — products with their variants (ids, SKUs, titles,
 * prices), vendors, types and tags, and the shop's name, currency and time zone — in the shape
 * journeys are checked against (`npm run check:journeys -- --catalog FILE`), so journeys can be
 * written with the store's real product ids. Ids are kept as strings (they exceed 2^53).
 *
 *   npm run catalog -- --shop S --local http://127.0.0.1:3000 [--out FILE]
 *   npm run catalog -- --shop S --admin-tokens-secret <ShopifyAdminTokensArn> [--out FILE]
 */

/** Products a page, and variants a product: 15 × 50 keeps a page under the 1,000-point single-query cost. */
const PRODUCTS_PER_PAGE = 15;
const VARIANTS_PER_PRODUCT = 50;
const QUERY = `query catalog($after: String) {
  shop { name myshopifyDomain currencyCode ianaTimezone }
  products(first: ${PRODUCTS_PER_PAGE}, after: $after) {
    nodes {
      id title vendor productType tags
      variants(first: ${VARIANTS_PER_PRODUCT}) { nodes { id sku title price } pageInfo { hasNextPage } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const Page = z.object({
  shop: z.object({
    name: z.string(),
    myshopifyDomain: z.string(),
    currencyCode: z.string(),
    ianaTimezone: z.string(),
  }),
  products: z.object({
    nodes: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        vendor: z.string().nullish(),
        productType: z.string().nullish(),
        tags: z.array(z.string()),
        variants: z.object({
          nodes: z.array(
            z.object({ id: z.string(), sku: z.string().nullish(), title: z.string(), price: z.string() }),
          ),
          pageInfo: z.object({ hasNextPage: z.boolean() }),
        }),
      }),
    ),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
  }),
});

/** The number of a GID (`gid://shopify/Product/8001` → `8001`). */
const idOf = (gid: string) => gid.slice(gid.lastIndexOf('/') + 1);

export const parseCatalogCommand = (args: string[]) => {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string' },
      local: { type: 'string' },
      'admin-tokens-secret': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.shop || !SHOP_DOMAIN.test(values.shop)) throw new Error('pass --shop <shop>.myshopify.com');
  if (!values.local && !values['admin-tokens-secret'])
    throw new Error('pass --local URL, or --admin-tokens-secret (stack output ShopifyAdminTokensArn)');
  return { ...values, shop: values.shop, out: values.out ?? `${values.shop}.catalog.json` };
};

/** The shop's catalog, page by page; products with more variants than a page holds are named in `truncated`. */
export const readCatalog = async (command: ReturnType<typeof parseCatalogCommand>) => {
  const target = command.local
    ? await localTarget(command.local)
    : awsTarget({
        queuePrefix: '',
        tableName: '',
        webhookUrl: '',
        adminTokensSecretArn: command['admin-tokens-secret'],
      });
  const session = await sessionsFor(target).forShop(command.shop);
  if (!session)
    throw new Error(`no Admin API credentials for ${command.shop} in the ShopifyAdminTokens secret`);
  const products = [];
  const truncated: string[] = [];
  let shop: z.infer<typeof Page>['shop'] | null = null;
  let after: string | null = null;
  do {
    const { data } = await session.request(QUERY, { after });
    const page = Page.parse(data);
    shop = page.shop;
    for (const p of page.products.nodes) {
      if (p.variants.pageInfo.hasNextPage) truncated.push(p.title);
      products.push({
        product_id: idOf(p.id),
        title: p.title,
        vendor: p.vendor ?? null,
        product_type: p.productType ?? null,
        tags: p.tags,
        variants: p.variants.nodes.map((v) => ({
          variant_id: idOf(v.id),
          sku: v.sku ?? null,
          title: v.title,
          price: v.price,
        })),
      });
    }
    after = page.products.pageInfo.hasNextPage ? (page.products.pageInfo.endCursor ?? null) : null;
  } while (after);
  const catalog = {
    shop: {
      domain: shop?.myshopifyDomain ?? command.shop,
      name: shop?.name ?? '',
      currency: shop?.currencyCode ?? '',
      timezone: shop?.ianaTimezone ?? '',
    },
    products,
  };
  return { catalog, truncated };
};

const main = async () => {
  const command = parseCatalogCommand(process.argv.slice(2));
  const { catalog, truncated } = await readCatalog(command).catch((error: unknown) => {
    // A products query quotes no customer data: Shopify's own words help the operator.
    if (error instanceof ShopifyQueryError) throw new Error(`${error.message}: ${error.messages.join('; ')}`);
    throw error;
  });
  writeFileSync(command.out, `${JSON.stringify(catalog, null, 2)}\n`);
  const variants = catalog.products.reduce((n, p) => n + p.variants.length, 0);
  process.stdout.write(
    `catalog of ${command.shop}: ${catalog.products.length} products, ${variants} variants → ${command.out}\n` +
      (truncated.length > 0
        ? `only the first ${VARIANTS_PER_PRODUCT} variants of: ${truncated.join(', ')}\n`
        : ''),
  );
};

if (import.meta.main) runMain('catalog', main);
