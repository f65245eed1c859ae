import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '#adapters/analytics/engine.ts';
import {
  type OrderRow,
  type Snapshot,
  SnapshotError,
  writeCustomerSnapshot,
  writeSnapshot,
} from '#adapters/analytics/snapshot.ts';
import {
  parseReportRequest,
  REPORTS,
  type ReportName,
  type ReportRequest,
} from '#domain/analytics/reports.ts';
import {
  type AnalyticsShop,
  analyticsShop,
  emptyAnalyticsShop,
  SHOP_DEFINITIONS,
  snapshotOf,
} from '../support/analytics-shop.ts';

// The reference below recomputes every report from the shop's rows in plain TypeScript, straight
// from the definitions in docs/analytics.md, sharing nothing with the SQL.

const DAY = 86_400_000;
const TODAY = '2025-07-15';
const ms = (instant: string | Date): number =>
  instant instanceof Date ? instant.getTime() : Date.parse(instant);
const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10);

type Order = OrderRow & { time: number };
type Numbered = Order & { n: number; previous: number | null; first: number; total: number };
type Spell = {
  customer: string;
  kind: string;
  scope: string;
  member: string;
  position: number;
  entered: number;
  exited: number | null;
};

const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);
const perUnit = (amount: number, n: number): number => (n === 0 ? 0 : Math.round(amount / n));
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byPath = (a: readonly string[], b: readonly string[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const order = byText(a[i] ?? '', b[i] ?? '');
    if (order !== 0) return order;
  }
  return a.length - b.length;
};
const quantile = (values: readonly number[], q: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const low = sorted[lo] ?? 0;
  return low + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? low) - low);
};
const countBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** Rounds half away from zero (money per unit), as docs/analytics.md says — not Math.round's half up. */
const roundAway = (value: number): number => Math.sign(value) * Math.round(Math.abs(value));

/**
 * The standard normal distribution function by its Taylor series (G. Marsaglia, "Evaluating the
 * normal distribution", J. Stat. Softw. 11(4), 2004): Φ(z) = ½ + φ(z)·(z + z³/3 + z⁵/(3·5) + …),
 * summed until a term no longer changes the sum. Absolute error about 1e-15 — nothing in common
 * with the rational approximation of the SQL.
 */
const normalCdf = (z: number): number => {
  const q = z * z;
  let sum = z;
  let previous = 0;
  let term = z;
  for (let k = 3; sum !== previous; k += 2) {
    previous = sum;
    term *= q / k;
    sum = previous + term;
  }
  return 0.5 + sum * Math.exp(-0.5 * q - 0.5 * Math.log(2 * Math.PI));
};

/** z(0.975) and z(0.8): a two-sided test at α = 0.05 with 80 % power. */
const Z_ALPHA = 1.959964;
const Z_POWER = 0.841621;

type HoldoutGroup = { decisions: number; converted: number; orders: number; revenue: Map<string, number> };

/** One stage's holdout figures from its two groups, by the definitions of docs/analytics.md#holdouts. */
const holdoutFigures = (
  treated: HoldoutGroup,
  control: HoldoutGroup,
  currencyOrders: Map<string, number>,
) => {
  const n1 = treated.decisions;
  const n2 = control.decisions;
  const both = n1 > 0 && n2 > 0;
  const p1 = n1 > 0 ? treated.converted / n1 : null;
  const p2 = n2 > 0 ? control.converted / n2 : null;
  const pooled = (treated.converted + control.converted) / (n1 + n2);
  const lift = p1 !== null && p2 !== null ? p1 - p2 : null;
  const se = p1 !== null && p2 !== null ? Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2) : null;
  const sePooled = both ? Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) : null;
  const observed = p1 !== null && p2 !== null && p1 !== p2;
  const base = Math.max(0, Math.min(0.95, pooled - 0.025));
  const a = observed ? (p1 as number) : base + 0.05;
  const b = observed ? (p2 as number) : base;
  const perGroup =
    ((Z_ALPHA + Z_POWER) * (Z_ALPHA + Z_POWER) * (a * (1 - a) + b * (1 - b))) / ((a - b) * (a - b));
  const required = Math.max(Math.ceil(perGroup), 30);
  const currencies = [...currencyOrders.entries()].sort((x, y) => y[1] - x[1] || byText(x[0], y[0]));
  return {
    treated: n1,
    control: n2,
    treatedConverted: treated.converted,
    controlConverted: control.converted,
    treatedRate: p1,
    controlRate: p2,
    lift,
    relativeLift: lift !== null && p2 !== null && p2 > 0 ? lift / p2 : null,
    ci95: lift !== null && se !== null ? [lift - Z_ALPHA * se, lift + Z_ALPHA * se] : null,
    pValue:
      lift !== null && sePooled !== null && sePooled > 0 ? 2 * normalCdf(-Math.abs(lift / sePooled)) : null,
    treatedOrders: treated.orders,
    controlOrders: control.orders,
    incrementalOrders: both ? (treated.orders / n1 - control.orders / n2) * n1 : null,
    byCurrency: currencies.map(([currency, orders]) => {
      const revenue1 = treated.revenue.get(currency) ?? 0;
      const revenue2 = control.revenue.get(currency) ?? 0;
      return {
        currency,
        orders,
        treatedRevenue: revenue1,
        controlRevenue: revenue2,
        incrementalRevenue: both ? roundAway((revenue1 / n1 - revenue2 / n2) * n1) : null,
      };
    }),
    enoughData: Math.min(n1, n2) >= required,
    sampleNeeded: Math.max(0, required - Math.min(n1, n2)),
  };
};

/** The shop as it stood at the end of `request.to`, for one request. */
class Reference {
  readonly shop: AnalyticsShop;
  readonly request: ReportRequest;
  readonly end: number;
  readonly start: number | null;
  readonly spells: Spell[];
  readonly titles = new Map<string, string>();

  constructor(shop: AnalyticsShop, request: ReportRequest) {
    this.shop = shop;
    this.request = request;
    this.end = dayStart(request.to) + DAY;
    this.start = request.from === null ? null : dayStart(request.from);
    this.spells = shop.memberships.map((m) => ({
      customer: m.customer_id,
      kind: m.kind,
      scope: m.scope,
      member: m.member,
      position: m.position,
      entered: ms(m.entered_at),
      exited: m.exited_at === null ? null : ms(m.exited_at),
    }));
    for (const line of shop.orderProducts) {
      const known = this.titles.get(line.product_id);
      if (known === undefined || line.title < known) this.titles.set(line.product_id, line.title);
    }
  }

  inWindow = (time: number): boolean => (this.start === null || time >= this.start) && time < this.end;
  openAt = (spell: Spell, time: number): boolean =>
    spell.entered < time && (spell.exited === null || spell.exited >= time);

  scope(segment: string | null, journey: string | null): Set<string> {
    const member = (customer: string, test: (s: Spell) => boolean) =>
      this.spells.some((s) => s.customer === customer && test(s) && this.openAt(s, this.end));
    return new Set(
      this.shop.customers
        .map((c) => c.customer_id)
        .filter(
          (id) =>
            (segment === null || member(id, (s) => s.kind === 'segment' && s.member === segment)) &&
            (journey === null || member(id, (s) => s.kind === 'stage' && s.scope === journey)),
        ),
    );
  }

