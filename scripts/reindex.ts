import { SingleBar } from 'cli-progress';
import type { ReindexRun } from '#adapters/store/reindexes.ts';
import { parseJobCommand, runJob } from './admin-job.ts';
import { runMain } from './run-main.ts';

/**
 * Reindexes a shop through the stack's reindex job (see `runJob`): each customer whose aggregate
 * does not count every configured selector yet (`--all`: every customer, once after an upgrade)
 * counted again from their stored orders, silently; a progress line or bar until it is done.
 *
 *   npm run reindex -- --shop S [--api URL --admin-key K] [--restart] [--all]
 */
const main = async () => {
  const command = parseJobCommand(process.argv.slice(2), process.env, ['all']);
  const bar = process.stdout.isTTY
    ? new SingleBar({ format: 'reindex {value} customers · {reindexed} counted again · {rate}/s' })
    : null;
  const started = Date.now();
  let shown = '';
  bar?.start(0, 0, { reindexed: 0, rate: 0 });
  const run = await runJob<ReindexRun>('reindex', command, (run) => {
    const rate = Math.round(run.scanned / Math.max(1, (Date.now() - started) / 1000));
    const line = `reindex: ${run.scanned} customers · ${run.reindexed} counted again · ${rate}/s`;
    if (bar) bar.update(run.scanned, { reindexed: run.reindexed, rate });
    else if (line !== shown) process.stdout.write(`${line}\n`);
    shown = line;
  }).finally(() => bar?.stop());
  if (run.status !== 'done') throw new Error(run.error ?? `the reindex stopped ${run.status}`);
  process.stdout.write(
    `reindex of ${command.shop} done for ${run.selectors.length} selector(s): ${run.scanned} customers, ${run.reindexed} counted again, ${run.current} already counted, ${run.inexact} order(s) stored without lines counted from product ids\n`,
  );
};

if (import.meta.main) runMain('reindex', main);
