import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import {
  type BenchContext,
  type Benchmark,
  describeTarget,
  type RouteName,
  targetsMet,
} from './benchmark.ts';
import { LATENCY_RATE } from './benchmarks/floor.ts';
import { BENCHMARKS } from './benchmarks/registry.ts';
import { FLOOR_PATH, ROUTES } from './deliveries.ts';
import { bundleFloor } from './floor/bundle.ts';
import { machine, mergeResults, type StoredResult } from './results.ts';
import { round } from './stats.ts';
import { type WarmUp, warmUp } from './warm-up.ts';

/**
 * `npm run bench [-- <name>…]`: runs the named benchmarks (no name: all) on one local stack, after
 * warming up the routes they use, prints a table and merges their figures into
 * bench/results/latest.json (every other benchmark's last figures are kept). Figures are medians
 * of BENCH_RUNS runs (default 3); BENCH_QUICK=1 shortens everything (a smoke run, not figures to
 * publish). An unknown name exits 2.
 */

const RESULTS_PATH = join(PROJECT_ROOT, 'bench', 'results', 'latest.json');
const NAMES = BENCHMARKS.map((b) => b.name);

const Environment = z.object({
  BENCH_RUNS: z.coerce.number().int().positive().default(3),
  BENCH_QUICK: z.enum(['0', '1']).default('0'),
});

type Command =
  | { kind: 'help' }
  | { kind: 'error'; message: string }
  | { kind: 'run'; selected: Benchmark[]; runs: number; quick: boolean };

const usage = () =>
  [
    'usage: npm run bench [-- <name>…]   (no name: all of them)',
    '',
    ...[...BENCHMARKS]
      .sort((a, b) => a.label.localeCompare(b.label))
      .map((b) => `  ${b.name.padEnd(16)} ${b.label}  ${b.description}`),
    '',
    'BENCH_RUNS=n (default 3): medians of n runs. BENCH_QUICK=1: a short smoke run.',
    '',
  ].join('\n');

