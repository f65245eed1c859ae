import { timeCached } from './cached-timing.ts';
import { compact } from './compaction.ts';
import type { PhaseMessage, PhaseName, Phases } from './isolated.ts';
import { timeReports } from './report-timing.ts';

/**
 * The process `runIsolated` forks: `node bench/analytics/phase.ts <phase>`, its input the first
 * IPC message, its log lines and result sent back the same way. Not a command to run by hand.
 */

const send = (message: PhaseMessage) =>
  new Promise<void>((resolve) => {
    if (process.send) process.send(message, () => resolve());
    else {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
    }
  });
const log = (line: string) => void send({ type: 'log', line });

const run = (phase: PhaseName, input: unknown): Promise<unknown> => {
  switch (phase) {
    case 'compact':
      return compact(input as Phases['compact']['input'], log);
    case 'reports':
      return timeReports(input as Phases['reports']['input'], log);
    case 'cached':
      return timeCached(input as Phases['cached']['input']);
  }
};

const PHASES: readonly PhaseName[] = ['compact', 'reports', 'cached'];

if (import.meta.main) {
  const phase = process.argv[2] as PhaseName;
  process.once('message', (input: unknown) => {
    const work = PHASES.includes(phase)
      ? run(phase, input)
      : Promise.reject(new Error(`unknown phase ${phase}`));
    work
      .then(
        (result) => send({ type: 'result', result }),
        (error: unknown) =>
          send({
            type: 'error',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      )
      // DuckDB instances and the S3 client's sockets would keep the process alive: it has answered.
      .finally(() => process.exit(0));
  });
}
