import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { adminCredentials } from '#adapters/shopify/admin-credentials.ts';
import { createAdminSessions } from '#adapters/shopify/admin-session.ts';
import { BulkOperations } from '#adapters/shopify/bulk-operations.ts';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import { type BackfillRun, BackfillRuns } from '#adapters/store/backfills.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { journeyConfig } from '#journeys/index.ts';
import { runBackfill } from '../functions/backfill/run.ts';
import { awsTarget, localTarget, type Target, type TargetNames } from './operator-target.ts';

/**
 * Backfills a shop's history (customers, then orders, from Shopify's Bulk Operations) through the
 * apply path, silently, with a progress bar; resumable: run it again after a stop.
 *
 *   npm run backfill -- --shop S                     # the local stack on PORT (default 3000)
 *   npm run backfill -- --shop S --local URL         # another local stack
 *   npm run backfill -- --shop S --table T --pepper-secret P --admin-tokens-secret A   # in AWS
 *   ... --restart                                    # a new run even after a finished one
 */
export const parseBackfillCommand = (args: string[]) => {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string' },
      local: { type: 'string' },
      table: { type: 'string' },
      'pepper-secret': { type: 'string' },
      'admin-tokens-secret': { type: 'string' },
      restart: { type: 'boolean', default: false },
    },
  });
  if (!values.shop || !SHOP_DOMAIN.test(values.shop)) throw new Error('pass --shop <shop>.myshopify.com');
  const aws: TargetNames | null = values.table
    ? {
        tableName: values.table,
        queuePrefix: '',
        webhookUrl: '',
        pepperSecretArn: values['pepper-secret'],
        adminTokensSecretArn: values['admin-tokens-secret'],
      }
    : null;
  const local = aws ? null : (values.local ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`);
  return { shop: values.shop, restart: values.restart, aws, local };
};

/** Where a run stands, as a progress bar (a terminal) or one line per checkpoint (a log). */
const progress = () => {
  const bar = process.stdout.isTTY
    ? new SingleBar({
        format:
          '{phase} [{bar}] {value}/{total} lines · {rate} records/s · ETA {eta_formatted} · {problems} unusable',
      })
    : null;
  const started = Date.now();
  let phase = '';
  return {
    show(run: BackfillRun) {
      const rate = Math.round(run.applied / Math.max(1, (Date.now() - started) / 1000));
      const values = { phase: run.phase, rate, problems: run.problems };
      if (!bar) {
        process.stdout.write(
          `${run.phase}: line ${run.line}/${run.total ?? '?'} · ${run.applied} applied · ${rate}/s\n`,
        );
        return;
      }
      if (phase !== run.phase) {
        if (phase) bar.stop();
        bar.start(run.total ?? 0, 0, values);
        phase = run.phase;
      }
      bar.setTotal(run.total ?? 0);
      bar.update(run.line - 1, values);
    },
    stop: () => bar?.stop(),
  };
};

export const backfill = async (target: Target, shop: string, restart: boolean): Promise<BackfillRun> => {
  const table = { doc: target.doc, name: target.tableName };
  const sessions = createAdminSessions(async (s) => adminCredentials(await target.adminTokens(), s), {
    origin: target.adminOrigin,
  });
  const bar = progress();
  try {
    return await runBackfill(
      {
        source: new BulkOperations(sessions),
        applyPath: new ApplyPath(table, journeyConfig, target.pepper),
        quarantine: new Quarantine(table),
        runs: new BackfillRuns(table),
        onProgress: (run) => bar.show(run),
      },
      shop,
      { restart },
    );
  } finally {
    bar.stop();
  }
};

const main = async () => {
  const command = parseBackfillCommand(process.argv.slice(2));
  const target = command.aws ? awsTarget(command.aws) : await localTarget(command.local ?? '');
  const run = await backfill(target, command.shop, command.restart);
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
