import { SingleBar } from 'cli-progress';
import type { BackfillRun } from '#adapters/store/backfills.ts';
import { parseJobCommand, runJob } from './admin-job.ts';
import { runMain } from './run-main.ts';

/**
 * Backfills a shop's history through the stack's backfill job (see `runJob`), with a progress bar
 * until it is done (exit 0) or stops (exit 1, with why).
 *
 *   npm run backfill -- --shop S [--api URL --admin-key K] [--restart]
 */

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

const main = async () => {
  const command = parseJobCommand(process.argv.slice(2));
  const bar = progress();
  const run = await runJob<BackfillRun>('backfill', command, bar.show).finally(bar.stop);
  if (run.status !== 'done') throw new Error(run.error ?? `the backfill stopped ${run.status}`);
  process.stdout.write(
    `backfill of ${command.shop} done: ${run.applied} records applied, ${run.problems} unusable (quarantined)\n`,
  );
};

if (import.meta.main) runMain('backfill', main);
