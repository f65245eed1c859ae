import { AnalyticsEngine } from '#adapters/analytics/engine.ts';
import { type Definitions, parseReportRequest, REPORTS, type ReportName } from '#domain/analytics/reports.ts';
import { median } from '../stats.ts';
import { ResourceSampler, type ResourceUse } from './memory.ts';

/** The two requests each report is timed with: its defaults, and one narrowed by every common filter. */
export type Variant = 'default' | 'filtered';
export const VARIANTS: readonly Variant[] = ['default', 'filtered'];

/** The filtered request: the snapshot's last year, lapsing regulars, customers in the Rum Baba journey. */
export const FILTERED_QUERY = (asOf: string) => ({
  from: new Date(Date.parse(asOf) - 365 * 86_400_000).toISOString().slice(0, 10),
  to: asOf.slice(0, 10),
  segment: 'lapsing-regulars',
  journey: 'rum-baba-fans',
});

export const queryOf = (variant: Variant, asOf: string): Record<string, string> =>
  variant === 'default' ? {} : FILTERED_QUERY(asOf);

/** A report request as the route would parse it, as of the snapshot's day. */
export const requestOf = (report: ReportName, variant: Variant, definitions: Definitions, asOf: string) => {
  const parsed = parseReportRequest(report, queryOf(variant, asOf), definitions, asOf.slice(0, 10));
  if (!parsed.ok) throw new Error(`${report} (${variant}): ${parsed.message}`);
  return parsed.request;
};

export type ReportTimingInput = {
  dir: string;
  asOf: string;
  /** Runs of each request: the first is the cold one. */
  runs: number;
  threads: number;
  memoryLimit: string;
};

export type ReportTime = {
  report: ReportName;
  variant: Variant;
  coldMs: number;
  medianMs: number;
  runsMs: number[];
  /** CPU time of each run (DuckDB's threads included): beside `runsMs`, how much was waiting for a core. */
  runsCpuMs: number[];
  /** The process's highest resident set size sampled during this request's runs, MiB. */
  peakRssMb: number;
};

export type ReportTimingResult = { openMs: number; times: ReportTime[]; resources: ResourceUse };

/**
 * Every report over one snapshot with the engine alone (no cache): opened once, then each report
 * and variant run `runs` times in a row. The first run of a request is its cold time — the engine's
 * first read of the columns it needs (the operating system's file cache is warm: the snapshot was
 * just written); the median of the runs is what a report costs once its files are read.
 */
export const timeReports = async (
  input: ReportTimingInput,
  log: (line: string) => void = () => {},
): Promise<ReportTimingResult> => {
  const sampler = new ResourceSampler();
  const opening = performance.now();
  const engine = await AnalyticsEngine.open(input.dir, {
    threads: input.threads,
    memoryLimit: input.memoryLimit,
  });
  const openMs = performance.now() - opening;
  const times: ReportTime[] = [];
  try {
    for (const report of REPORTS)
      for (const variant of VARIANTS) {
        const request = requestOf(report, variant, engine.definitions, input.asOf);
        const runsMs: number[] = [];
        const runsCpuMs: number[] = [];
        sampler.windowPeakMb();
        for (let run = 0; run < input.runs; run++) {
          const cpu = process.cpuUsage();
          const started = performance.now();
          await engine.run(request);
          runsMs.push(performance.now() - started);
          const used = process.cpuUsage(cpu);
          runsCpuMs.push((used.user + used.system) / 1000);
        }
        const coldMs = runsMs[0] ?? Number.NaN;
        const peakRssMb = sampler.windowPeakMb();
        const time = { report, variant, coldMs, medianMs: median(runsMs), runsMs, runsCpuMs, peakRssMb };
        times.push(time);
        log(
          `  ${report} (${variant}): cold ${Math.round(coldMs)} ms (CPU ${Math.round(runsCpuMs[0] ?? 0)} ms), median ${Math.round(time.medianMs)} ms, peak RSS ${Math.round(peakRssMb)} MB`,
        );
      }
  } finally {
    engine.close();
  }
  return { openMs, times, resources: sampler.stop() };
};
