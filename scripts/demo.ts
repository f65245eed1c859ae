import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { journeyConfig } from '../journeys/index.ts';
import {
  catalog,
  catalogLine,
  consentPayload,
  DEMO_SHOP,
  type Delivery,
  deliver,
  type LineItemInput,
  orderPayload,
  seededRandom,
} from '../local/shopify-webhooks.ts';
import { postJson } from './demo/http.ts';
import { playTimingScenes, type TimingScenes } from './demo/timing-scenes.ts';

/**
 * `npm run demo`: a demo bakery's weeks of trading as signed Shopify webhooks, sent to a running
 * stack day by day (the stack's clock moves with the simulation), then a report of the journey
 * stages customers reached and the emails the stack sent. Seeded, so runs are repeatable.
 */

type DemoOptions = {
  customers: number;
  weeks: number;
  seed: number;
  adminApiKey: string;
  log: (line: string) => void;
  /** Play the timing scenes after the weeks (delayed coupon, lapsing reminder, cap, quiet hours, holdouts). */
  scenes: boolean;
};
export type DemoSummary = {
  customers: number;
  webhooks: number;
  redeliveries: number;
  /** Per journey: customers per current stage ('(none)' when in no stage). */
  stages: Record<string, Record<string, number>>;
  /** Customers per segment. */
  segments: Record<string, number>;
  emailsBySubject: Record<string, number>;
  emailsSent: number;
  subscribed: number;
  /** What the timing scenes saw (absent when not played). */
  timing?: TimingScenes;
};

const RUM_BABA_IDS = new Set([8001000000001, 8001000000008]);
const DAY = 86_400;

export const runDemo = async (baseUrl: string, options: Partial<DemoOptions> = {}): Promise<DemoSummary> => {
  const {
    customers = 36,
    weeks = 8,
    seed = 7,
    adminApiKey = 'local-admin-key',
    log = () => undefined,
    scenes = true,
  } = options;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const lineFor = (productId: number): LineItemInput => {
    const variants = catalog.products.find((p) => p.product_id === productId)?.variants.length ?? 1;
    return catalogLine(productId, 1 + Math.floor(random() * 2), Math.floor(random() * variants));
  };
  const others = catalog.products
    .map((p) => p.product_id)
    .filter((id) => !RUM_BABA_IDS.has(id) && id !== 8001000000002);

  // Plan the story: each customer has a taste for Rum Baba and a number of visits.
  const days = weeks * 7;
  const plan = new Map<number, Delivery[]>();
  const schedule = (day: number, delivery: Delivery) => plan.set(day, [...(plan.get(day) ?? []), delivery]);
  let nextOrderId = 5_000_100;
  let subscribed = 0;
  for (let c = 0; c < customers; c++) {
    const customerId = 7_100 + c;
    const taste = pick([0.9, 0.9, 0.6, 0.3, 0]);
    const morningHabit = pick([0.9, 0.5, 0, 0]);
    const visits = 1 + Math.floor(random() * 5);
    const visitDays = Array.from({ length: visits }, () => Math.floor(random() * days)).sort((a, b) => a - b);
    const state = random() < 0.8 ? 'subscribed' : 'not_subscribed';
    if (state === 'subscribed') subscribed++;
    schedule(visitDays[0] ?? 0, {
      topic: 'customers/email_marketing_consent_update',
      payload: { customerId, state },
    });
    for (const day of visitDays) {
      const lines = [lineFor(pick(others))];
      if (random() < taste) lines.push(lineFor(random() < 0.8 ? 8001000000001 : 8001000000008));
      if (random() < morningHabit) lines.push(lineFor(8001000000002));
      schedule(day, { topic: 'orders/create', payload: { customerId, orderId: nextOrderId++, lines } });
    }
  }

  let webhooks = 0;
  let redeliveries = 0;
  let now = Date.parse(String((await postJson(`${baseUrl}/_local/advance-time`, { seconds: 1 })).now));
  for (let day = 0; day < days; day++) {
    for (const planned of plan.get(day) ?? []) {
      const at = new Date(now + Math.floor(random() * 10 * 3600) * 1000).toISOString();
      const p = planned.payload as {
        customerId: number;
        state?: string;
        orderId?: number;
        lines?: LineItemInput[];
      };
      const payload =
        planned.topic === 'orders/create'
          ? orderPayload({
              id: p.orderId ?? 0,
              customerId: p.customerId,
              createdAt: at,
              lines: p.lines ?? [],
            })
          : consentPayload(p.customerId, p.state ?? 'subscribed', at);
      const delivery: Delivery = { topic: planned.topic, payload, eventId: randomUUID() };
      const first = await deliver(baseUrl, delivery);
      if (first.status !== 200) throw new Error(`webhook answered ${first.status}: ${first.body}`);
      webhooks++;
      if (random() < 0.15) {
        // Shopify delivers at least once: some webhooks arrive twice.
        await deliver(baseUrl, delivery);
        redeliveries++;
      }
    }
    await postJson(`${baseUrl}/_local/settle`, {});
    // A day in three steps: the dispatcher runs every minute in a deployed stack; one run a day,
    // always at the same hour, could fall in quiet hours every day and hold its emails for good.
    for (let step = 0; step < 3; step++) {
      now = Date.parse(String((await postJson(`${baseUrl}/_local/advance-time`, { seconds: DAY / 3 })).now));
      await postJson(`${baseUrl}/_local/settle`, {});
    }
    if ((day + 1) % 7 === 0) log(`  week ${(day + 1) / 7}: ${webhooks} webhooks so far`);
  }
  if (scenes) log('Timing scenes:');
  const timing = scenes ? await playTimingScenes(baseUrl, adminApiKey, log) : undefined;

  const stages: Record<string, Record<string, number>> = {};
  const segments: Record<string, number> = {};
  for (let c = 0; c < customers; c++) {
    const response = await fetch(`${baseUrl}/api/shops/${DEMO_SHOP}/customers/${7_100 + c}`, {
      headers: { authorization: `Bearer ${adminApiKey}` },
    });
    if (response.status !== 200)
      throw new Error(`admin API answered ${response.status} for customer ${7_100 + c}`);
    const customer = (await response.json()) as {
      journeys: Record<string, string | null>;
      segments: string[];
    };
    for (const [journeyId, stage] of Object.entries(customer.journeys)) {
      const counts = stages[journeyId] ?? {};
      counts[stage ?? '(none)'] = (counts[stage ?? '(none)'] ?? 0) + 1;
      stages[journeyId] = counts;
    }
    for (const segmentId of customer.segments) segments[segmentId] = (segments[segmentId] ?? 0) + 1;
  }
  const emails = (await (await fetch(`${baseUrl}/_local/emails`)).json()) as {
    subject: string;
    to: string[];
  }[];
  const emailsBySubject: Record<string, number> = {};
  for (const email of emails) emailsBySubject[email.subject] = (emailsBySubject[email.subject] ?? 0) + 1;
  return {
    customers,
    webhooks,
    redeliveries,
    stages,
    segments,
    emailsBySubject,
    emailsSent: emails.length,
    subscribed,
    ...(timing ? { timing } : {}),
  };
};