const readCommand = (): Command => {
  let parsed: { values: { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (parsed.values.help) return { kind: 'help' };
  const unknown = parsed.positionals.filter((name) => !NAMES.includes(name));
  if (unknown.length > 0) return { kind: 'error', message: `unknown benchmark(s): ${unknown.join(', ')}` };
  const environment = Environment.safeParse(process.env);
  if (!environment.success)
    return { kind: 'error', message: 'BENCH_RUNS must be a positive integer and BENCH_QUICK 0 or 1' };
  return {
    kind: 'run',
    // Always in the benchmarks' own order, whatever the order asked in.
    selected: BENCHMARKS.filter(
      (b) => parsed.positionals.length === 0 || parsed.positionals.includes(b.name),
    ),
    runs: environment.data.BENCH_RUNS,
    quick: environment.data.BENCH_QUICK === '1',
  };
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const failure = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/** The local stack, with the floor function beside the real route when a benchmark compares with it. */
const startStack = async (withFloor: boolean): Promise<LocalStack> => {
  const floorModule = withFloor ? await bundleFloor() : null;
  return startLocalStack({
    port: 0,
    logLevel: 'ERROR',
    meterCapacity: true,
    // Benchmarks use shops of their own. They measure the pipeline itself: no settle window (a
    // deployment's deliberate wait before each email) and no pacing (cap, quiet hours).
    context: {
      'loyaltyLoop:shops': '*',
      'loyaltyLoop:settleMinutes': 0,
      'loyaltyLoop:timing': { frequencyCap: false, quietHours: false },
    },
    ...(floorModule
      ? {
          extraRoutes: [
            { method: 'POST', path: FLOOR_PATH, modulePath: floorModule, environmentOf: 'ingest' },
          ],
        }
      : {}),
  });
};

/**
 * Cold, the JIT of every worker and of DynamoDB Local's JVM and empty connection pools make the
 * first requests an order of magnitude slower: each route is warmed until successive windows agree.
 */
const warmRoutes = async (stack: LocalStack, routes: readonly RouteName[], quick: boolean) => {
  const warmUps = new Map<RouteName, WarmUp>();
  const size = quick ? 300 : 500;
  for (const route of routes) {
    const result = await warmUp(stack, ROUTES[route], {
      rate: LATENCY_RATE,
      size,
      maxWindows: quick ? 20 : 40,
    });
    warmUps.set(route, result);
    log(
      `warm-up ${route}: ${result.windows} window(s) of ${size} at ${LATENCY_RATE}/s, ${result.agreed ? 'steady' : 'NOT steady (cap reached)'}; p50 ${result.p50sMs.join(' → ')} ms`,
    );
  }
  return warmUps;
};

/** What the runner stamps on every stored result, beside the benchmark's own figures. */
const STAMPS = [
  'label',
  'description',
  'measuredAt',
  'tookSeconds',
  'runCount',
  'quick',
  'machine',
  'warmUp',
  'target',
  'met',
  'summary',
];

type Row = [name: string, result: string, target: string, met: string];

const printTable = (rows: readonly Row[]) => {
  const width = rows.reduce((w, r) => Math.max(w, r[0].length), 'benchmark'.length);
  log(`\n${'benchmark'.padEnd(width)} | result | target | met`);
  for (const [name, result, target, met] of rows)
    log(`${name.padEnd(width)} | ${result} | ${target} | ${met}`);
};

const main = async (): Promise<number> => {
  const command = readCommand();
  if (command.kind === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (command.kind === 'error') {
    process.stderr.write(`bench: ${command.message}\n\n${usage()}`);
    return 2;
  }
  const { selected, runs, quick } = command;
  log(
    `Loyalty Loop benchmarks: ${selected.map((b) => b.name).join(', ')}; ${runs} run(s) each${quick ? ' (quick)' : ''}`,
  );
  // The ingest first: its windows also warm what the floor shares with it (DynamoDB Local, the gateway).
  const routes = (['ingest', 'floor'] as const).filter((r) => selected.some((b) => b.warm?.includes(r)));
  const fresh: Record<string, StoredResult> = {};
  const rows: Row[] = [];
  let failed = 0;
  const stack = selected.some((b) => b.warm !== null) ? await startStack(routes.includes('floor')) : null;
  try {
    const warmUps = stack ? await warmRoutes(stack, routes, quick) : new Map<RouteName, WarmUp>();
    const once = new Map<string, Promise<unknown>>();
    const context: BenchContext = {
      get stack(): LocalStack {
        if (!stack) throw new Error('this benchmark declared that it needs no local stack');
        return stack;
      },
      runs,
      quick,
      log,
      once: <T>(key: string, compute: () => Promise<T>) => {
        const known = once.get(key) ?? compute();
        once.set(key, known);
        return known as Promise<T>;
      },
    };
    for (const benchmark of selected) {
      const name = `${benchmark.label} ${benchmark.name}`;
      log(`• ${name}: ${benchmark.description}…`);
      const started = performance.now();
      try {
        const { figures, summary } = await benchmark.run(context);
        const met = benchmark.target.length > 0 ? targetsMet(figures, benchmark.target) : null;
        const clash = Object.keys(figures).filter((key) => STAMPS.includes(key));
        if (clash.length > 0) throw new Error(`figures named like the result's stamps: ${clash.join(', ')}`);
        fresh[benchmark.name] = {
          ...figures,
          label: benchmark.label,
          description: benchmark.description,
          measuredAt: new Date().toISOString(),
          tookSeconds: round((performance.now() - started) / 1000),
          runCount: runs,
          quick,
          machine: machine(),
          warmUp: (benchmark.warm ?? []).map((route) => warmUps.get(route)),
          target: [...benchmark.target],
          met,
          summary,
        };
        rows.push([
          name,
          summary,
          benchmark.target.map(describeTarget).join(', ') || '—',
          met === null ? '—' : met ? 'yes' : 'NO',
        ]);
      } catch (error) {
        // The others still run: one broken benchmark should not cost the figures of the rest.
        failed++;
        process.stderr.write(`bench: ${benchmark.name} failed: ${failure(error)}\n`);
        rows.push([name, 'FAILED (see above)', '', 'NO']);
      }
    }
  } finally {
    await stack?.stop();
  }
  printTable(rows);
  if (Object.keys(fresh).length > 0) {
    const { dropped } = mergeResults(RESULTS_PATH, fresh, NAMES);
    const m = machine();
    log(
      `\nmerged into bench/results/latest.json: ${Object.keys(fresh).join(', ')} (${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node})`,
    );
    if (dropped.length > 0) log(`dropped from it (unknown name or older layout): ${dropped.join(', ')}`);
  }
  return failed > 0 ? 1 : 0;
};

if (import.meta.main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${failure(error)}\n`);
      process.exitCode = 1;
    },
  );
}
