import { z } from 'zod';

/**
 * The analytics reports, their query parameters and result shapes. Pure: the SQL that computes
 * them lives in `functions/analytics/reports/`, the engine that runs it in
 * `functions/adapters/analytics/engine.ts`; docs/analytics.md defines every figure.
 */
export const REPORTS = [
  'summary',
  'funnel',
  'f2',
  'segments',
  'nth-order',
  'repurchase-intervals',
  'second-purchase',
  'bought-together',
  'routes',
  'segment-growth',
  'cohorts',
  'holdouts',
] as const;
export const ReportNameSchema = z.enum(REPORTS);
export type ReportName = z.infer<typeof ReportNameSchema>;

const IdNameSchema = z.object({ id: z.string().min(1), name: z.string() });
export type IdName = z.infer<typeof IdNameSchema>;

/** The journeys (stages in order) and segments of a snapshot, as its `definitions.json` holds them. */
export const DefinitionsSchema = z.object({
  journeys: z.array(IdNameSchema.extend({ stages: z.array(IdNameSchema) })),
  segments: z.array(IdNameSchema),
});
export type Definitions = z.infer<typeof DefinitionsSchema>;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real UTC calendar day written `YYYY-MM-DD` (so 2025-02-30 is not one). */
export const isCalendarDate = (text: string): boolean => {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [, year, month, day] = match.map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  return date.toISOString().slice(0, 10) === text;
};

const DateSchema = z
  .string()
  .regex(ISO_DATE, 'must be a date written YYYY-MM-DD')
  .refine(isCalendarDate, 'is not a calendar date');
const IdParamSchema = z.string().min(1).max(200);

/** The conversion window of `holdouts`, in days: long enough for a slow repurchase, at most a year. */
export const HOLDOUT_DAYS = { default: 30, min: 1, max: 365 } as const;
const DAYS_MESSAGE = `must be a whole number of days from ${HOLDOUT_DAYS.min} to ${HOLDOUT_DAYS.max}`;
const DaysSchema = z
  .string()
  .regex(/^[0-9]{1,3}$/, DAYS_MESSAGE)
  .transform(Number)
  .refine((days) => days >= HOLDOUT_DAYS.min && days <= HOLDOUT_DAYS.max, DAYS_MESSAGE);

/** The query string of a report route; which keys a report takes is `parametersOf(report)`. */
export const ReportQuerySchema = z.object({
  from: DateSchema.optional(),
  to: DateSchema.optional(),
  segment: IdParamSchema.optional(),
  journey: IdParamSchema.optional(),
  product: IdParamSchema.optional(),
  days: DaysSchema.optional(),
});
export type ReportQuery = z.infer<typeof ReportQuerySchema>;
type Parameter = keyof ReportQuery;

const COMMON_PARAMETERS: readonly Parameter[] = ['from', 'to', 'segment', 'journey'];

export const parametersOf = (report: ReportName): readonly Parameter[] => {
  if (report === 'second-purchase') return [...COMMON_PARAMETERS, 'product'];
  if (report === 'holdouts') return [...COMMON_PARAMETERS, 'days'];
  return COMMON_PARAMETERS;
};

/**
 * A validated report request; `null` is "not given" (`from`: all history; filters: everyone;
 * `days`: a report that takes no conversion window).
 */
export type ReportRequest<R extends ReportName = ReportName> = {
  report: R;
  from: string | null;
  to: string;
  segment: string | null;
  journey: string | null;
  product: string | null;
  days: number | null;
};

export type ParsedReportRequest = { ok: true; request: ReportRequest } | { ok: false; message: string };

const isParameter = (report: ReportName, key: string): key is Parameter =>
  (parametersOf(report) as readonly string[]).includes(key);

const known = (what: string, ids: readonly string[]): string =>
  ids.length === 0 ? `no ${what} are defined` : `known ${what}: ${ids.join(', ')}`;

/**
 * Reads a report route's name and query string into a request, or says in one sentence what is
 * wrong with it. An empty value (`?segment=`) counts as not given. Defaults: `to` = `today`,
 * `from` = all history, for `funnel` `journey` = the first journey, for `holdouts` `days` = 30.
 */
