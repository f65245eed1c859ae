import type { z } from 'zod';
import type { Condition } from './conditions.ts';
import type { EmailTemplate } from './email.ts';
import {
  type Journey,
  JourneySchema,
  type Segment,
  SegmentSchema,
  selectorsOfConditions,
} from './journey.ts';
import type { ProductSelector } from './order.ts';
import { type TimingConfig, TimingConfigSchema } from './send-policy.ts';

/** The products a shop sells, to check journeys against (the shape of journeys/bakery-catalog.json). */
export type Catalog = {
  products: readonly {
    product_id: number | string;
    variants: readonly { variant_id: number | string; sku?: string | null }[];
  }[];
};

/** The journeys and segments a deployment runs, with the email templates their actions name. */
export type JourneyConfig = {
  brandName: string;
  journeys: readonly Journey[];
  segments?: readonly Segment[];
  templates: Readonly<Record<string, EmailTemplate>>;
  /** When given, product ids, variant ids and SKUs in conditions must exist in it. */
  catalog?: Catalog;
  /** The sending policy (frequency cap, quiet hours, time zone), per shop where it differs; defaults without. */
  timing?: TimingConfig;
};

/** What the handlers use at run time: validated definitions plus what is derived from them once. */
export type CompiledConfig = Omit<JourneyConfig, 'segments' | 'catalog' | 'timing'> & {
  segments: readonly Segment[];
  selectors: readonly ProductSelector[];
  timing: TimingConfig;
};

export class JourneyConfigError extends Error {
  override name = 'JourneyConfigError';
  /** Each problem as `<where>: <what is wrong>`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid journey configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');

const issuesOf = (error: z.ZodError): string[] =>
  error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);

/** Every product selector inside a condition, with its path. */
const selectorsWithPaths = function* (
  condition: Condition,
  path: PropertyKey[],
): Generator<[ProductSelector, PropertyKey[]]> {
  switch (condition.type) {
    case 'ordersContaining':
    case 'nthOrderContains':
      yield [condition.products, [...path, 'products']];
      return;
    case 'all':
    case 'any':
      for (const [i, c] of condition.conditions.entries())
        yield* selectorsWithPaths(c, [...path, 'conditions', i]);
      return;
    case 'not':
      yield* selectorsWithPaths(condition.condition, [...path, 'condition']);
      return;
    default:
      return;
  }
};

const catalogProblems = (catalog: Catalog, condition: Condition, path: PropertyKey[]): string[] => {
  const productIds = new Set(catalog.products.map((p) => String(p.product_id)));
  const variants = catalog.products.flatMap((p) => p.variants);
  const variantIds = new Set(variants.map((v) => String(v.variant_id)));
  const skus = new Set(variants.flatMap((v) => (v.sku ? [v.sku] : [])));
  const problems: string[] = [];
  for (const [selector, at] of selectorsWithPaths(condition, path)) {
    const check = (field: 'productIds' | 'variantIds' | 'skus', known: Set<string>, what: string) =>
      selector[field]?.forEach((value, i) => {
        if (!known.has(value))
          problems.push(`${formatPath([...at, field, i])}: unknown ${what} "${value}" (not in the catalog)`);
      });
    check('productIds', productIds, 'product id');
    check('variantIds', variantIds, 'variant id');
    check('skus', skus, 'SKU');
  }
  return problems;
};

export type Definition = { kind: 'journey'; value: Journey } | { kind: 'segment'; value: Segment };

/**
 * Validates one journey or segment definition. Problems are `<path>: <what is wrong>`, the path
 * starting inside the definition (e.g. `.stages[1].when.count`).
 */
export const definitionProblems = (
  kind: 'journey' | 'segment',
  candidate: unknown,
  context: Pick<JourneyConfig, 'templates' | 'catalog'>,
): { problems: string[]; definition?: Definition } => {
  if (kind === 'segment') {
    const parsed = SegmentSchema.safeParse(candidate);
    if (!parsed.success) return { problems: issuesOf(parsed.error) };
    const problems = context.catalog ? catalogProblems(context.catalog, parsed.data.when, ['when']) : [];
    return { problems, definition: { kind, value: parsed.data } };
  }
  const parsed = JourneySchema.safeParse(candidate);
  if (!parsed.success) return { problems: issuesOf(parsed.error) };
  const journey = parsed.data;
  const problems: string[] = [];
  journey.stages.forEach((stage, index) => {
    if (context.catalog)
      problems.push(...catalogProblems(context.catalog, stage.when, ['stages', index, 'when']));
    if (stage.action && !(stage.action.template in context.templates)) {
      problems.push(
        `${formatPath(['stages', index, 'action', 'template'])}: no template named "${stage.action.template}" ` +
          `(known: ${Object.keys(context.templates).join(', ') || 'none'})`,
      );
    }
  });
  return { problems, definition: { kind, value: journey } };
};

const nameOf = (candidate: unknown, fallback: string): string =>
  typeof candidate === 'object' &&
  candidate !== null &&
  typeof (candidate as { id?: unknown }).id === 'string'
    ? (candidate as { id: string }).id
    : fallback;

/**
 * Validates the configuration and compiles what the evaluator needs. Throws a JourneyConfigError
 * whose message names each problem by definition and path (`rum-baba-fans.stages[1].action.template: …`).
 */
export const compileConfig = (config: JourneyConfig): CompiledConfig => {
  const problems: string[] = [];
  const journeys: Journey[] = [];
  const segments: Segment[] = [];
  const seen = new Set<string>();
  const check = (kind: 'journey' | 'segment', candidate: unknown, index: number) => {
    const name = nameOf(candidate, `${kind}s[${index}]`);
    const result = definitionProblems(kind, candidate, config);
    problems.push(...result.problems.map((p) => `${name}${p}`));
    if (!result.definition) return;
    if (seen.has(result.definition.value.id))
      problems.push(`${name}: duplicate id (journeys and segments share one namespace)`);
    seen.add(result.definition.value.id);
    if (result.problems.length > 0) return;
    if (result.definition.kind === 'journey') journeys.push(result.definition.value);
    else segments.push(result.definition.value);
  };
  for (const [i, journey] of config.journeys.entries()) check('journey', journey, i);
  for (const [i, segment] of (config.segments ?? []).entries()) check('segment', segment, i);
  const timing = TimingConfigSchema.safeParse(config.timing ?? {});
  if (!timing.success) problems.push(...issuesOf(timing.error).map((p) => `timing${p}`));
  if (problems.length > 0) throw new JourneyConfigError(problems);
  const conditions = [
    ...journeys.flatMap((j) => j.stages.map((s) => s.when)),
    ...segments.map((s) => s.when),
  ];
  return {
    brandName: config.brandName,
    templates: config.templates,
    journeys,
    segments,
    selectors: selectorsOfConditions(conditions),
    timing: timing.data ?? {},
  };
};