/** The holdout report as lines: per stage, treated vs control conversion, lift and whether it is conclusive. */
const holdoutLines = (report: unknown): string[] => {
  const stages = (report as { stages?: Record<string, unknown>[] } | undefined)?.stages ?? [];
  if (stages.length === 0) return [];
  const pct = (n: unknown) => (typeof n === 'number' ? `${(n * 100).toFixed(1)} %` : '–');
  const points = (n: unknown) =>
    typeof n === 'number' ? `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} points` : '–';
  return [
    'Holdouts (conversion within the window after the decision):',
    ...stages.map(
      (s) =>
        `  ${(s.journey as { name: string }).name} / ${(s.stage as { name: string }).name}: treated ${String(s.treated)} → ${pct(s.treatedRate)}, control ${String(s.control)} → ${pct(s.controlRate)}, lift ${points(s.lift)}` +
        (s.enoughData
          ? `, p = ${Number(s.pValue).toFixed(3)}`
          : `; not enough data yet (${String(s.sampleNeeded)} more per group)`),
    ),
  ];
};

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
      customers: { type: 'string', default: '36' },
      weeks: { type: 'string', default: '8' },
      seed: { type: 'string', default: '7' },
    },
  });
  const url = values.url;
  const health = await fetch(`${url}/_local/health`).catch(() => null);
  if (health?.status !== 200) {
    process.stderr.write(
      `No healthy local stack at ${url}: start one with \`npm start\` first (or pass --url).\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`Demo bakery: ${values.customers} customers over ${values.weeks} weeks → ${url}\n`);
  const summary = await runDemo(url, {
    customers: Number(values.customers),
    weeks: Number(values.weeks),
    seed: Number(values.seed),
    adminApiKey: process.env.ADMIN_API_KEY ?? 'local-admin-key',
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const lines = [
    '',
    `Webhooks sent: ${summary.webhooks} (+${summary.redeliveries} redelivered duplicates) for ${summary.customers} customers, ${summary.subscribed} subscribed to email`,
    ...journeyConfig.journeys.flatMap((journey) => [
      `${journey.name}, where customers are now:`,
      ...['(none)', ...journey.stages.map((s) => s.id)].map(
        (s) => `  ${s.padEnd(16)} ${summary.stages[journey.id]?.[s] ?? 0}`,
      ),
    ]),
    ...journeyConfig.segments.map(
      (segment) => `Segment ${segment.name}: ${summary.segments[segment.id] ?? 0} customers`,
    ),
    `Emails sent by the stack: ${summary.emailsSent}`,
    ...Object.entries(summary.emailsBySubject).map(
      ([subject, n]) => `  ${String(n).padStart(3)} × ${subject}`,
    ),
    `See them: ${url}/_local/emails`,
    ...holdoutLines(summary.timing?.holdouts),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