export const parseReportRequest = (
  name: string,
  query: Readonly<Record<string, string | undefined>>,
  definitions: Definitions,
  today: string,
): ParsedReportRequest => {
  const report = ReportNameSchema.safeParse(name);
  if (!report.success)
    return { ok: false, message: `unknown report "${name}"; ${known('reports', REPORTS)}` };
  const given = Object.entries(query).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
  const extra = given.find(([key]) => !isParameter(report.data, key));
  if (extra)
    return {
      ok: false,
      message: `unknown parameter "${extra[0]}"; ${report.data} takes ${parametersOf(report.data).join(', ')}`,
    };
  const parsed = ReportQuerySchema.safeParse(Object.fromEntries(given));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'query');
    return { ok: false, message: `${key}: ${issue?.message ?? 'invalid'} (got "${query[key] ?? ''}")` };
  }
  const { from = null, to = today, segment = null, product = null } = parsed.data;
  if (from !== null && from > to) return { ok: false, message: `from (${from}) is after to (${to})` };
  const segmentIds = definitions.segments.map((s) => s.id);
  if (segment !== null && !segmentIds.includes(segment))
    return { ok: false, message: `unknown segment "${segment}"; ${known('segments', segmentIds)}` };
  const journeyIds = definitions.journeys.map((j) => j.id);
  const journey = parsed.data.journey ?? (report.data === 'funnel' ? (journeyIds[0] ?? null) : null);
  if (journey !== null && !journeyIds.includes(journey))
    return { ok: false, message: `unknown journey "${journey}"; ${known('journeys', journeyIds)}` };
  const days = parsed.data.days ?? (report.data === 'holdouts' ? HOLDOUT_DAYS.default : null);
  return { ok: true, request: { report: report.data, from, to, segment, journey, product, days } };
};

// Result shapes. Counts are integers, money is integer minor units of `currency`, rates are
// shares in [0, 1], days are fractional unless named `day`, dates are `YYYY-MM-DD`.

const count = z.number().int().nonnegative();
const minorUnits = z.number().int();
const rate = z.number().min(0).max(1);
const isoDate = z.string().regex(ISO_DATE);

const WindowSchema = z.object({ from: isoDate.nullable(), to: isoDate });

export const CurrencyTotalsSchema = z.object({
  currency: z.string(),
  orders: count,
  revenue: minorUnits,
  aov: minorUnits,
});

const MoneySchema = z.object({ currency: z.string().nullable(), byCurrency: z.array(CurrencyTotalsSchema) });

export const SummarySchema = WindowSchema.extend({
  customers: count,
  buyers: count,
  repeaters: count,
  repeatRate: rate,
  f2Rate: rate,
  orders: count,
  revenue: minorUnits,
  aov: minorUnits,
  ltv: minorUnits,
  currency: z.string().nullable(),
  byCurrency: z.array(CurrencyTotalsSchema),
});

export const FunnelSchema = WindowSchema.extend({
  journey: IdNameSchema.nullable(),
  stages: z.array(
    IdNameSchema.extend({
      position: count,
      now: count,
      entered: count,
      converted: count,
      conversion: rate.nullable(),
      medianDaysToNext: z.number().nullable(),
    }),
  ),
  bottleneck: IdNameSchema.nullable(),
  overTime: z.array(
    z.object({ week: isoDate, stages: z.array(z.object({ id: z.string(), customers: count })) }),
  ),
});

export const F2Schema = WindowSchema.extend({
  customers: count,
  repeated: count,
  f2Rate: rate,
  within: z.array(z.object({ days: count, eligible: count, repeated: count, rate })),
  buyers: count,
  repeaters: count,
  repeatRate: rate,
  orders: count,
  repeatOrders: count,
  repeatOrderRate: rate,
});

const SegmentRowSchema = z.object({
  id: z.string().nullable(),
  name: z.string(),
  customers: count,
  buyers: count,
  repeaters: count,
  orders: count,
  revenue: minorUnits,
  aov: minorUnits,
  avgOrders: z.number(),
  ltv: minorUnits,
  revenuePerCustomer: minorUnits,
  repeatRate: rate,
});

export const SegmentsSchema = WindowSchema.extend(MoneySchema.shape).extend({
  all: SegmentRowSchema,
  segments: z.array(SegmentRowSchema),
});

const QuartilesSchema = z.object({ p25: z.number(), median: z.number(), p75: z.number() });

