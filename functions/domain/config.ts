import type { EmailTemplate } from './email.ts';
import { actionStages, type Journey, JourneySchema, selectorsOfJourneys } from './journey.ts';
import type { ProductSelector } from './order.ts';

/** The journeys a deployment runs, with the email templates their actions name. */
export type JourneyConfig = {
  brandName: string;
  journeys: readonly Journey[];
  templates: Readonly<Record<string, EmailTemplate>>;
};

/** What the handlers use at run time: validated journeys plus what is derived from them once. */
export type CompiledConfig = JourneyConfig & { selectors: readonly ProductSelector[] };

export class JourneyConfigError extends Error {
  override name = 'JourneyConfigError';
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');

/**
 * Validates the journeys and compiles what the evaluator needs. Throws a JourneyConfigError whose
 * message names each problem by its path (e.g. `rum-baba-fans.stages[1].action.template`).
 */
export const compileConfig = (config: JourneyConfig): CompiledConfig => {
  const problems: string[] = [];
  const journeys: Journey[] = [];
  const seen = new Set<string>();
  config.journeys.forEach((candidate, index) => {
    const parsed = JourneySchema.safeParse(candidate);
    const name = typeof candidate?.id === 'string' ? candidate.id : `journeys[${index}]`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${name}${formatPath(issue.path)}: ${issue.message}`);
      return;
    }
    if (seen.has(parsed.data.id)) problems.push(`${name}: duplicate journey id`);
    seen.add(parsed.data.id);
    journeys.push(parsed.data);
  });
  for (const { journey, stage } of actionStages(journeys)) {
    if (!(stage.action.template in config.templates)) {
      const index = journey.stages.findIndex((s) => s.id === stage.id);
      problems.push(
        `${journey.id}.stages[${index}].action.template: no template named "${stage.action.template}" ` +
          `(known: ${Object.keys(config.templates).join(', ') || 'none'})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new JourneyConfigError(`invalid journey configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return { ...config, journeys, selectors: selectorsOfJourneys(journeys) };
};
