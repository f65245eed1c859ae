import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CachedTimingInput, CachedTimingResult } from './cached-timing.ts';
import type { CompactionInput, CompactionResult } from './compaction.ts';
import type { ReportTimingInput, ReportTimingResult } from './report-timing.ts';

/** The phases run in a process of their own, their input and their result. */
export type Phases = {
  compact: { input: CompactionInput; result: CompactionResult };
  reports: { input: ReportTimingInput; result: ReportTimingResult };
  cached: { input: CachedTimingInput; result: CachedTimingResult };
};
export type PhaseName = keyof Phases;

/** What a phase's process sends its parent. */
export type PhaseMessage =
  | { type: 'log'; line: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

const ENTRY = fileURLToPath(new URL('./phase.ts', import.meta.url));

/**
 * Runs a phase in a new Node process (`phase.ts`), as a Lambda function would run it: its memory
 * peak is its own (not the benchmark runner's, nor an earlier phase's) and its first report is
 * cold. It runs in `cwd` (a temporary directory): DuckDB spills an in-memory database to `.tmp`
 * there. Log lines are passed on as they come; the result is the process's last message.
 */
export const runIsolated = <P extends PhaseName>(
  phase: P,
  input: Phases[P]['input'],
  { cwd, log }: { cwd: string; log: (line: string) => void },
): Promise<Phases[P]['result']> =>
  new Promise((resolve, reject) => {
    const child = fork(ENTRY, [phase], { cwd, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled: PhaseMessage | null = null;
    child.on('message', (message: PhaseMessage) => {
      if (message.type === 'log') log(message.line);
      else settled = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const message = settled as PhaseMessage | null;
      if (message?.type === 'result') resolve(message.result as Phases[P]['result']);
      else if (message?.type === 'error') reject(new Error(`${phase} phase: ${message.message}`));
      else reject(new Error(`${phase} phase exited (${signal ?? code}) without a result`));
    });
    child.send(input);
  });