  counted(scope: Set<string>): Numbered[] {
    const byCustomer = new Map<string, Order[]>();
    for (const order of this.shop.orders) {
      const time = ms(order.placed_at);
      if (!order.counts || time >= this.end || !scope.has(order.customer_id)) continue;
      byCustomer.set(order.customer_id, [...(byCustomer.get(order.customer_id) ?? []), { ...order, time }]);
    }
    return [...byCustomer.values()].flatMap((orders) => {
      orders.sort((a, b) => a.time - b.time || byText(a.order_id, b.order_id));
      const first = orders[0]?.time ?? 0;
      return orders.map((o, i) => ({
        ...o,
        n: i + 1,
        previous: orders[i - 1]?.time ?? null,
        first,
        total: orders.length,
      }));
    });
  }

  get scoped(): Set<string> {
    return this.scope(this.request.segment, this.request.journey);
  }
  get orders(): Numbered[] {
    return this.counted(this.scoped);
  }
  get windowed(): Numbered[] {
    return this.orders.filter((o) => this.inWindow(o.time));
  }
  get cohortOrders(): Numbered[] {
    return this.orders.filter((o) => this.inWindow(o.first));
  }

  static money(orders: readonly Order[]) {
    const counts = countBy(orders, (o) => o.currency);
    const byCurrency = [...counts.entries()]
      .map(([currency, n]) => {
        const revenue = orders.filter((o) => o.currency === currency).reduce((sum, o) => sum + o.net, 0);
        return { currency, orders: n, revenue, aov: perUnit(revenue, n) };
      })
      .sort((a, b) => b.orders - a.orders || byText(a.currency, b.currency));
    return { currency: byCurrency[0]?.currency ?? null, byCurrency };
  }

  static buyers(orders: readonly Order[]) {
    const perCustomer = countBy(orders, (o) => o.customer_id);
    const buyers = perCustomer.size;
    const repeaters = [...perCustomer.values()].filter((n) => n >= 2).length;
    return { buyers, repeaters, repeatRate: ratio(repeaters, buyers) };
  }

  summary() {
    const windowed = this.windowed;
    const { currency, byCurrency } = Reference.money(windowed);
    const inCurrency = windowed.filter((o) => o.currency === currency);
    const revenue = inCurrency.reduce((sum, o) => sum + o.net, 0);
    const cohort = this.orders.filter((o) => o.n === 1 && this.inWindow(o.time));
    return {
      from: this.request.from,
      to: this.request.to,
      customers: this.scoped.size,
      ...Reference.buyers(windowed),
      f2Rate: ratio(cohort.filter((o) => o.total >= 2).length, cohort.length),
      orders: windowed.length,
      revenue,
      aov: perUnit(revenue, inCurrency.length),
      ltv: perUnit(revenue, new Set(inCurrency.map((o) => o.customer_id)).size),
      currency,
      byCurrency,
    };
  }

  funnel() {
    const journey = this.shop.definitions.journeys.find((j) => j.id === this.request.journey);
    const scope = this.scope(this.request.segment, null);
    const spells = this.spells.filter(
      (s) => s.kind === 'stage' && s.scope === journey?.id && scope.has(s.customer) && s.entered < this.end,
    );
    const last = (journey?.stages.length ?? 0) - 1;
    const stages = (journey?.stages ?? []).map((stage, position) => {
      const inStage = spells.filter((s) => s.member === stage.id);
      const firstEntries = new Map<string, Spell>();
      for (const s of inStage.filter((s) => this.start === null || s.entered >= this.start)) {
        const seen = firstEntries.get(s.customer);
        if (!seen || s.entered < seen.entered) firstEntries.set(s.customer, s);
      }
      const gaps: number[] = [];
      for (const entry of firstEntries.values()) {
        const onward = spells
          .filter(
            (s) => s.customer === entry.customer && s.position > entry.position && s.entered >= entry.entered,
          )
          .map((s) => s.entered);
        if (onward.length > 0) gaps.push((Math.min(...onward) - entry.entered) / DAY);
      }
      return {
        id: stage.id,
        name: stage.name,
        position,
        now: new Set(inStage.filter((s) => this.openAt(s, this.end)).map((s) => s.customer)).size,
        entered: firstEntries.size,
        converted: gaps.length,
        conversion: position < last ? ratio(gaps.length, firstEntries.size) : null,
        medianDaysToNext: quantile(gaps, 0.5),
      };
    });
    const candidates = stages
      .filter((s) => s.conversion !== null && s.entered > 0)
      .sort((a, b) => (a.conversion ?? 0) - (b.conversion ?? 0) || a.position - b.position);
    const monday = (time: number) => {
      const day = dayStart(isoDay(time));
      return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
    };
    const firstEntry = spells.length > 0 ? Math.min(...spells.map((s) => s.entered)) : null;
    const begin = this.start ?? firstEntry;
    const overTime: { week: string; stages: { id: string; customers: number }[] }[] = [];
    if (begin !== null && journey) {
      const lastWeek = monday(dayStart(this.request.to));
      for (let week = Math.max(monday(begin), lastWeek - 103 * 7 * DAY); week <= lastWeek; week += 7 * DAY) {
        const at = Math.min(week + 7 * DAY, this.end);
        overTime.push({
          week: isoDay(week),
          stages: journey.stages.map((stage) => ({
            id: stage.id,
            customers: new Set(
              spells.filter((s) => s.member === stage.id && this.openAt(s, at)).map((s) => s.customer),
            ).size,
          })),
        });
      }
    }
    const bottleneck = candidates[0];
    return {
      from: this.request.from,
      to: this.request.to,
      journey: journey ? { id: journey.id, name: journey.name } : null,
      stages,
      bottleneck: bottleneck ? { id: bottleneck.id, name: bottleneck.name } : null,
      overTime,
    };
  }

  f2() {
    const orders = this.orders;
    const windowed = this.windowed;
    const cohort = orders
      .filter((o) => o.n === 1 && this.inWindow(o.time))
      .map((first) => ({
        first: first.time,
        second: orders.find((o) => o.customer_id === first.customer_id && o.n === 2)?.time ?? null,
      }));
    const repeated = cohort.filter((c) => c.second !== null).length;
    const repeatOrders = windowed.filter((o) => o.n >= 2).length;
    return {
      from: this.request.from,
      to: this.request.to,
      customers: cohort.length,
      repeated,
      f2Rate: ratio(repeated, cohort.length),
      within: [30, 60, 90, 180].map((days) => {
        const eligible = cohort.filter((c) => c.first <= this.end - days * DAY);
        const back = eligible.filter((c) => c.second !== null && c.second - c.first <= days * DAY).length;
        return { days, eligible: eligible.length, repeated: back, rate: ratio(back, eligible.length) };
      }),
      ...Reference.buyers(windowed),
      orders: windowed.length,
      repeatOrders,
      repeatOrderRate: ratio(repeatOrders, windowed.length),
    };
  }

