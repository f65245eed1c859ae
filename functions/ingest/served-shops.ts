import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';

/**
 * The shops this deployment serves (`loyaltyLoop:shops`, variable `SHOPS`): a comma-separated list
 * of `*.myshopify.com` domains, or `*` for every shop whose webhooks verify. Shopify signs with the
 * app's secret whatever the shop, so a signed body of one shop can be re-sent under another shop's
 * domain: a shop not listed is answered 200 and dropped (metric `UnservedShopDropped`).
 */
export class ServedShops {
  private readonly shops: ReadonlySet<string> | 'every shop';

  constructor(setting: string) {
    const trimmed = setting.trim();
    if (trimmed === '*') {
      this.shops = 'every shop';
      return;
    }
    const shops = trimmed
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const invalid = shops.filter((s) => !SHOP_DOMAIN.test(s));
    if (shops.length === 0 || invalid.length > 0)
      throw new Error(
        `SHOPS must be "*" or a list of *.myshopify.com domains; got "${setting.slice(0, 200)}"`,
      );
    this.shops = new Set(shops);
  }

  serves(shop: string): boolean {
    return this.shops === 'every shop' || this.shops.has(shop);
  }

  /** The shops listed; with `*`, `known` (the shops a job knows of otherwise, e.g. those with credentials). */
  listed(known: readonly string[]): string[] {
    return this.shops === 'every shop' ? [...known] : [...this.shops];
  }
}
