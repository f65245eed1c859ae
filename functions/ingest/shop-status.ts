import { ShopRegistry } from '#adapters/store/shops.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { logger } from '#commons/logger.ts';

/** How long a shop's uninstall status is cached per Lambda environment, to spare a read per webhook. */
const CACHE_MS = 60_000;

/**
 * Notices reinstalls: a webhook triggered after the shop's uninstall means the app is installed
 * again, so sending resumes. The status is cached a minute per environment.
 */
export class ReinstallWatch {
  private readonly shops: ShopRegistry;
  private readonly cache = new Map<string, { uninstalledAt: string | null; until: number }>();

  constructor(table: StoreTable) {
    this.shops = new ShopRegistry(table);
  }

  /** Forgets a shop's cached status (after recording its uninstall). */
  forget(shop: string): void {
    this.cache.delete(shop);
  }

  async noteWebhook(shop: string, triggeredAt: string, now: number): Promise<void> {
    let cached = this.cache.get(shop);
    if (!cached || cached.until < now) {
      cached = { ...(await this.shops.status(shop)), until: now + CACHE_MS };
      this.cache.set(shop, cached);
    }
    if (cached.uninstalledAt === null || cached.uninstalledAt >= triggeredAt) return;
    if (await this.shops.clearUninstalled(shop, triggeredAt)) {
      this.cache.delete(shop);
      logger.info('app reinstalled: sending resumes', { shop, triggeredAt });
    }
  }
}