  segments() {
    const scoped = this.scoped;
    const windowed = this.windowed;
    const { currency, byCurrency } = Reference.money(windowed);
    const row = (id: string | null, name: string, members: Set<string>) => {
      const orders = windowed.filter((o) => members.has(o.customer_id));
      const inCurrency = orders.filter((o) => o.currency === currency);
      const revenue = inCurrency.reduce((sum, o) => sum + o.net, 0);
      const { buyers, repeaters, repeatRate } = Reference.buyers(orders);
      const avgOrders = ratio(orders.length, buyers);
      return {
        id,
        name,
        customers: members.size,
        buyers,
        repeaters,
        orders: orders.length,
        revenue,
        aov: perUnit(revenue, inCurrency.length),
        avgOrders,
        ltv: Math.round(avgOrders * ratio(revenue, inCurrency.length)),
        revenuePerCustomer: perUnit(revenue, members.size),
        repeatRate,
      };
    };
    const membersOf = (segment: string) =>
      new Set(
        this.spells
          .filter((s) => s.kind === 'segment' && s.member === segment && this.openAt(s, this.end))
          .map((s) => s.customer)
          .filter((c) => scoped.has(c)),
      );
    return {
      from: this.request.from,
      to: this.request.to,
      currency,
      byCurrency,
      all: row(null, 'All customers', scoped),
      segments: this.shop.definitions.segments.map((s) => row(s.id, s.name, membersOf(s.id))),
    };
  }

  nthOrder() {
    const orders = this.cohortOrders;
    const { currency, byCurrency } = Reference.money(orders);
    const buckets = ['1', '2', '3', '4', '5+'] as const;
    return {
      from: this.request.from,
      to: this.request.to,
      currency,
      byCurrency,
      customers: new Set(orders.map((o) => o.customer_id)).size,
      byOrderNumber: buckets.map((label, i) => {
        const nth = orders.filter((o) => Math.min(o.n, 5) === i + 1);
        const inCurrency = nth.filter((o) => o.currency === currency);
        const revenue = inCurrency.reduce((sum, o) => sum + o.net, 0);
        const gaps = nth.filter((o) => o.previous !== null).map((o) => (o.time - (o.previous ?? 0)) / DAY);
        return {
          n: label,
          customers: new Set(nth.map((o) => o.customer_id)).size,
          orders: nth.length,
          revenue,
          aov: perUnit(revenue, inCurrency.length),
          daysSincePrevious:
            i > 0 && nth.length > 0
              ? { p25: quantile(gaps, 0.25), median: quantile(gaps, 0.5), p75: quantile(gaps, 0.75) }
              : null,
        };
      }),
    };
  }

  repurchaseIntervals() {
    const orders = this.cohortOrders;
    const levels = [10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90];
    const transitions = [1, 2].map((k) => {
      const subjects = orders
        .filter((o) => o.n === k)
        .map((o) => {
          const next = orders.find((x) => x.customer_id === o.customer_id && x.n === k + 1);
          return { event: next !== undefined, day: Math.floor(((next?.time ?? this.end) - o.time) / DAY) };
        });
      const eventDays = [...new Set(subjects.filter((s) => s.event).map((s) => s.day))].sort((a, b) => a - b);
      let survival = 1;
      const curve = eventDays.map((day) => {
        const atRisk = subjects.filter((s) => s.day >= day).length;
        const events = subjects.filter((s) => s.event && s.day === day).length;
        survival *= 1 - events / atRisk;
        return {
          day,
          atRisk,
          events,
          censored: subjects.filter((s) => !s.event && s.day === day).length,
          survival,
          repurchased: 1 - survival,
        };
      });
      const returned = 1 - (curve.at(-1)?.survival ?? 1);
      const firstDay = (level: number) =>
        curve.find((point) => point.repurchased >= level - 1e-9)?.day ?? null;
      const events = subjects.filter((s) => s.event).length;
      return {
        fromOrder: k,
        toOrder: k + 1,
        subjects: subjects.length,
        events,
        censored: subjects.length - events,
        curve,
        percentiles: levels.map((p) => ({ p, day: firstDay(p / 100) })),
        percentilesOfReturners: levels.map((p) => ({ p, day: firstDay((p / 100) * returned) })),
      };
    });
    return { from: this.request.from, to: this.request.to, transitions };
  }

  productsOf(orderId: string): string[] {
    return [
      ...new Set(this.shop.orderProducts.filter((p) => p.order_id === orderId).map((p) => p.product_id)),
    ];
  }

  product(id: string) {
    return { id, title: this.titles.get(id) ?? null };
  }