export const NthOrderSchema = WindowSchema.extend(MoneySchema.shape).extend({
  customers: count,
  byOrderNumber: z.array(
    z.object({
      n: z.enum(['1', '2', '3', '4', '5+']),
      customers: count,
      orders: count,
      revenue: minorUnits,
      aov: minorUnits,
      daysSincePrevious: QuartilesSchema.nullable(),
    }),
  ),
});

const PercentileSchema = z.object({ p: count, day: count.nullable() });

export const RepurchaseIntervalsSchema = WindowSchema.extend({
  transitions: z.array(
    z.object({
      fromOrder: count,
      toOrder: count,
      subjects: count,
      events: count,
      censored: count,
      curve: z.array(
        z.object({
          day: count,
          atRisk: count,
          events: count,
          censored: count,
          survival: rate,
          repurchased: rate,
        }),
      ),
      percentiles: z.array(PercentileSchema),
      percentilesOfReturners: z.array(PercentileSchema),
    }),
  ),
});

const ProductSchema = z.object({ id: z.string(), title: z.string().nullable() });

export const SecondPurchaseSchema = WindowSchema.extend({
  product: ProductSchema.nullable(),
  cohortCustomers: count,
  customers: count,
  secondOrderRate: rate,
  products: z.array(ProductSchema.extend({ customers: count, share: rate })),
});

export const BoughtTogetherSchema = WindowSchema.extend({
  customers: count,
  orders: count,
  pairs: z.array(
    z.object({
      a: ProductSchema,
      b: ProductSchema,
      orders: count,
      support: rate,
      confidenceAToB: rate,
      confidenceBToA: rate,
      lift: z.number().nonnegative(),
    }),
  ),
});

const RouteSchema = z.object({ path: z.array(z.string()), customers: count, share: rate });

export const RoutesSchema = WindowSchema.extend({
  customers: count,
  mostCommon: z.array(RouteSchema),
  rarest: z.array(RouteSchema),
});

export const SegmentGrowthSchema = WindowSchema.extend({
  segments: z.array(IdNameSchema.extend({ days: z.array(z.object({ date: isoDate, members: count })) })),
});

export const CohortsSchema = WindowSchema.extend(MoneySchema.shape).extend({
  cohorts: z.array(
    z.object({
      month: z.string().regex(/^\d{4}-\d{2}$/),
      customers: count,
      months: z.array(
        z.object({ m: count, revenuePerCustomer: minorUnits, ordersPerCustomer: z.number().nonnegative() }),
      ),
    }),
  ),
});

const HoldoutStageSchema = z.object({
  journey: IdNameSchema,
  stage: IdNameSchema,
  treated: count,
  control: count,
  treatedConverted: count,
  controlConverted: count,
  treatedRate: rate.nullable(),
  controlRate: rate.nullable(),
  lift: z.number().min(-1).max(1).nullable(),
  relativeLift: z.number().nullable(),
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  pValue: rate.nullable(),
  treatedOrders: count,
  controlOrders: count,
  incrementalOrders: z.number().nullable(),
  byCurrency: z.array(
    z.object({
      currency: z.string(),
      orders: count,
      treatedRevenue: minorUnits,
      controlRevenue: minorUnits,
      incrementalRevenue: minorUnits.nullable(),
    }),
  ),
  enoughData: z.boolean(),
  sampleNeeded: count,
});

export const HoldoutsSchema = WindowSchema.extend({
  journey: IdNameSchema.nullable(),
  days: count,
  stages: z.array(HoldoutStageSchema),
});

export const ReportResultSchemas = {
  summary: SummarySchema,
  funnel: FunnelSchema,
  f2: F2Schema,
  segments: SegmentsSchema,
  'nth-order': NthOrderSchema,
  'repurchase-intervals': RepurchaseIntervalsSchema,
  'second-purchase': SecondPurchaseSchema,
  'bought-together': BoughtTogetherSchema,
  routes: RoutesSchema,
  'segment-growth': SegmentGrowthSchema,
  cohorts: CohortsSchema,
  holdouts: HoldoutsSchema,
} as const satisfies Record<ReportName, z.ZodType>;

export type ReportResult<R extends ReportName = ReportName> = z.infer<(typeof ReportResultSchemas)[R]>;
