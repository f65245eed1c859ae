import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import type { BackfillRun } from '#adapters/store/backfills.ts';

/**
 * Backfills a shop's history through the stack's backfill job, as an operator would: starts it
 * with the admin API (`POST /api/shops/{shop}/backfill`) and follows its progress
 * (`GET …/backfill`) with a progress bar until it is done (exit 0) or stops (exit 1, with why).
 *
 *   npm run backfill -- --shop S                       # the local stack on PORT (default 3000)
 *   npm run backfill -- --shop S --api URL --admin-key K   # a deployed stack (output ApiUrl)
 *   ... --restart                                      # a new run even after a finished one
 */
export const parseBackfillCommand = (args: string[], environment = process.env) => {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string' },
      local: { type: 'string' },
      api: { type: 'string' },
      'admin-key': { type: 'string' },
      restart: { type: 'boolean', default: false },
      'poll-ms': { type: 'string' },
    },
  });
  if (!values.shop || !SHOP_DOMAIN.test(values.shop)) throw new Error('pass --shop <shop>.myshopify.com');
  const api = values.api ?? values.local ?? `http://127.0.0.1:${environment.PORT ?? 3000}`;
  const adminKey =
    values['admin-key'] ?? environment.ADMIN_API_KEY ?? (values.api ? null : 'local-admin-key');
  if (!adminKey) throw new Error('pass --admin-key (the AdminApiKeyArn secret) or set ADMIN_API_KEY');
  return {
    shop: values.shop,
    restart: values.restart,
    api,
    adminKey,
    pollMs: Number(values['poll-ms'] ?? 1000),
  };
};
type Command = ReturnType<typeof parseBackfillCommand>;

/** Where a run stands, as a progress bar (a terminal) or one line per change (a log). */
const progress = () => {
  const bar = process.stdout.isTTY
    ? new SingleBar({
        format:
          '{phase} [{bar}] {value}/{total} lines · {rate} records/s · ETA {eta_formatted} · {problems} unusable',
      })
    : null;
  const started = Date.now();
  let shown = '';
  return {
    show(run: BackfillRun) {
      const rate = Math.round(run.applied / Math.max(1, (Date.now() - started) / 1000));
      const line = `${run.phase}: line ${run.line}/${run.total ?? '?'} · ${run.applied} applied · ${rate}/s`;
      if (!bar) {
        if (line !== shown) process.stdout.write(`${line}\n`);
        shown = line;
        return;
      }
      if (shown !== run.phase) {
        if (shown) bar.stop();
        bar.start(run.total ?? 0, 0, {});
        shown = run.phase;
      }
      bar.setTotal(run.total ?? 0);
      bar.update(run.line - 1, { phase: run.phase, rate, problems: run.problems });
    },
    stop: () => bar?.stop(),
  };
};

/** Starts the job (or follows one running) and waits for its end. */
export const backfill = async ({ shop, restart, api, adminKey, pollMs }: Command): Promise<BackfillRun> => {
  const headers = { authorization: `Bearer ${adminKey}` };
  const url = `${api}/api/shops/${shop}/backfill`;
  const started = await fetch(`${url}${restart ? '?restart=true' : ''}`, { method: 'POST', headers });
  if (started.status !== 202 && started.status !== 409)
    throw new Error(`the admin API answered ${started.status}: ${await started.text()}`);
  // The stack's own time of the start: the run to wait for is one that saved after it.
  const since = started.status === 202 ? Date.parse(((await started.json()) as { at: string }).at) : 0;
  const bar = progress();
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const answer = await fetch(url, { headers });
      if (answer.status === 404) continue; // the job has not written its first checkpoint yet
      if (!answer.ok) throw new Error(`the admin API answered ${answer.status}: ${await answer.text()}`);
      const run = (await answer.json()) as BackfillRun;
      bar.show(run);
      if (run.status !== 'running' && Date.parse(run.updatedAt) >= since) return run;
    }
  } finally {
    bar.stop();
  }
};

const main = async () => {
  const command = parseBackfillCommand(process.argv.slice(2));
  const run = await backfill(command);
  if (run.status !== 'done') throw new Error(run.error ?? `the backfill stopped ${run.status}`);
  process.stdout.write(
    `backfill of ${command.shop} done: ${run.applied} records applied, ${run.problems} unusable (quarantined)\n`,
  );
};

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`backfill: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