  secondPurchase() {
    const orders = this.cohortOrders;
    const { product } = this.request;
    const cohort = orders
      .filter((o) => o.n === 1 && (product === null || this.productsOf(o.order_id).includes(product)))
      .map((first) => orders.find((o) => o.customer_id === first.customer_id && o.n === 2));
    const seconds = cohort.filter((o): o is Numbered => o !== undefined);
    const counts = new Map<string, number>();
    for (const second of seconds)
      for (const id of this.productsOf(second.order_id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const products = [...counts.entries()]
      .map(([id, customers]) => ({ ...this.product(id), customers, share: ratio(customers, seconds.length) }))
      .sort((a, b) => b.customers - a.customers || byText(a.title ?? '', b.title ?? '') || byText(a.id, b.id))
      .slice(0, 20);
    return {
      from: this.request.from,
      to: this.request.to,
      product: product === null ? null : this.product(product),
      cohortCustomers: cohort.length,
      customers: seconds.length,
      secondOrderRate: ratio(seconds.length, cohort.length),
      products,
    };
  }

  boughtTogether() {
    const loyal = this.cohortOrders.filter((o) => o.total >= 3);
    const baskets = loyal.map((o) => this.productsOf(o.order_id));
    const single = new Map<string, number>();
    const pairs = new Map<string, number>();
    for (const basket of baskets) {
      for (const a of basket) {
        single.set(a, (single.get(a) ?? 0) + 1);
        for (const b of basket) if (a < b) pairs.set(`${a}|${b}`, (pairs.get(`${a}|${b}`) ?? 0) + 1);
      }
    }
    const n = loyal.length;
    const scored = [...pairs.entries()]
      .filter(([, orders]) => orders >= 2)
      .map(([key, orders]) => {
        const [a = '', b = ''] = key.split('|');
        const ordersA = single.get(a) ?? 0;
        const ordersB = single.get(b) ?? 0;
        return {
          a: this.product(a),
          b: this.product(b),
          orders,
          support: orders / n,
          confidenceAToB: orders / ordersA,
          confidenceBToA: orders / ordersB,
          lift: (orders * n) / (ordersA * ordersB),
        };
      })
      .sort(
        (x, y) => y.lift - x.lift || y.orders - x.orders || byText(x.a.id, y.a.id) || byText(x.b.id, y.b.id),
      )
      .slice(0, 20);
    return {
      from: this.request.from,
      to: this.request.to,
      customers: new Set(loyal.map((o) => o.customer_id)).size,
      orders: n,
      pairs: scored,
    };
  }

  routes() {
    const orders = this.cohortOrders.filter((o) => o.total >= 3 && o.n <= 3);
    const label = (orderId: string): string => {
      const units = new Map<string, number>();
      for (const line of this.shop.orderProducts.filter((p) => p.order_id === orderId))
        units.set(line.product_id, (units.get(line.product_id) ?? 0) + line.units);
      const [best] = [...units.entries()]
        .map(([id, n]) => ({ id, n, title: this.titles.get(id) ?? '' }))
        .sort((a, b) => b.n - a.n || byText(a.title, b.title) || byText(a.id, b.id));
      return best?.title ?? '(no products)';
    };
    const paths = new Map<string, string[]>();
    for (const o of [...orders].sort((a, b) => a.n - b.n))
      paths.set(o.customer_id, [...(paths.get(o.customer_id) ?? []), label(o.order_id)]);
    const counts = new Map<string, { path: string[]; customers: number }>();
    for (const path of paths.values()) {
      const key = JSON.stringify(path);
      counts.set(key, { path, customers: (counts.get(key)?.customers ?? 0) + 1 });
    }
    const routes = [...counts.values()].map((r) => ({ ...r, share: ratio(r.customers, paths.size) }));
    return {
      from: this.request.from,
      to: this.request.to,
      customers: paths.size,
      mostCommon: [...routes]
        .sort((a, b) => b.customers - a.customers || byPath(a.path, b.path))
        .slice(0, 10),
      rarest: [...routes].sort((a, b) => a.customers - b.customers || byPath(a.path, b.path)).slice(0, 10),
    };
  }

  segmentGrowth() {
    const scope = this.scope(null, this.request.journey);
    const firstOrder = this.shop.orders
      .filter((o) => o.counts && ms(o.placed_at) < this.end && scope.has(o.customer_id))
      .map((o) => ms(o.placed_at));
    const lastDay = dayStart(this.request.to);
    const firstDay =
      this.start ??
      (firstOrder.length > 0
        ? Math.max(dayStart(isoDay(Math.min(...firstOrder))), lastDay - 730 * DAY)
        : null);
    const segments = this.shop.definitions.segments.filter(
      (s) => this.request.segment === null || s.id === this.request.segment,
    );
    return {
      from: this.request.from,
      to: this.request.to,
      segments: segments.map((segment) => {
        const spells = this.spells.filter(
          (s) => s.kind === 'segment' && s.member === segment.id && scope.has(s.customer),
        );
        const days: { date: string; members: number }[] = [];
        for (let day = firstDay ?? lastDay + DAY; day <= lastDay; day += DAY)
          days.push({
            date: isoDay(day),
            members: new Set(spells.filter((s) => this.openAt(s, day + DAY)).map((s) => s.customer)).size,
          });
        return { id: segment.id, name: segment.name, days };
      }),
    };
  }

  cohorts() {
    const orders = this.cohortOrders;
    const { currency, byCurrency } = Reference.money(orders);
    const monthIndex = (time: number) => new Date(time).getUTCFullYear() * 12 + new Date(time).getUTCMonth();
    const lastMonth = monthIndex(dayStart(this.request.to));
    const months = [...new Set(orders.map((o) => isoDay(o.first).slice(0, 7)))].sort();
    return {
      from: this.request.from,
      to: this.request.to,
      currency,
      byCurrency,
      cohorts: months.map((month) => {
        const members = orders.filter((o) => isoDay(o.first).startsWith(month));
        const customers = new Set(members.map((o) => o.customer_id)).size;
        const start = monthIndex(dayStart(`${month}-01`));
        return {
          month,
          customers,
          months: Array.from({ length: lastMonth - start + 1 }, (_, m) => {
            const upTo = members.filter((o) => monthIndex(o.time) - start <= m);
            const revenue = upTo.filter((o) => o.currency === currency).reduce((sum, o) => sum + o.net, 0);
            return {
              m,
              revenuePerCustomer: perUnit(revenue, customers),
              ordersPerCustomer: ratio(upTo.length, customers),
            };
          }),
        };
      }),
    };
  }

  holdouts() {
    const days = this.request.days ?? 30;
    const { journey } = this.request;
    const everyone = new Set(this.shop.customers.map((c) => c.customer_id));
    const scoped = this.scope(this.request.segment, null);
    const orders = this.counted(everyone);
    const definitions = this.shop.definitions.journeys;
    const stages = new Map<
      string,
      {
        journey: string;
        stage: string;
        groups: [HoldoutGroup, HoldoutGroup];
        currencies: Map<string, number>;
      }
    >();
    const empty = (): HoldoutGroup => ({ decisions: 0, converted: 0, orders: 0, revenue: new Map() });
    for (const decision of this.shop.decisions) {
      const at = ms(decision.decided_at);
      if (!this.inWindow(at) || !scoped.has(decision.customer_id)) continue;
      if (journey !== null && decision.journey_id !== journey) continue;
      const key = `${decision.journey_id}\n${decision.stage_id}`;
      const stage = stages.get(key) ?? {
        journey: decision.journey_id,
        stage: decision.stage_id,
        groups: [empty(), empty()],
        currencies: new Map<string, number>(),
      };
      stages.set(key, stage);
      const group = stage.groups[decision.treated ? 0 : 1];
      const after = orders.filter(
        (o) => o.customer_id === decision.customer_id && o.time > at && o.time <= at + days * DAY,
      );
      group.decisions += 1;
      group.converted += after.length > 0 ? 1 : 0;
      group.orders += after.length;
      for (const order of after) {
        group.revenue.set(order.currency, (group.revenue.get(order.currency) ?? 0) + order.net);
        stage.currencies.set(order.currency, (stage.currencies.get(order.currency) ?? 0) + 1);
      }
    }
    const journeyIndex = (id: string) => {
      const index = definitions.findIndex((j) => j.id === id);
      return index < 0 ? Number.POSITIVE_INFINITY : index;
    };
    const position = (journeyId: string, stageId: string) => {
      const index =
        definitions.find((j) => j.id === journeyId)?.stages.findIndex((s) => s.id === stageId) ?? -1;
      return index < 0 ? Number.POSITIVE_INFINITY : index;
    };
    const named = (journeyId: string, stageId: string) => {
      const defined = definitions.find((j) => j.id === journeyId);
      return {
        journey: { id: journeyId, name: defined?.name ?? journeyId },
        stage: { id: stageId, name: defined?.stages.find((s) => s.id === stageId)?.name ?? stageId },
      };
    };
    const filtered = definitions.find((j) => j.id === journey);
    return {
      from: this.request.from,
      to: this.request.to,
      journey: filtered ? { id: filtered.id, name: filtered.name } : null,
      days,
      stages: [...stages.values()]
        .sort(
          (x, y) =>
            journeyIndex(x.journey) - journeyIndex(y.journey) ||
            byText(x.journey, y.journey) ||
            position(x.journey, x.stage) - position(y.journey, y.stage) ||
            byText(x.stage, y.stage),
        )
        .map((s) => ({
          ...named(s.journey, s.stage),
          ...holdoutFigures(s.groups[0], s.groups[1], s.currencies),
        })),
    };
  }

  result(report: ReportName): unknown {
    switch (report) {
      case 'summary':
        return this.summary();
      case 'funnel':
        return this.funnel();
      case 'f2':
        return this.f2();
      case 'segments':
        return this.segments();
      case 'nth-order':
        return this.nthOrder();
      case 'repurchase-intervals':
        return this.repurchaseIntervals();
      case 'second-purchase':
        return this.secondPurchase();
      case 'bought-together':
        return this.boughtTogether();
      case 'routes':
        return this.routes();
      case 'segment-growth':
        return this.segmentGrowth();
      case 'cohorts':
        return this.cohorts();
      case 'holdouts':
        return this.holdouts();
    }
  }
}

/** Figures that are one count over another on both sides: they must agree to the last bit. */
const EXACT = /\.(treatedRate|controlRate)$/;

/** Deep equality where non-integer numbers only need to agree to 9 decimal places (except EXACT ones). */
const expectMatches = (actual: unknown, expected: unknown, path = '$'): void => {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (EXACT.test(path) || (Number.isInteger(expected) && Number.isInteger(actual)))
      expect(actual, path).toBe(expected);
    else expect(actual, path).toBeCloseTo(expected, 9);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    const items = actual as unknown[];
    expect(items.length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, i) => {
      expectMatches(items[i], item, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path} is an object`).toBe(true);
    const fields = actual as Record<string, unknown>;
    expect(Object.keys(fields).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectMatches(fields[key], value, `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
};

const request = (report: ReportName, query: Record<string, string | undefined>): ReportRequest => {
  const parsed = parseReportRequest(report, query, SHOP_DEFINITIONS, TODAY);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
};

// `holdouts` also takes a conversion window.
const QUERIES: { name: string; query: (report: ReportName) => Record<string, string | undefined> }[] = [
  { name: 'default parameters', query: () => ({}) },
  {
    name: 'a window, a segment and a journey',
    query: (report) => ({
      from: '2024-03-01',
      to: '2025-02-14',
      segment: 'vip',
      journey: 'welcome',
      product: report === 'second-purchase' ? 'p01' : undefined,
      days: report === 'holdouts' ? '45' : undefined,
    }),
  },
  {
    name: 'an end date and the other segment and journey',
    query: (report) => ({
      to: '2024-12-31',
      segment: report === 'segment-growth' ? undefined : 'lapsed',
      journey: 'winback',
      product: report === 'second-purchase' ? 'p02' : undefined,
      days: report === 'holdouts' ? '7' : undefined,
    }),
  },
];

/** A snapshot of `shop` in a directory of its own and an engine over it, for the enclosing describe's tests. */
const useSnapshot = (shop: AnalyticsShop, name: string) => {
  let dir = '';
  let engine: AnalyticsEngine | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${name}-`));
    await writeSnapshot(join(dir, 'snapshot'), snapshotOf(shop));
    engine = await AnalyticsEngine.open(join(dir, 'snapshot'));
  });
  afterAll(async () => {
    engine?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get engine() {
      if (!engine) throw new Error('the engine has not opened');
      return engine;
    },
  };
};

describe('analytics reports over a synthetic shop', () => {
  const shop = analyticsShop();
  const stored = useSnapshot(shop, 'analytics');

  it('has the mess real shops have', () => {
    // Arrange
    const counted = shop.orders.filter((o) => o.counts);

    // Act
    const currencies = new Set(counted.map((o) => o.currency));
    const refunded = shop.orders.filter((o) => !o.cancelled && !o.test && o.net < o.gross);

    // Assess
    expect(shop.customers.length).toBeGreaterThan(300);
    expect(shop.orders.length).toBeGreaterThan(700);
    expect(currencies).toEqual(new Set(['JPY', 'USD']));
    expect(shop.orders.some((o) => o.cancelled)).toBe(true);
    expect(shop.orders.some((o) => o.test)).toBe(true);
    expect(refunded.some((o) => o.net === 0)).toBe(true);
    expect(refunded.some((o) => o.net > 0 && o.units > 0)).toBe(true);
    expect(counted.some((o) => o.units === 0)).toBe(true);
    expect(shop.customers.some((c) => !c.has_email)).toBe(true);
    expect(shop.customers.some((c) => !shop.orders.some((o) => o.customer_id === c.customer_id))).toBe(true);
    expect(shop.memberships.some((m) => ms(m.entered_at) === 0)).toBe(true);
  });

  it('writes the snapshot files and their row counts', async () => {
    // Arrange
    const snapshot = join(stored.dir, 'snapshot');

    // Act
    const files = await readdir(snapshot);
    const info = JSON.parse(await readFile(join(snapshot, 'snapshot.json'), 'utf8'));

    // Assess
    expect(files.sort()).toEqual([
      'customers.parquet',
      'decisions.parquet',
      'definitions.json',
      'memberships.parquet',
      'order_products.parquet',
      'orders.parquet',
      'snapshot.json',
    ]);
    expect(info).toEqual({
      shop: 'bakery-demo.myshopify.com',
      refreshedAt: '2025-07-01T00:00:00.000Z',
      counts: {
        customers: shop.customers.length,
        orders: shop.orders.length,
        orderProducts: shop.orderProducts.length,
        memberships: shop.memberships.length,
        decisions: shop.decisions.length,
      },
    });
    expect(stored.engine.definitions).toEqual(SHOP_DEFINITIONS);
  });

  describe.each(QUERIES)('with $name', ({ query }) => {
    it.each(REPORTS)('%s matches an independent computation', async (report) => {
      // Arrange
      const req = request(report, query(report));

      // Act
      const actual = await stored.engine.run(req);

      // Assess
      expectMatches(actual, new Reference(shop, req).result(report));
    });
  });

  it('finds something to compare in every report', async () => {
    // Arrange
    const req = (report: ReportName) => request(report, {});

    // Act
    const summary = await stored.engine.run({ ...req('summary'), report: 'summary' });
    const funnel = await stored.engine.run({ ...req('funnel'), report: 'funnel' });
    const intervals = await stored.engine.run({
      ...req('repurchase-intervals'),
      report: 'repurchase-intervals',
    });
    const together = await stored.engine.run({ ...req('bought-together'), report: 'bought-together' });
    const routes = await stored.engine.run({ ...req('routes'), report: 'routes' });
    const holdouts = await stored.engine.run({ ...req('holdouts'), report: 'holdouts' });
    const holdoutsInAWeek = await stored.engine.run({ ...req('holdouts'), report: 'holdouts', days: 7 });

    // Assess
    expect(summary.byCurrency.map((c) => c.currency)).toEqual(['JPY', 'USD']);
    expect(summary.repeaters).toBeGreaterThan(0);
    expect(funnel.bottleneck).not.toBeNull();
    expect(funnel.overTime.length).toBe(104);
    expect(intervals.transitions[0]?.curve.length).toBeGreaterThan(10);
    expect(intervals.transitions[0]?.censored).toBeGreaterThan(0);
    expect(together.pairs.length).toBeGreaterThan(0);
    expect(routes.rarest.length).toBe(10);
    const stage = (id: string, result = holdouts) => result.stages.find((s) => s.stage.id === id);
    expect(holdouts.stages.map((s) => `${s.journey.id}/${s.stage.id}`)).toEqual([
      'welcome/new',
      'welcome/second',
      'welcome/legacy',
      'winback/lapsing',
      'winback/reminded',
      'vip-club/invited',
    ]);
    expect(stage('new')).toMatchObject({ enoughData: true, sampleNeeded: 0 });
    expect(stage('new')?.pValue).toBeLessThan(0.001);
    expect(stage('second')).toMatchObject({ enoughData: false });
    expect(stage('second')?.sampleNeeded).toBeGreaterThan(0);
    expect(stage('reminded')).toMatchObject({ control: 0, controlRate: null, lift: null, pValue: null });
    expect(stage('new')?.byCurrency.map((c) => c.currency)).toEqual(['JPY', 'USD']);
    expect(stage('new', holdoutsInAWeek)?.treatedConverted).toBeLessThan(stage('new')?.treatedConverted ?? 0);
  });

  it('answers requests one at a time when they arrive together', async () => {
    // Arrange
    const requests = REPORTS.map((report) => request(report, {}));

    // Act
    const results = await Promise.all(requests.map((r) => stored.engine.run(r)));

    // Assess
    results.forEach((result, i) => {
      const req = requests[i];
      if (req) expectMatches(result, new Reference(shop, req).result(req.report));
    });
  });
});

describe('analytics reports over an empty shop', () => {
  let dir = '';
  const engines: AnalyticsEngine[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-empty-'));
  });
  afterAll(async () => {
    for (const engine of engines) engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  const emptyShop = (definitions: AnalyticsShop['definitions']): AnalyticsShop => ({
    definitions,
    customers: [],
    orders: [],
    orderProducts: [],
    memberships: [],
    decisions: [],
  });

  it.each([
    { name: 'no definitions', definitions: { journeys: [], segments: [] } },
    { name: 'journeys and segments', definitions: SHOP_DEFINITIONS },
  ])('gives empty results, not errors, with $name', async ({ name, definitions }) => {
    // Arrange
    const shop = emptyShop(definitions);
    await writeSnapshot(join(dir, name), snapshotOf(shop));
    const engine = await AnalyticsEngine.open(join(dir, name));
    engines.push(engine);

    // Act
    const results = await Promise.all(
      REPORTS.map(async (report) => {
        const parsed = parseReportRequest(report, {}, definitions, TODAY);
        if (!parsed.ok) throw new Error(parsed.message);
        return { report, request: parsed.request, result: await engine.run(parsed.request) };
      }),
    );

    // Assess
    for (const { report, request, result } of results)
      expectMatches(result, new Reference(shop, request).result(report));
    const summary = results.find((r) => r.report === 'summary')?.result;
    expect(summary).toMatchObject({ customers: 0, orders: 0, revenue: 0, currency: null, byCurrency: [] });
  });
});

/**
 * A shop built by hand around the edges of the holdouts report, every figure known in advance.
 * welcome/new: h01 (treated) orders exactly 30 days after; h02 (treated) at the decision's own
 * instant and 30 days + 1 ms after; h03 (treated) only a cancelled and a test order; h04 (control)
 * orders in dollars; h05 (control) never; h06 (treated) twice, in yen and dollars; h07 (control)
 * 40 days after; h08 (treated) is decided 1 ms before March, h09 (control) 1 ms before April and
 * h10 (treated) at April's first instant; a customer missing from the customers table is decided
 * too. winback/lapsing: h11 (treated, no control group). welcome/second: 60 treated of whom 45
 * order and 60 controls of whom 15 do.
 */
const holdoutClinic = (): AnalyticsShop => {
  const decidedAt = Date.parse('2025-03-01T12:00:00.000Z');
  const shop = emptyAnalyticsShop();
  const customer = (id: string) =>
    shop.customers.push({ customer_id: id, has_email: true, email_state: 'subscribed', country: 'JP' });
  const order = (
    id: string,
    at: number,
    currency: string,
    net: number,
    flags: { cancelled?: boolean; test?: boolean } = {},
  ) => {
    const cancelled = flags.cancelled ?? false;
    const test = flags.test ?? false;
    shop.orders.push({
      order_id: `o-${id}-${shop.orders.length}`,
      customer_id: id,
      placed_at: new Date(at).toISOString(),
      cancelled,
      test,
      currency,
      gross: net,
      net,
      units: 1,
      counts: !cancelled && !test,
    });
  };
  const decide = (id: string, journey: string, stage: string, at: number, treated: boolean) =>
    shop.decisions.push({
      customer_id: id,
      journey_id: journey,
      stage_id: stage,
      entry_id: 3,
      decided_at: new Date(at).toISOString(),
      treated,
    });
  const welcomed = (id: string, treated: boolean, at = decidedAt) => {
    customer(id);
    decide(id, 'welcome', 'new', at, treated);
  };
  welcomed('h01', true);
  order('h01', decidedAt + 30 * DAY, 'JPY', 1000);
  welcomed('h02', true);
  order('h02', decidedAt, 'JPY', 500);
  order('h02', decidedAt + 30 * DAY + 1, 'JPY', 700);
  welcomed('h03', true);
  order('h03', decidedAt + DAY, 'JPY', 900, { cancelled: true });
  order('h03', decidedAt + 2 * DAY, 'JPY', 900, { test: true });
  welcomed('h04', false);
  order('h04', decidedAt + 5 * DAY, 'USD', 2500);
  welcomed('h05', false);
  welcomed('h06', true);
  order('h06', decidedAt + DAY, 'JPY', 1000);
  order('h06', decidedAt + 10 * DAY, 'USD', 1200);
  welcomed('h07', false);
  order('h07', decidedAt + 40 * DAY, 'JPY', 3000);
  welcomed('h08', true, Date.parse('2025-02-28T23:59:59.999Z'));
  order('h08', Date.parse('2025-03-01T23:59:59.999Z'), 'JPY', 400);
  welcomed('h09', false, Date.parse('2025-03-31T23:59:59.999Z'));
  order('h09', Date.parse('2025-04-02T00:00:00.000Z'), 'JPY', 800);
  welcomed('h10', true, Date.parse('2025-04-01T00:00:00.000Z'));
  decide('ghost', 'welcome', 'new', decidedAt, true);
  customer('h11');
  decide('h11', 'winback', 'lapsing', decidedAt, true);
  order('h11', decidedAt + 3 * DAY, 'JPY', 600);
  for (let i = 0; i < 120; i += 1) {
    const id = `b${String(i).padStart(3, '0')}`;
    customer(id);
    decide(id, 'welcome', 'second', decidedAt, i < 60);
    if (i < 45 || (i >= 60 && i < 75)) order(id, decidedAt + 2 * DAY, 'JPY', 1000);
  }
  return shop;
};

describe('holdouts over a shop built around its edges', () => {
  const shop = holdoutClinic();
  const stored = useSnapshot(shop, 'analytics-holdouts');

  const holdouts = async (query: Record<string, string> = {}) => {
    const req = request('holdouts', query);
    const result = await stored.engine.run({ ...req, report: 'holdouts' });
    expectMatches(result, new Reference(shop, req).holdouts());
    return result;
  };
  const stageOf = (result: Awaited<ReturnType<typeof holdouts>>, id: string) =>
    result.stages.find((s) => s.stage.id === id);

  it('counts an order exactly `days` after the decision, not one at its instant, after the edge, cancelled or a test', async () => {
    // Arrange
    const query = {};

    // Act
    const result = await holdouts(query);

    // Assess
    expect(result.stages.map((s) => `${s.journey.id}/${s.stage.id}`)).toEqual([
      'welcome/new',
      'welcome/second',
      'winback/lapsing',
    ]);
    expect(stageOf(result, 'new')).toMatchObject({
      journey: { id: 'welcome', name: 'Welcome' },
      stage: { id: 'new', name: 'New' },
      treated: 6,
      control: 4,
      // h01 (the edge), h06 and h08; not h02, h03 or h10.
      treatedConverted: 3,
      // h04 and h09; not h05 or h07 (40 days).
      controlConverted: 2,
      treatedRate: 0.5,
      controlRate: 0.5,
      lift: 0,
      relativeLift: 0,
      pValue: 1,
      treatedOrders: 4,
      controlOrders: 2,
    });
  });

  it('gives incremental revenue per currency, never converted: yen and dollars apart', async () => {
    // Arrange
    const query = {};

    // Act
    const stage = stageOf(await holdouts(query), 'new');

    // Assess
    expect(stage?.incrementalOrders).toBeCloseTo((4 / 6 - 2 / 4) * 6, 12);
    expect(stage?.byCurrency).toEqual([
      // (2400 / 6 − 800 / 4) × 6 and (1200 / 6 − 2500 / 4) × 6.
      { currency: 'JPY', orders: 4, treatedRevenue: 2400, controlRevenue: 800, incrementalRevenue: 1200 },
      { currency: 'USD', orders: 2, treatedRevenue: 1200, controlRevenue: 2500, incrementalRevenue: -2550 },
    ]);
  });

  it('says a stage with too few decisions needs more, planned for a 5-point difference when there is none', async () => {
    // Arrange
    const query = {};

    // Act
    const stage = stageOf(await holdouts(query), 'new');

    // Assess
    // No difference observed: 47.5 % against 52.5 % around the pooled 50 %:
    // 7.848878512225 × (0.525 × 0.475 + 0.475 × 0.525) / 0.05² = 1565.85 → 1566 per group.
    expect(stage).toMatchObject({ enoughData: false, sampleNeeded: 1566 - 4 });
    const se = Math.sqrt(0.25 / 6 + 0.25 / 4);
    expect(stage?.ci95?.[0]).toBeCloseTo(-1.959964 * se, 12);
    expect(stage?.ci95?.[1]).toBeCloseTo(1.959964 * se, 12);
  });

  it('finds a stage with enough data and a real difference, with its interval and p-value', async () => {
    // Arrange
    const query = {};

    // Act
    const stage = stageOf(await holdouts(query), 'second');

    // Assess
    expect(stage).toMatchObject({
      treated: 60,
      control: 60,
      treatedConverted: 45,
      controlConverted: 15,
      treatedRate: 0.75,
      controlRate: 0.25,
      lift: 0.5,
      relativeLift: 2,
      incrementalOrders: 30,
      byCurrency: [
        {
          currency: 'JPY',
          orders: 60,
          treatedRevenue: 45000,
          controlRevenue: 15000,
          incrementalRevenue: 30000,
        },
      ],
      // 7.848878512225 × (0.1875 + 0.1875) / 0.25 = 11.8 per group, and at least 30.
      enoughData: true,
      sampleNeeded: 0,
    });
    // z = 0.5 / √(0.5 × 0.5 × 2 / 60) = 5.4772; p = 2 Φ(−5.4772) = 4.32e-8.
    expect(stage?.pValue).toBeCloseTo(4.3205e-8, 11);
    expect(stage?.ci95?.[0]).toBeCloseTo(0.5 - 1.959964 * Math.sqrt((2 * 0.1875) / 60), 12);
    expect(stage?.ci95?.[1]).toBeCloseTo(0.5 + 1.959964 * Math.sqrt((2 * 0.1875) / 60), 12);
  });

  it.each([
    // h01's order falls out; h02's and h07's 30-days-and-more come in.
    { days: '29', treatedConverted: 2, controlConverted: 2 },
    { days: '45', treatedConverted: 4, controlConverted: 3 },
  ])('counts conversions within $days days', async ({ days, treatedConverted, controlConverted }) => {
    // Arrange
    const query = { days };

    // Act
    const result = await holdouts(query);

    // Assess
    expect(result.days).toBe(Number(days));
    expect(stageOf(result, 'new')).toMatchObject({ treatedConverted, controlConverted });
  });

  it('takes decisions made in the window, and only orders placed by the end of `to`', async () => {
    // Arrange
    const query = { from: '2025-03-01', to: '2025-03-31' };

    // Act
    const result = await holdouts(query);

    // Assess
    // h08 (1 ms before March) and h10 (April) are out, h09 (1 ms before April) in — but its
    // order, in April, is after the end of `to`.
    expect(stageOf(result, 'new')).toMatchObject({
      treated: 4,
      control: 4,
      treatedConverted: 2,
      controlConverted: 1,
      treatedRate: 0.5,
      controlRate: 0.25,
    });
  });

  it('keeps one journey’s stages; a stage without a control group has no comparison', async () => {
    // Arrange
    const query = { journey: 'winback' };

    // Act
    const result = await holdouts(query);

    // Assess
    expect(result.journey).toEqual({ id: 'winback', name: 'Win back' });
    expect(result.stages).toEqual([
      {
        journey: { id: 'winback', name: 'Win back' },
        stage: { id: 'lapsing', name: 'Lapsing' },
        treated: 1,
        control: 0,
        treatedConverted: 1,
        controlConverted: 0,
        treatedRate: 1,
        controlRate: null,
        lift: null,
        relativeLift: null,
        ci95: null,
        pValue: null,
        treatedOrders: 1,
        controlOrders: 0,
        incrementalOrders: null,
        byCurrency: [
          { currency: 'JPY', orders: 1, treatedRevenue: 600, controlRevenue: 0, incrementalRevenue: null },
        ],
        // Planned for 95 % against 100 % around the pooled 100 %: 7.848878512225 × 0.0475 / 0.0025 = 149.1.
        enoughData: false,
        sampleNeeded: 150,
      },
    ]);
  });

  it('computes the normal distribution function in SQL to within 1e-13 of an independent series', async () => {
    // Arrange
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('SET VARIABLE snapshot_dir = $dir', { dir: join(stored.dir, 'snapshot') });
    await connection.run(
      await readFile(new URL('../../functions/analytics/reports/_setup.sql', import.meta.url), 'utf8'),
    );

    // Act
    const reader = await connection.runAndReadAll(
      'SELECT z, normal_cdf(z) AS p FROM (SELECT range / 100.0 AS z FROM range(-1000, 1001))',
    );
    const tails = await connection.runAndReadAll(
      'SELECT normal_cdf(-3) AS three, normal_cdf(-5) AS five, normal_cdf(-10) AS ten, normal_cdf(40) AS far',
    );
    connection.closeSync();
    instance.closeSync();

    // Assess
    const rows = reader.getRowObjectsJS() as { z: number; p: number }[];
    expect(rows).toHaveLength(2001);
    for (const { z, p } of rows) expect(Math.abs(p - normalCdf(z)), `Φ(${z})`).toBeLessThan(1e-13);
    // Published values (the series cannot check the far tail's relative precision).
    const [tail] = tails.getRowObjectsJS() as Record<string, number>[];
    expect((tail?.three ?? 0) / 1.3498980316300946e-3).toBeCloseTo(1, 12);
    expect((tail?.five ?? 0) / 2.866515718791939e-7).toBeCloseTo(1, 12);
    expect((tail?.ten ?? 0) / 7.619853024160525e-24).toBeCloseTo(1, 12);
    expect(tail?.far).toBe(1);
  });

  it('reads a snapshot without a decisions file, as one written before the table existed, as no decisions', async () => {
    // Arrange
    const target = join(stored.dir, 'before-decisions');
    await writeSnapshot(target, snapshotOf({ ...shop, decisions: [] }));
    const old = await AnalyticsEngine.open(target);

    // Act
    const files = await readdir(target);
    const result = await old.run({ ...request('holdouts', {}), report: 'holdouts' });
    const summary = await old.run({ ...request('summary', {}), report: 'summary' });
    old.close();

    // Assess
    expect(files).not.toContain('decisions.parquet');
    expect(result).toEqual({ from: null, to: TODAY, journey: null, days: 30, stages: [] });
    expect(summary.orders).toBe(shop.orders.filter((o) => o.counts).length);
  });
});

describe('writeSnapshot', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-write-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('streams rows from an async iterable and replaces the previous snapshot', async () => {
    // Arrange
    const shop = analyticsShop(7, 40);
    const target = join(dir, 'snapshot');
    await writeSnapshot(target, snapshotOf(analyticsShop(8, 10)));
    async function* streamed() {
      for (const order of shop.orders) yield order;
    }

    // Act
    const info = await writeSnapshot(target, { ...snapshotOf(shop), orders: streamed() });

    // Assess
    expect(info.counts.orders).toBe(shop.orders.length);
    expect((await readdir(dir)).sort()).toEqual(['snapshot']);
    const engine = await AnalyticsEngine.open(target);
    const req = request('summary', {});
    const summary = await engine.run(req);
    engine.close();
    expectMatches(summary, new Reference(shop, req).summary());
  });

  it('writes the same snapshot from one bundle of rows per customer', async () => {
    // Arrange
    const shop = analyticsShop(11, 60);
    const target = join(dir, 'bundled');
    async function* bundles() {
      for (const customer of shop.customers) {
        const mine = <T extends { customer_id: string }>(rows: readonly T[]) =>
          rows.filter((row) => row.customer_id === customer.customer_id);
        yield {
          customer,
          orders: mine(shop.orders),
          products: mine(shop.orderProducts),
          memberships: mine(shop.memberships),
          decisions: mine(shop.decisions),
        };
      }
    }

    // Act
    const info = await writeCustomerSnapshot(target, { ...snapshotOf(shop), customers: bundles() });

    // Assess
    expect(info.counts).toEqual({
      customers: shop.customers.length,
      orders: shop.orders.length,
      orderProducts: shop.orderProducts.length,
      memberships: shop.memberships.length,
      decisions: shop.decisions.length,
    });
    const engine = await AnalyticsEngine.open(target);
    for (const report of REPORTS) {
      const req = request(report, {});
      expectMatches(await engine.run(req), new Reference(shop, req).result(report));
    }
    engine.close();
  });

  it.each([
    {
      name: 'an order whose counts flag disagrees with its state',
      broken: (shop: AnalyticsShop): Partial<Snapshot> => ({
        orders: shop.orders.map((o, i) => (i === 3 ? { ...o, counts: !o.counts } : o)),
      }),
      message: 'orders row 3: counts must be',
    },
    {
      name: 'an order without a time',
      broken: (shop: AnalyticsShop): Partial<Snapshot> => ({
        orders: shop.orders.map((o, i) => (i === 1 ? { ...o, placed_at: 'yesterday' } : o)),
      }),
      message: 'orders row 1: placed_at must be an ISO 8601 instant',
    },
    {
      name: 'a product listed twice in one order',
      broken: (shop: AnalyticsShop): Partial<Snapshot> => ({
        orderProducts: [...shop.orderProducts, ...shop.orderProducts.slice(0, 1)],
      }),
      message: 'orderProducts: more than one row for',
    },
  ])('rejects $name and keeps the previous snapshot', async ({ broken, message }) => {
    // Arrange
    const target = join(dir, 'kept');
    const shop = analyticsShop(9, 10);
    await writeSnapshot(target, snapshotOf(shop));

    // Act
    const writing = writeSnapshot(target, { ...snapshotOf(shop, 'later'), ...broken(shop) });

    // Assess
    await expect(writing).rejects.toThrow(SnapshotError);
    await expect(writing).rejects.toThrow(message);
    const info = JSON.parse(await readFile(join(target, 'snapshot.json'), 'utf8'));
    expect(info.refreshedAt).toBe('2025-07-01T00:00:00.000Z');
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('parseReportRequest', () => {
  it.each([
    { name: 'bakery', query: {}, message: 'unknown report "bakery"; known reports: summary, funnel' },
    { name: 'summary', query: { from: '2025-13-01' }, message: 'from: is not a calendar date' },
    { name: 'summary', query: { to: '2025-02-30' }, message: 'to: is not a calendar date' },
    { name: 'summary', query: { to: '15/01/2025' }, message: 'to: must be a date written YYYY-MM-DD' },
    {
      name: 'summary',
      query: { from: '2025-03-01', to: '2025-02-01' },
      message: 'from (2025-03-01) is after to (2025-02-01)',
    },
    {
      name: 'f2',
      query: { segment: 'whales' },
      message: 'unknown segment "whales"; known segments: vip, lapsed',
    },
    {
      name: 'funnel',
      query: { journey: 'onboarding' },
      message: 'unknown journey "onboarding"; known journeys: welcome, winback',
    },
    {
      name: 'summary',
      query: { product: 'p01' },
      message: 'unknown parameter "product"; summary takes from, to, segment, journey',
    },
    { name: 'cohorts', query: { since: '2025-01-01' }, message: 'unknown parameter "since"' },
    {
      name: 'holdouts',
      query: { product: 'p01' },
      message: 'unknown parameter "product"; holdouts takes from, to, segment, journey, days',
    },
    { name: 'f2', query: { days: '30' }, message: 'unknown parameter "days"' },
    ...['0', '366', '-5', '1.5', 'thirty', '1000'].map((days) => ({
      name: 'holdouts',
      query: { days },
      message: `days: must be a whole number of days from 1 to 365 (got "${days}")`,
    })),
    {
      name: 'holdouts',
      query: { journey: 'vip-club' },
      message: 'unknown journey "vip-club"; known journeys: welcome, winback',
    },
  ])('rejects $name with $query', ({ name, query, message }) => {
    // Arrange
    const definitions = SHOP_DEFINITIONS;

    // Act
    const parsed = parseReportRequest(name, query, definitions, TODAY);

    // Assess
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toContain(message);
  });

  it.each([
    {
      name: 'summary',
      query: {},
      request: {
        report: 'summary',
        from: null,
        to: TODAY,
        segment: null,
        journey: null,
        product: null,
        days: null,
      },
    },
    {
      name: 'funnel',
      query: { segment: '' },
      request: {
        report: 'funnel',
        from: null,
        to: TODAY,
        segment: null,
        journey: 'welcome',
        product: null,
        days: null,
      },
    },
    {
      name: 'second-purchase',
      query: { from: '2024-01-01', to: '2024-12-31', segment: 'vip', journey: 'winback', product: 'p01' },
      request: {
        report: 'second-purchase',
        from: '2024-01-01',
        to: '2024-12-31',
        segment: 'vip',
        journey: 'winback',
        product: 'p01',
        days: null,
      },
    },
    {
      name: 'holdouts',
      query: {},
      request: {
        report: 'holdouts',
        from: null,
        to: TODAY,
        segment: null,
        journey: null,
        product: null,
        days: 30,
      },
    },
    {
      name: 'holdouts',
      query: { from: '2025-03-01', journey: 'welcome', days: '365' },
      request: {
        report: 'holdouts',
        from: '2025-03-01',
        to: TODAY,
        segment: null,
        journey: 'welcome',
        product: null,
        days: 365,
      },
    },
  ])('reads $name with $query, filling in defaults', ({ name, query, request }) => {
    // Arrange
    const definitions = SHOP_DEFINITIONS;

    // Act
    const parsed = parseReportRequest(name, query, definitions, TODAY);

    // Assess
    expect(parsed).toEqual({ ok: true, request });
  });

  it('has no default journey for a funnel when none is defined', () => {
    // Arrange
    const definitions = { journeys: [], segments: [] };

    // Act
    const parsed = parseReportRequest('funnel', {}, definitions, TODAY);

    // Assess
    expect(parsed).toEqual({
      ok: true,
      request: {
        report: 'funnel',
        from: null,
        to: TODAY,
        segment: null,
        journey: null,
        product: null,
        days: null,
      },
    });
  });
});
