/** The p-th percentile (0–100) of some samples, nearest-rank. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
};

export const median = (values: readonly number[]): number => percentile(values, 50);

/** Runs `measure` `runs` times and keeps, per figure, the median of the runs. */
export const medianOfRuns = async <T extends Record<string, number>>(
  runs: number,
  measure: (run: number) => Promise<T>,
): Promise<T & { runs: T[] }> => {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(run));
  const keys = Object.keys(results[0] ?? {}) as (keyof T)[];
  const medians = Object.fromEntries(keys.map((k) => [k, median(results.map((r) => r[k] as number))])) as T;
  return { ...medians, runs: results };
};

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
