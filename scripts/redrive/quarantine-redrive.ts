import { Quarantine, type QuarantinedWebhook } from '#adapters/store/quarantine.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { journeyConfig } from '#journeys/index.ts';
import { parseWebhook } from '../../functions/ingest/topics.ts';
import type { Target } from '../operator-target.ts';

const quarantineOf = (target: Target): Quarantine =>
  new Quarantine({ doc: target.doc, name: target.tableName });

/** Quarantined webhooks of one shop (a query) or of every shop (a scan of the table). */
export const listQuarantine = async (target: Target, shop?: string): Promise<QuarantinedWebhook[]> => {
  const quarantine = quarantineOf(target);
  return shop ? quarantine.list(shop) : quarantine.listEveryShop();
};

export type QuarantineRedriveReport = {
  redriven: number;
  /** Still unusable (the cause is not fixed, or no shop is known): kept in the quarantine. */
  requarantined: number;
  failed: { eventId: string; error: string }[];
};

/**
 * Applies each quarantined webhook's copy through the apply path, as the webhook function would,
 * e.g. after a fix was deployed. The copy is not posted to the webhook route: it is kept without
 * its signature (and without personal fields), so nobody can pass it off as Shopify's. Applied, it
 * leaves the quarantine; still unusable, it stays; a copy that was cut cannot be redriven.
 */
export const redriveQuarantine = async (target: Target, shop?: string): Promise<QuarantineRedriveReport> => {
  const table = { doc: target.doc, name: target.tableName };
  const quarantine = new Quarantine(table);
  const applyPath = new ApplyPath(table, journeyConfig, target.pepper);
  const report: QuarantineRedriveReport = { redriven: 0, requarantined: 0, failed: [] };
  for (const item of await listQuarantine(target, shop)) {
    const { eventId, copy, topic, triggeredAt, headers } = item;
    if (copy === null || !item.complete) {
      report.failed.push({ eventId, error: copy === null ? 'body was not JSON' : 'copy was cut' });
      continue;
    }
    const itemShop = headers['x-shopify-shop-domain'] ?? '';
    const parsed = parseWebhook({
      topic,
      shop: itemShop,
      body: Buffer.from(copy),
      triggeredAt,
      headerProblem: itemShop ? null : 'no shop',
    });
    try {
      if (parsed.kind === 'change') await applyPath.apply(itemShop, parsed.change);
    } catch (error) {
      if (!(error instanceof UnusableChange)) {
        report.failed.push({ eventId, error: error instanceof Error ? error.name : 'error' });
        continue;
      }
      report.requarantined++;
      continue;
    }
    if (parsed.kind === 'quarantine') {
      report.requarantined++;
      continue;
    }
    await quarantine.remove(item);
    report.redriven++;
  }
  return report;
};
