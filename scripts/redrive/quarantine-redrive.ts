import { Quarantine, type QuarantinedWebhook } from '#adapters/store/quarantine.ts';
import type { Target } from './target.ts';

/** The headers a webhook is posted again with: Shopify's own (the HMAC among them) and the content type. */
const isResentHeader = (name: string): boolean => name.startsWith('x-shopify-') || name === 'content-type';

const quarantineOf = (target: Target): Quarantine =>
  new Quarantine({ doc: target.doc, name: target.tableName });

/** Quarantined webhooks of one shop (a query) or of every shop (a scan of the table). */
export const listQuarantine = async (target: Target, shop?: string): Promise<QuarantinedWebhook[]> => {
  const quarantine = quarantineOf(target);
  return shop ? quarantine.list(shop) : quarantine.listEveryShop();
};

/** The webhook function's answer to a body it still cannot use: `{ "status": "quarantined", ... }`. */
const isRequarantined = (answer: unknown): boolean =>
  typeof answer === 'object' && answer !== null && 'status' in answer && answer.status === 'quarantined';

export type QuarantineRedriveReport = {
  redriven: number;
  requarantined: number;
  failed: { eventId: string; error: string }[];
};

/**
 * Posts each quarantined webhook again, byte for byte with its Shopify headers (so its HMAC still
 * verifies), e.g. after a fix was deployed. Answered 200 it leaves the quarantine (if it is still
 * unusable, the webhook function quarantines it afresh); a truncated body cannot be redriven.
 */
export const redriveQuarantine = async (target: Target, shop?: string): Promise<QuarantineRedriveReport> => {
  const quarantine = quarantineOf(target);
  const report: QuarantineRedriveReport = { redriven: 0, requarantined: 0, failed: [] };
  for (const item of await listQuarantine(target, shop)) {
    if (item.body.length !== item.bodyBytes) {
      report.failed.push({
        eventId: item.eventId,
        error: `body was cut to ${item.body.length} of ${item.bodyBytes} bytes`,
      });
      continue;
    }
    const headers = Object.fromEntries(Object.entries(item.headers).filter(([name]) => isResentHeader(name)));
    const response = await fetch(target.webhookUrl, { method: 'POST', headers, body: item.body });
    const answer: unknown = await response.json().catch(() => null);
    if (response.status !== 200) {
      report.failed.push({ eventId: item.eventId, error: `webhook answered ${response.status}` });
      continue;
    }
    await quarantine.remove(item);
    if (isRequarantined(answer)) report.requarantined++;
    else report.redriven++;
  }
  return report;
};
