import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';

/** Shopify releases a version on the first day of its month and supports it for twelve months. */
const releasedAt = (version: string): number => {
  const match = /^(\d{4})-(01|04|07|10)$/.exec(version);
  if (!match) throw new Error(`${version} is not a Shopify API version (YYYY-01, -04, -07 or -10)`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
};
const monthsAfter = (ms: number, months: number): number => {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate());
};

describe('the pinned Shopify API version', () => {
  it('is less than eleven months old today: a month before Shopify stops supporting it, this fails', () => {
    const warnFrom = monthsAfter(releasedAt(SHOPIFY_API_VERSION), 11);

    expect(
      Date.now(),
      `Shopify API ${SHOPIFY_API_VERSION} leaves support on ${new Date(monthsAfter(releasedAt(SHOPIFY_API_VERSION), 12)).toISOString().slice(0, 10)}: ` +
        'raise SHOPIFY_API_VERSION (functions/adapters/shopify/payloads.ts) and docs/shopify.app.toml after reading the release notes (README: "Upgrading the Shopify API version")',
    ).toBeLessThan(warnFrom);
  });

  it('is the version the app configuration subscribes with', () => {
    const toml = readFileSync(new URL('../../docs/shopify.app.toml', import.meta.url), 'utf8');

    expect(/^api_version = "([^"]+)"/m.exec(toml)?.[1]).toBe(SHOPIFY_API_VERSION);
  });

  it('fails for a version released eleven months ago or more, and only then', () => {
    expect(monthsAfter(releasedAt('2025-10'), 11)).toBe(Date.parse('2026-09-01T00:00:00Z'));
    expect(monthsAfter(releasedAt('2026-10'), 11)).toBe(Date.parse('2027-09-01T00:00:00Z'));
    expect(() => releasedAt('2026-11')).toThrow(/not a Shopify API version/);
  });
});
