import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import demoCatalog from '../../journeys/bakery-catalog.json' with { type: 'json' };
import { useLocalStack } from '../support/local-stack.ts';
import { DEMO_SHOP } from '../support/shopify-payloads.ts';

const run = promisify(execFile);
const local = useLocalStack();
const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'catalog-'));

/** A catalog reduced to what a check compares: ids as strings, SKUs and titles, by product id (Shopify's order). */
const essence = (catalog: typeof demoCatalog | Record<string, unknown>) =>
  (catalog as typeof demoCatalog).products
    .map((p) => ({
      product: String(p.product_id),
      title: p.title,
      variants: p.variants.map((v) => ({ variant: String(v.variant_id), sku: v.sku, price: v.price })),
    }))
    .sort((a, b) => a.product.localeCompare(b.product));

describe('a shop’s catalog from its Admin API, and journeys checked against it', () => {
  it('writes the demo bakery’s catalog as its Admin API serves it; the journeys check against it', {
    timeout: 60_000,
  }, async () => {
    const out = join(dir, 'bakery.json');

    const { stdout } = await run(
      process.execPath,
      ['scripts/catalog.ts', '--shop', DEMO_SHOP, '--local', local.url, '--out', out],
      { cwd: ROOT },
    );
    const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const checked = await run(process.execPath, ['scripts/check-journeys.ts', '--catalog', out], {
      cwd: ROOT,
    });

    expect(stdout).toMatch(new RegExp(`catalog of ${DEMO_SHOP}: ${demoCatalog.products.length} products`));
    expect(written.shop).toEqual({
      domain: DEMO_SHOP,
      name: 'Demo Bakery',
      currency: 'JPY',
      timezone: 'Asia/Tokyo',
    });
    expect(essence(written)).toEqual(essence(demoCatalog));
    expect(checked.stdout).toMatch(
      /every journey and segment is valid and registered \(products checked against/,
    );
  });

  it('names the journey, the path and the product a catalog does not sell', { timeout: 60_000 }, async () => {
    const withoutRumBaba = {
      ...demoCatalog,
      products: demoCatalog.products.filter((p) => !p.title.startsWith('Rum Baba')),
    };
    const loaded = await fetch(`${local.url}/_local/shopify/catalog?shop=${DEMO_SHOP}`, {
      method: 'POST',
      body: JSON.stringify(withoutRumBaba),
    });
    expect(loaded.status).toBe(200);
    const out = join(dir, 'no-rum-baba.json');
    await run(
      process.execPath,
      ['scripts/catalog.ts', '--shop', DEMO_SHOP, '--local', local.url, '--out', out],
      {
        cwd: ROOT,
      },
    );

    const failed = await run(process.execPath, ['scripts/check-journeys.ts', '--catalog', out], {
      cwd: ROOT,
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /journeys\/rum-baba-fans\.ts: rum-baba-fans\.stages\[\d\]\.when.*unknown product id "8001000000001" \(not in the catalog\)/,
    );
  });

  it('refuses a body that is not a catalog, clearly', async () => {
    const answer = await fetch(`${local.url}/_local/shopify/catalog?shop=${DEMO_SHOP}`, {
      method: 'POST',
      body: '{"products": 1}',
    });

    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { message: string }).message).toMatch(/^not a catalog file: /);
  });
});
