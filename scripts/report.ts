import { parseArgs } from 'node:util';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { REPORTS } from '#domain/analytics/reports.ts';
import { renderReport } from './report/render.ts';
import { runMain } from './run-main.ts';

const usage = `usage: npm run report -- <report> --shop S [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                          [--segment ID] [--journey ID] [--product ID] [--days N] [--json] [--refresh]
                          [--api URL --admin-key K]   (a deployed stack: output ApiUrl)

reports: ${REPORTS.join(', ')}
--product is for second-purchase; --days (1–365, default 30) is the conversion window of holdouts.
Without --api: the local stack on PORT (default 3000). --refresh: the local stack first brings
the shop's analytics up to date (POST /_local/analytics/refresh).`;

/** Parses the command line; throws a message that names what is wrong (and the usage). */
export const parseReportCommand = (args: string[], environment = process.env) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      shop: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      segment: { type: 'string' },
      journey: { type: 'string' },
      product: { type: 'string' },
      days: { type: 'string' },
      api: { type: 'string' },
      'admin-key': { type: 'string' },
      json: { type: 'boolean', default: false },
      refresh: { type: 'boolean', default: false },
    },
  });
  const [report, ...rest] = positionals;
  if (!report || rest.length > 0) throw new Error(`name one report\n\n${usage}`);
  if (!(REPORTS as readonly string[]).includes(report))
    throw new Error(`unknown report "${report}"\n\n${usage}`);
  if (typeof values.shop !== 'string' || !SHOP_DOMAIN.test(values.shop))
    throw new Error(`pass --shop <shop>.myshopify.com\n\n${usage}`);
  const api = values.api ?? `http://127.0.0.1:${environment.PORT ?? 3000}`;
  const adminKey =
    values['admin-key'] ?? environment.ADMIN_API_KEY ?? (values.api ? null : 'local-admin-key');
  if (typeof adminKey !== 'string')
    throw new Error('pass --admin-key (the AdminApiKeyArn secret) or set ADMIN_API_KEY');
  if (values.refresh && values.api)
    throw new Error('--refresh is for the local stack; a deployed stack refreshes on its schedule');
  const query = new URLSearchParams();
  // Passed through as given: the route checks each (a bad --days answers 400 with the reason).
  for (const key of ['from', 'to', 'segment', 'journey', 'product', 'days'] as const) {
    const value = values[key];
    if (typeof value === 'string') query.set(key, value);
  }
  return { report, shop: values.shop, api, adminKey, query, json: values.json, refresh: values.refresh };
};

/** Fetches one report through the stack's HTTP API and answers its text (or JSON with --json). */
export const fetchReport = async (command: ReturnType<typeof parseReportCommand>): Promise<string> => {
  if (command.refresh) {
    const refreshed = await fetch(`${command.api}/_local/analytics/refresh?shop=${command.shop}`, {
      method: 'POST',
    });
    if (!refreshed.ok)
      throw new Error(`the local stack answered ${refreshed.status}: ${await refreshed.text()}`);
  }
  const query = command.query.toString();
  const url = `${command.api}/api/shops/${command.shop}/analytics/${command.report}${query ? `?${query}` : ''}`;
  const answer = await fetch(url, { headers: { authorization: `Bearer ${command.adminKey}` } });
  const body = (await answer.json()) as unknown;
  if (!answer.ok) {
    const message = (body as { message?: string }).message ?? JSON.stringify(body);
    throw new Error(`${answer.status}: ${message}`);
  }
  return command.json ? `${JSON.stringify(body, null, 2)}\n` : renderReport(body);
};

const main = async () => {
  process.stdout.write(await fetchReport(parseReportCommand(process.argv.slice(2))));
};

if (import.meta.main) runMain('report', main);
