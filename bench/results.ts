import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { round } from './stats.ts';

/** One benchmark's last figures as kept in bench/results/latest.json, stamped with when and where they were measured. */
const StoredResult = z.looseObject({
  label: z.string(),
  description: z.string(),
  measuredAt: z.iso.datetime(),
  runCount: z.number(),
  quick: z.boolean(),
  machine: z.object({ cpus: z.number(), cpu: z.string(), memoryGiB: z.number(), node: z.string() }),
  target: z.array(z.looseObject({ metric: z.string() })),
  met: z.boolean().nullable(),
  summary: z.string(),
});
export type StoredResult = z.infer<typeof StoredResult>;

const ResultsFile = z.looseObject({ results: z.record(z.string(), z.unknown()).default({}) });

export const machine = () => ({
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round(totalmem() / 2 ** 30),
  node: process.version,
});

/**
 * Writes `fresh` into the results file, keeping every other benchmark's last figures: results of
 * unknown benchmarks or of an older layout are dropped (and named), never half-read.
 */
export const mergeResults = (
  path: string,
  fresh: Record<string, StoredResult>,
  known: readonly string[],
): { dropped: string[] } => {
  let kept: Record<string, StoredResult> = {};
  const dropped: string[] = [];
  if (existsSync(path)) {
    let json: unknown = {};
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      dropped.push('(the whole file: not JSON)');
    }
    const file = ResultsFile.safeParse(json);
    for (const [name, value] of Object.entries(file.success ? file.data.results : {})) {
      const result = StoredResult.safeParse(value);
      if (known.includes(name) && result.success) kept[name] = result.data;
      else dropped.push(name);
    }
  }
  kept = { ...kept, ...fresh };
  // Always in the benchmarks' own order, whichever ran last.
  const results = Object.fromEntries(known.filter((name) => kept[name]).map((name) => [name, kept[name]]));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ updatedAt: new Date().toISOString(), results }, null, 2)}\n`);
  return { dropped };
};
