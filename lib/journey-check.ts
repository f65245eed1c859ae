import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EmailTemplate } from '../functions/domain/email.ts';
import { actionStages } from '../functions/domain/journey.ts';
import {
  type Catalog,
  type CompiledConfig,
  definitionProblems,
  JourneyConfigError,
} from '../functions/domain/journey-config.ts';
import { describeWindow, policyFor } from '../functions/domain/send-policy.ts';
import { DEFAULT_MIN_SAMPLE, type Delay } from '../functions/domain/timing.ts';
import { PROJECT_ROOT } from './paths.ts';

/** Files in the journeys folder that hold no definitions. */
const NOT_DEFINITIONS = new Set(['index.ts', 'templates.ts']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export type CheckContext = {
  templates: Readonly<Record<string, EmailTemplate>>;
  catalog?: Catalog;
  /** Ids the deployment registers (journeys/index.ts); a definition outside it is reported. */
  registered?: ReadonlySet<string>;
};

/**
 * Validates every journey and segment exported by the `.ts` files of `dir`, before anything
 * else imports them. Each problem names the file, the definition and the path inside it:
 * `journeys/rum-baba-fans.ts: rum-baba-fans.stages[1].action.template: no template named "x"`.
 * An exported object with `stages` is a journey; one with `when` (and no stages) a segment.
 */
export const checkJourneyFiles = async (dir: string, context: CheckContext): Promise<string[]> => {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_DEFINITIONS.has(f))
    .sort();
  for (const file of files) {
    const shown = relative(PROJECT_ROOT, join(dir, file)) || file;
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    } catch (error) {
      problems.push(`${shown}: cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const [exportName, value] of Object.entries(module)) {
      if (!isObject(value) || !('stages' in value || 'when' in value)) continue;
      const kind = 'stages' in value ? 'journey' : 'segment';
      const name = typeof value.id === 'string' ? value.id : exportName;
      const result = definitionProblems(kind, value, context);
      problems.push(...result.problems.map((p) => `${shown}: ${name}${p}`));
      if (!result.definition) continue;
      const id = result.definition.value.id;
      const other = seen.get(id);
      if (other) problems.push(`${shown}: ${name}: id "${id}" is already used in ${other}`);
      seen.set(id, shown);
      if (context.registered && !context.registered.has(id)) {
        problems.push(
          `${shown}: ${name}: defined but not registered in journeys/index.ts, so it would never run`,
        );
      }
    }
  }
  return problems;
};

/**
 * Checks the project's journeys folder (or LOYALTY_LOOP_JOURNEYS_DIR) with its templates, catalog
 * (the bundled one, or `catalogFile`: a shop's, as `npm run catalog` writes it) and registry.
 */
/** The journeys folder checked: the project's, or LOYALTY_LOOP_JOURNEYS_DIR. */
export const journeysDir = (): string =>
  process.env.LOYALTY_LOOP_JOURNEYS_DIR ?? join(PROJECT_ROOT, 'journeys');

export const checkProjectJourneys = async (dir = journeysDir(), catalogFile?: string): Promise<string[]> => {
  const { templates } = (await import(pathToFileURL(join(dir, 'templates.ts')).href)) as {
    templates: Record<string, EmailTemplate>;
  };
  const catalog = (await import(pathToFileURL(catalogFile ?? join(dir, 'bakery-catalog.json')).href, {
    with: { type: 'json' },
  })) as { default: Catalog };
  const problems = await checkJourneyFiles(dir, { templates, catalog: catalog.default });
  if (problems.length > 0) return problems;
  // Only now is the registry safe to import: it compiles (and would throw on) the same definitions,
  // and its own settings (the sending policy), whose problems are reported against it.
  const registry = join(dir, 'index.ts');
  let journeyConfig: typeof import('../journeys/index.ts').journeyConfig;
  try {
    ({ journeyConfig } = (await import(
      pathToFileURL(registry).href
    )) as typeof import('../journeys/index.ts'));
  } catch (error) {
    if (!(error instanceof JourneyConfigError)) throw error;
    const shown = relative(PROJECT_ROOT, registry) || registry;
    return error.problems.map((problem) => `${shown}: ${problem}`);
  }
  const registered = new Set([
    ...journeyConfig.journeys.map((j) => j.id),
    ...journeyConfig.segments.map((s) => s.id),
  ]);
  return checkJourneyFiles(dir, { templates, catalog: catalog.default, registered });
};

/** Prints problems the way a person wants to read them; true when there were none. */
export const reportJourneyProblems = (
  problems: readonly string[],
  write: (text: string) => void,
): boolean => {
  if (problems.length === 0) return true;
  write(`Invalid journey definitions (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  return false;
};

const describeDelay = (delay: Delay | undefined): string => {
  if (!delay) return 'at once';
  if (delay.days !== undefined) return `${delay.days} days after entry`;
  return (
    `at the ${delay.percentile}th percentile of the shop's repurchase interval ` +
    `(${delay.fallback?.days} days while fewer than ${delay.minSample ?? DEFAULT_MIN_SAMPLE} customers came back)`
  );
};

/**
 * How each stage email is timed and paced, and the sending policy: what `npm run check:journeys`
 * shows once everything is valid.
 */
export const describeTiming = (
  config: Pick<CompiledConfig, 'journeys' | 'timing'>,
  settleMinutes = 10,
): string[] => {
  const policy = policyFor(config.timing, '');
  const cap = policy.frequencyCap.length > 0 ? policy.frequencyCap.map(describeWindow).join(' and ') : 'none';
  const quiet = policy.quietHours ? `${policy.quietHours.start}–${policy.quietHours.end}` : 'none';
  const stages = actionStages(config.journeys).map(({ journey, stage }) => {
    const { after, exitOnOrder, onCap, reentry, holdout } = stage.action;
    const notes = [
      describeDelay(after),
      ...(exitOnOrder ? ['cancelled by any order'] : []),
      ...(onCap === 'defer' ? ['deferred by the cap'] : []),
      ...(reentry && reentry !== 'every-entry'
        ? [reentry === 'once' ? 'once per customer' : `once per ${reentry.oncePerDays} days`]
        : []),
      ...(holdout ? [`${holdout.percent} % held out`] : []),
    ];
    return `  ${journey.id}/${stage.id}: ${notes.join('; ')}`;
  });
  const shops = Object.keys(config.timing.shops ?? {});
  return [
    `Stage emails (each at least the settle window after its entry, ${settleMinutes} minutes by default):`,
    ...stages,
    `Sending policy: frequency cap ${cap}; quiet hours ${quiet} in the customer's time zone (else ${policy.timeZone})` +
      (shops.length > 0 ? `; per-shop policies for ${shops.join(', ')}` : ''),
  ];
};
