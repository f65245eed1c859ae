import type { LocalStack } from '../local/stack.ts';

/** A goal as data: `figures[metric] comparison threshold` (`within`: the absolute value is at most the threshold). */
export type FigureTarget = {
  metric: string;
  comparison: '<=' | '<' | '>=' | '>' | 'within';
  threshold: number;
  unit: '×' | 'ms' | '$' | '%' | '/s';
};

/** The routes a benchmark sends webhooks to: the real ingest, or the floor function beside it. */
export type RouteName = 'ingest' | 'floor';

/** A result's figures: numbers (what targets read) and, under other keys, any JSON detail. */
export type Figures = Record<string, unknown>;

export type Outcome = {
  figures: Figures;
  /** One line for the table, e.g. `p50 12.1 / p99 40.2 ms`. */
  summary: string;
};

export type BenchContext = {
  /** The local stack; a benchmark with `warm: null` gets none (reading it throws). */
  readonly stack: LocalStack;
  /** How many runs to take the median of (BENCH_RUNS). */
  readonly runs: number;
  /** BENCH_QUICK: shorter runs, a smoke test rather than figures to publish. */
  readonly quick: boolean;
  log: (line: string) => void;
  /** Computes a figure once per `npm run bench`, however many benchmarks ask (e.g. the floor's sustained rate). */
  once: <T>(key: string, compute: () => Promise<T>) => Promise<T>;
};

export type Benchmark = {
  /** The name selected on the command line (`npm run bench -- <name>`). */
  name: string;
  /** Its number in the README's table and in issue 10 (P1…P7). */
  label: string;
  description: string;
  /** Every target must hold for the benchmark to be met; none means it reports figures only. */
  target: readonly FigureTarget[];
  /** The routes warmed up before any benchmark runs; null: it needs no local stack at all. */
  warm: readonly RouteName[] | null;
  run: (context: BenchContext) => Promise<Outcome>;
};

const holds = (value: number, target: FigureTarget): boolean => {
  switch (target.comparison) {
    case '<=':
      return value <= target.threshold;
    case '<':
      return value < target.threshold;
    case '>=':
      return value >= target.threshold;
    case '>':
      return value > target.threshold;
    case 'within':
      return Math.abs(value) <= target.threshold;
  }
};

/** Whether every target holds; a figure that is missing or not a number fails its target. */
export const targetsMet = (figures: Figures, targets: readonly FigureTarget[]): boolean =>
  targets.every((t) => {
    const value = figures[t.metric];
    return typeof value === 'number' && Number.isFinite(value) && holds(value, t);
  });

const SYMBOLS: Record<FigureTarget['comparison'], string> = {
  '<=': '≤',
  '<': '<',
  '>=': '≥',
  '>': '>',
  within: 'within ±',
};

export const describeTarget = (t: FigureTarget): string => {
  const amount =
    t.unit === '$'
      ? `$${t.threshold}`
      : `${t.threshold.toLocaleString('en')}${t.unit === '×' ? '×' : ` ${t.unit}`}`;
  return `${t.metric} ${SYMBOLS[t.comparison]}${t.comparison === 'within' ? '' : ' '}${amount}`;
};
