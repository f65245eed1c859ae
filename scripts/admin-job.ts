import { parseArgs } from 'node:util';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';

/**
 * A shop's job (history backfill, reindex) run through the stack's admin API, as an operator
 * would: started with `POST /api/shops/{shop}/{job}` and followed (`GET …/{job}`) until it ends.
 *
 *   npm run <job> -- --shop S                           # the local stack on PORT (default 3000)
 *   npm run <job> -- --shop S --api URL --admin-key K   # a deployed stack (output ApiUrl)
 *   ... --restart                                       # a new run even after a finished one
 */
export const parseJobCommand = (args: string[], environment = process.env, flags: readonly string[] = []) => {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string' },
      local: { type: 'string' },
      api: { type: 'string' },
      'admin-key': { type: 'string' },
      restart: { type: 'boolean', default: false },
      'poll-ms': { type: 'string' },
      ...Object.fromEntries(flags.map((flag) => [flag, { type: 'boolean' as const, default: false }])),
    },
  });
  const shop = values.shop;
  if (typeof shop !== 'string' || !SHOP_DOMAIN.test(shop))
    throw new Error('pass --shop <shop>.myshopify.com');
  const api = values.api ?? values.local ?? `http://127.0.0.1:${environment.PORT ?? 3000}`;
  const adminKey =
    values['admin-key'] ?? environment.ADMIN_API_KEY ?? (values.api ? null : 'local-admin-key');
  if (typeof adminKey !== 'string')
    throw new Error('pass --admin-key (the AdminApiKeyArn secret) or set ADMIN_API_KEY');
  const query = new URLSearchParams();
  for (const flag of ['restart', ...flags])
    if ((values as Record<string, unknown>)[flag] === true) query.set(flag, 'true');
  return {
    shop,
    api: String(api),
    adminKey,
    query: query.toString(),
    pollMs: Number(values['poll-ms'] ?? 1000),
  };
};
export type JobCommand = ReturnType<typeof parseJobCommand>;

type JobRun = { status: string; updatedAt: string };

/** Starts the job (or follows one running) and waits for its end, showing each run it reads. */
export const runJob = async <Run extends JobRun>(
  job: 'backfill' | 'reindex',
  { shop, api, adminKey, query, pollMs }: JobCommand,
  show: (run: Run) => void,
): Promise<Run> => {
  const headers = { authorization: `Bearer ${adminKey}` };
  const url = `${api}/api/shops/${shop}/${job}`;
  const started = await fetch(`${url}${query ? `?${query}` : ''}`, { method: 'POST', headers });
  if (started.status !== 202 && started.status !== 409)
    throw new Error(`the admin API answered ${started.status}: ${await started.text()}`);
  // The stack's own time of the start: the run to wait for is one that saved after it.
  const since = started.status === 202 ? Date.parse(((await started.json()) as { at: string }).at) : 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const answer = await fetch(url, { headers });
    if (answer.status === 404) continue; // the job has not written its first checkpoint yet
    if (!answer.ok) throw new Error(`the admin API answered ${answer.status}: ${await answer.text()}`);
    const run = (await answer.json()) as Run;
    show(run);
    if (run.status !== 'running' && Date.parse(run.updatedAt) >= since) return run;
  }
};
