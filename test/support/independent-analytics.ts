import { z } from 'zod';

/**
 * The analytics figures of docs/analytics.md computed a second time, in plain TypeScript, straight
 * from what Shopify sent: a Bulk Operation's JSONL (GraphQL field names) and webhook payloads (REST
 * field names). Nothing here comes from `functions/`: the orders are parsed by the readers below
 * and the figures follow the document, so a report that agrees with these agrees with the
 * definition, not with a shared piece of code.
 */

const DAY = 86_400_000;

/** Digits after the decimal point of a currency's minor unit (ISO 4217); 2 unless listed. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0 };

/** A decimal amount ("480.0", "4.80") in integer minor units of its currency. */
export const minorUnits = (amount: string, currency: string): number => {
  const digits = MINOR_DIGITS[currency.toUpperCase()] ?? 2;
  return Math.round(Number(amount) * 10 ** digits);
};

/** The numeric id at the end of a GID (`gid://shopify/Order/123` → `123`). */
const idOf = (gid: string): string => gid.slice(gid.lastIndexOf('/') + 1);

type Refund = {
  id: string;
  /** Successful refund transactions: amount as written and currency (null: the order's). */
  paid: { amount: string; currency: string | null }[];
  lines: { productId: string | null; quantity: number }[];
};

/** An order as Shopify last described it: the newest version, with every refund known so far. */
export type PlainOrder = {
  id: string;
  customer: string | null;
  placedAt: number;
  updatedAt: number;
  cancelled: boolean;
  test: boolean;
  currency: string;
  /** The order's total before refunds, minor units. */
  total: number;
  lines: { productId: string | null; title: string; quantity: number }[];
};

/** One order as analytics sees it: money and units after refunds, and whether any figure counts it. */
export type OrderFigures = {
  id: string;
  customer: string;
  placedAt: number;
  cancelled: boolean;
  test: boolean;
  currency: string;
  gross: number;
  net: number;
  /** Net units per product id (only those with units left). */
  products: Map<string, number>;
  units: number;
  counts: boolean;
};

// --- Readers of what Shopify sends -------------------------------------------------------------

const GraphMoney = z.object({ shopMoney: z.object({ amount: z.string(), currencyCode: z.string() }) });
const edgesOf = <T extends z.ZodType>(node: T) =>
  z
    .object({ edges: z.array(z.object({ node })) })
    .transform((c): z.output<T>[] => c.edges.map((edge) => (edge as { node: z.output<T> }).node));

const BulkLine = z.object({
  id: z.string(),
  __parentId: z.string(),
  title: z.string(),
  quantity: z.number(),
  product: z.object({ id: z.string() }).nullish(),
});
const BulkOrder = z.object({
  id: z.string().startsWith('gid://shopify/Order/'),
  createdAt: z.string(),
  updatedAt: z.string(),
  processedAt: z.string().nullish(),
  cancelledAt: z.string().nullish(),
  test: z.boolean().nullish(),
  totalPriceSet: GraphMoney,
  customer: z.object({ id: z.string() }).nullish(),
  refunds: z.array(
    z.object({
      id: z.string(),
      refundLineItems: edgesOf(
        z.object({
          quantity: z.number(),
          lineItem: z.object({ product: z.object({ id: z.string() }).nullish() }),
        }),
      ),
      transactions: edgesOf(
        z.object({ kind: z.string(), status: z.string().nullish(), amountSet: GraphMoney }),
      ),
    }),
  ),
});
const BulkCustomer = z.object({ id: z.string().startsWith('gid://shopify/Customer/') });

const RestRefund = z.object({
  id: z.number(),
  refund_line_items: z.array(
    z.object({ quantity: z.number(), line_item: z.object({ product_id: z.number().nullish() }) }),
  ),
  transactions: z.array(
    z.object({
      kind: z.string(),
      status: z.string().nullish(),
      amount: z.string(),
      currency: z.string().nullish(),
    }),
  ),
});
const RestOrder = z.object({
  id: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  processed_at: z.string().nullish(),
  cancelled_at: z.string().nullish(),
  test: z.boolean().nullish(),
  currency: z.string(),
  total_price: z.string(),
  customer: z.object({ id: z.number() }).nullish(),
  line_items: z.array(
    z.object({ product_id: z.number().nullish(), title: z.string(), quantity: z.number() }),
  ),
  refunds: z.array(RestRefund),
});
const RestRefundWebhook = RestRefund.extend({ order_id: z.number() });

const isSuccessfulRefund = (kind: string, status: string | null | undefined) =>
  kind.toLowerCase() === 'refund' && (status ?? 'success').toLowerCase() === 'success';

const restRefund = (refund: z.infer<typeof RestRefund>): Refund => ({
  id: String(refund.id),
  paid: refund.transactions
    .filter((t) => isSuccessfulRefund(t.kind, t.status))
    .map((t) => ({ amount: t.amount, currency: t.currency ?? null })),
  lines: refund.refund_line_items.map((r) => ({
    productId: r.line_item.product_id == null ? null : String(r.line_item.product_id),
    quantity: r.quantity,
  })),
});

/**
 * A shop as Shopify told it: customers, each order's newest version (Shopify's `updated_at`; an
 * equal one is a replay) and every refund by id, whether listed on an order or sent on its own.
 */
export class PlainShop {
  readonly customers = new Set<string>();
  private readonly orders = new Map<string, PlainOrder>();
  private readonly refunds = new Map<string, Map<string, Refund>>();

  /** A Bulk Operation's JSONL: customer lines, order lines, and line items after their order (`__parentId`). */
  addBulkJsonl(jsonl: string): this {
    const lines = jsonl
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const items = new Map<string, z.infer<typeof BulkLine>[]>();
    for (const line of lines) {
      if (!('__parentId' in line)) continue;
      const item = BulkLine.parse(line);
      items.set(item.__parentId, [...(items.get(item.__parentId) ?? []), item]);
    }
    for (const line of lines) {
      if ('__parentId' in line) continue;
      const customer = BulkCustomer.safeParse(line);
      if (customer.success) {
        this.customers.add(idOf(customer.data.id));
        continue;
      }
      const order = BulkOrder.parse(line);
      const currency = order.totalPriceSet.shopMoney.currencyCode.toUpperCase();
      this.addVersion(
        {
          id: idOf(order.id),
          customer: order.customer ? idOf(order.customer.id) : null,
          placedAt: Date.parse(order.processedAt ?? order.createdAt),
          updatedAt: Date.parse(order.updatedAt),
          cancelled: order.cancelledAt != null,
          test: order.test === true,
          currency,
          total: minorUnits(order.totalPriceSet.shopMoney.amount, currency),
          lines: (items.get(order.id) ?? []).map((item) => ({
            productId: item.product ? idOf(item.product.id) : null,
            title: item.title,
            quantity: item.quantity,
          })),
        },
        order.refunds.map((refund) => ({
          id: idOf(refund.id),
          paid: refund.transactions
            .filter((t) => isSuccessfulRefund(t.kind, t.status))
            .map((t) => ({
              amount: t.amountSet.shopMoney.amount,
              currency: t.amountSet.shopMoney.currencyCode,
            })),
          lines: refund.refundLineItems.map((r) => ({
            productId: r.lineItem.product ? idOf(r.lineItem.product.id) : null,
            quantity: r.quantity,
          })),
        })),
      );
    }
    return this;
  }

  /** One webhook as delivered: `orders/*` bring an order version, `refunds/create` a refund. */
  addWebhook(topic: string, payload: unknown): this {
    if (topic === 'refunds/create') {
      const refund = RestRefundWebhook.parse(payload);
      this.addRefunds(String(refund.order_id), [restRefund(refund)]);
      return this;
    }
    if (!topic.startsWith('orders/')) return this;
    const order = RestOrder.parse(payload);
    const currency = order.currency.toUpperCase();
    this.addVersion(
      {
        id: String(order.id),
        customer: order.customer ? String(order.customer.id) : null,
        placedAt: Date.parse(order.processed_at ?? order.created_at),
        updatedAt: Date.parse(order.updated_at),
        cancelled: order.cancelled_at != null,
        test: order.test === true,
        currency,
        total: minorUnits(order.total_price, currency),
        lines: order.line_items.map((line) => ({
          productId: line.product_id == null ? null : String(line.product_id),
          title: line.title,
          quantity: line.quantity,
        })),
      },
      order.refunds.map(restRefund),
    );
    return this;
  }

  private addVersion(order: PlainOrder, refunds: Refund[]): void {
    const stored = this.orders.get(order.id);
    if (!stored || order.updatedAt > stored.updatedAt) this.orders.set(order.id, order);
    if (order.customer !== null) this.customers.add(order.customer);
    this.addRefunds(order.id, refunds);
  }

  private addRefunds(orderId: string, refunds: Refund[]): void {
    const known = this.refunds.get(orderId) ?? new Map<string, Refund>();
    for (const refund of refunds) known.set(refund.id, refund);
    this.refunds.set(orderId, known);
  }

  /** The order of this id as it stands now (before refunds). */
  order(id: string): PlainOrder | undefined {
    return this.orders.get(id);
  }

  /** Every order of a customer (guests' orders belong to nobody and are in no report) with its figures now. */
  figures(): OrderFigures[] {
    return [...this.orders.values()].flatMap((order) => {
      if (order.customer === null) return [];
      const refunds = [...(this.refunds.get(order.id)?.values() ?? [])];
      // Money comes back in the order's currency; a refund paid in another one returns no money of this order.
      const refunded = refunds
        .flatMap((refund) => refund.paid)
        .filter((paid) => (paid.currency ?? order.currency).toUpperCase() === order.currency)
        .reduce((sum, paid) => sum + minorUnits(paid.amount, order.currency), 0);
      const units = new Map<string, number>();
      for (const line of order.lines)
        if (line.productId !== null)
          units.set(line.productId, (units.get(line.productId) ?? 0) + line.quantity);
      for (const line of refunds.flatMap((refund) => refund.lines))
        if (line.productId !== null)
          units.set(line.productId, (units.get(line.productId) ?? 0) - line.quantity);
      const products = new Map([...units].filter(([, n]) => n > 0));
      const net = Math.max(0, order.total - refunded);
      const totalUnits = [...products.values()].reduce((sum, n) => sum + n, 0);
      return [
        {
          id: order.id,
          customer: order.customer,
          placedAt: order.placedAt,
          cancelled: order.cancelled,
          test: order.test,
          currency: order.currency,
          gross: order.total,
          net,
          products,
          units: totalUnits,
          counts: !order.cancelled && !order.test && (net > 0 || totalUnits > 0),
        },
      ];
    });
  }

  /** Every product's title: the alphabetically first one it was sold under. */
  titles(): Map<string, string> {
    const titles = new Map<string, string>();
    for (const order of this.orders.values())
      for (const line of order.lines) {
        if (line.productId === null) continue;
        const seen = titles.get(line.productId);
        if (seen === undefined || line.title < seen) titles.set(line.productId, line.title);
      }
    return titles;
  }
}

// --- The figures ------------------------------------------------------------------------------

/** A report window: `from` (null: all history) and `to`, UTC days, both inclusive. */
export type Window = { from: string | null; to: string };

type Numbered = OrderFigures & { n: number; previous: number | null };

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);
/** Rounded half away from zero, as every average of money is. */
const roundMoney = (value: number): number => Math.sign(value) * Math.round(Math.abs(value));
const perUnit = (amount: number, n: number): number => (n === 0 ? 0 : roundMoney(amount / n));
const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);
const distinct = (orders: readonly OrderFigures[]): Set<string> => new Set(orders.map((o) => o.customer));

/** The continuous quantile (linear interpolation between the two nearest values). */
export const quantile = (values: readonly number[], q: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const low = sorted[Math.floor(h)] ?? 0;
  const high = sorted[Math.ceil(h)] ?? low;
  return low + (h - Math.floor(h)) * (high - low);
};

export type CurrencyTotals = { currency: string; orders: number; revenue: number; aov: number };

/** Per currency, most orders first (ties: alphabetical): nothing is converted or added across currencies. */
export const byCurrency = (orders: readonly OrderFigures[]): CurrencyTotals[] => {
  const currencies = [...new Set(orders.map((o) => o.currency))];
  return currencies
    .map((currency) => {
      const inCurrency = orders.filter((o) => o.currency === currency);
      const revenue = sum(inCurrency.map((o) => o.net));
      return { currency, orders: inCurrency.length, revenue, aov: perUnit(revenue, inCurrency.length) };
    })
    .sort((a, b) => b.orders - a.orders || byText(a.currency, b.currency));
};

/** The currency of most of these orders (ties: alphabetical first); null without orders. */
const mainCurrency = (orders: readonly OrderFigures[]): string | null =>
  byCurrency(orders)[0]?.currency ?? null;

/**
 * The shop as it stood at the end of a window's `to`: counted orders placed before then, numbered
 * per customer by placement (then order id), and the window's own orders and cohort.
 */
export class ShopAt {
  readonly start: number;
  readonly end: number;
  readonly customers: number;
  /** Each customer's counted orders up to `to`, numbered 1, 2, … */
  readonly timelines: Map<string, Numbered[]>;
  /** Counted orders placed in the window. */
  readonly windowOrders: Numbered[];
  /** Customers whose first counted order is in the window. */
  readonly cohort: Set<string>;
  private readonly shop: PlainShop;

  constructor(shop: PlainShop, window: Window) {
    this.shop = shop;
    this.start = window.from === null ? Number.NEGATIVE_INFINITY : Date.parse(`${window.from}T00:00:00Z`);
    this.end = Date.parse(`${window.to}T00:00:00Z`) + DAY;
    this.customers = shop.customers.size;
    const visible = shop
      .figures()
      .filter((o) => o.counts && o.placedAt < this.end)
      .sort((a, b) => a.placedAt - b.placedAt || byText(a.id, b.id));
    this.timelines = new Map();
    for (const order of visible) {
      const timeline = this.timelines.get(order.customer) ?? [];
      timeline.push({ ...order, n: timeline.length + 1, previous: timeline.at(-1)?.placedAt ?? null });
      this.timelines.set(order.customer, timeline);
    }
    this.windowOrders = [...this.timelines.values()].flat().filter((o) => o.placedAt >= this.start);
    this.cohort = new Set(
      [...this.timelines].filter(([, t]) => (t[0]?.placedAt ?? -1) >= this.start).map(([c]) => c),
    );
  }

  private cohortTimelines(): Numbered[][] {
    return [...this.cohort].map((customer) => this.timelines.get(customer) ?? []);
  }

  /** Customers with ≥ 1 and ≥ 2 counted orders in the window. */
  private activity() {
    const perCustomer = new Map<string, number>();
    for (const o of this.windowOrders) perCustomer.set(o.customer, (perCustomer.get(o.customer) ?? 0) + 1);
    const buyers = perCustomer.size;
    const repeaters = [...perCustomer.values()].filter((n) => n >= 2).length;
    return { buyers, repeaters, repeatRate: ratio(repeaters, buyers) };
  }

  /** The money of some orders: the main currency's revenue, and the orders and customers in it. */
  private money(orders: readonly OrderFigures[]) {
    const currency = mainCurrency(orders);
    const inCurrency = orders.filter((o) => o.currency === currency);
    return { currency, inCurrency, revenue: sum(inCurrency.map((o) => o.net)) };
  }

  private f2Rate(): number {
    return ratio(this.cohortTimelines().filter((t) => t.length >= 2).length, this.cohort.size);
  }

  summary() {
    const { currency, inCurrency, revenue } = this.money(this.windowOrders);
    return {
      customers: this.customers,
      ...this.activity(),
      f2Rate: this.f2Rate(),
      orders: this.windowOrders.length,
      revenue,
      aov: perUnit(revenue, inCurrency.length),
      ltv: perUnit(revenue, distinct(inCurrency).size),
      currency,
      byCurrency: byCurrency(this.windowOrders),
    };
  }

  f2() {
    const timelines = this.cohortTimelines();
    const repeated = timelines.filter((t) => t.length >= 2).length;
    const within = [30, 60, 90, 180].map((days) => {
      const eligible = timelines.filter((t) => this.end - (t[0]?.placedAt ?? 0) >= days * DAY);
      const back = eligible.filter((t) => {
        const [first, second] = t;
        return first !== undefined && second !== undefined && second.placedAt - first.placedAt <= days * DAY;
      });
      return {
        days,
        eligible: eligible.length,
        repeated: back.length,
        rate: ratio(back.length, eligible.length),
      };
    });
    const repeatOrders = this.windowOrders.filter((o) => o.n >= 2).length;
    return {
      customers: this.cohort.size,
      repeated,
      f2Rate: ratio(repeated, this.cohort.size),
      within,
      ...this.activity(),
      orders: this.windowOrders.length,
      repeatOrders,
      repeatOrderRate: ratio(repeatOrders, this.windowOrders.length),
    };
  }

  /** The `all` row of `segments`: every customer, the window's orders. */
  segmentsAll() {
    const { buyers, repeaters, repeatRate } = this.activity();
    const { currency, inCurrency, revenue } = this.money(this.windowOrders);
    const orders = this.windowOrders.length;
    const avgOrders = ratio(orders, buyers);
    return {
      currency,
      byCurrency: byCurrency(this.windowOrders),
      all: {
        id: null,
        name: 'All customers',
        customers: this.customers,
        buyers,
        repeaters,
        orders,
        revenue,
        aov: perUnit(revenue, inCurrency.length),
        avgOrders,
        ltv: inCurrency.length === 0 ? 0 : roundMoney((avgOrders * revenue) / inCurrency.length),
        revenuePerCustomer: perUnit(revenue, this.customers),
        repeatRate,
      },
    };
  }

  nthOrder() {
    const orders = this.cohortTimelines().flat();
    const { currency } = this.money(orders);
    const buckets = ['1', '2', '3', '4', '5+'] as const;
    return {
      currency,
      byCurrency: byCurrency(orders),
      customers: this.cohort.size,
      byOrderNumber: buckets.map((n, i) => {
        const these = orders.filter((o) => (n === '5+' ? o.n >= 5 : o.n === i + 1));
        const inCurrency = these.filter((o) => o.currency === currency);
        const revenue = sum(inCurrency.map((o) => o.net));
        const days = these
          .filter((o) => o.previous !== null)
          .map((o) => (o.placedAt - (o.previous ?? 0)) / DAY);
        return {
          n,
          customers: distinct(these).size,
          orders: these.length,
          revenue,
          aov: perUnit(revenue, inCurrency.length),
          daysSincePrevious:
            n === '1' || days.length === 0
              ? null
              : { p25: quantile(days, 0.25), median: quantile(days, 0.5), p75: quantile(days, 0.75) },
        };
      }),
    };
  }

  cohorts() {
    const orders = this.cohortTimelines().flat();
    const { currency } = this.money(orders);
    const monthOf = (time: number) => new Date(time).toISOString().slice(0, 7);
    const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
    const monthStart = (index: number) => Date.UTC(Math.floor(index / 12), index % 12, 1);
    const toMonth = monthIndex(monthOf(this.end - 1));
    const groups = new Map<string, Numbered[][]>();
    for (const timeline of this.cohortTimelines()) {
      const month = monthOf(timeline[0]?.placedAt ?? 0);
      groups.set(month, [...(groups.get(month) ?? []), timeline]);
    }
    return {
      currency,
      byCurrency: byCurrency(orders),
      cohorts: [...groups]
        .sort(([a], [b]) => byText(a, b))
        .map(([month, timelines]) => {
          const own = timelines.flat();
          return {
            month,
            customers: timelines.length,
            months: Array.from({ length: toMonth - monthIndex(month) + 1 }, (_, m) => {
              const by = Math.min(monthStart(monthIndex(month) + m + 1), this.end);
              const placed = own.filter((o) => o.placedAt < by);
              return {
                m,
                revenuePerCustomer: perUnit(
                  sum(placed.filter((o) => o.currency === currency).map((o) => o.net)),
                  timelines.length,
                ),
                ordersPerCustomer: placed.length / timelines.length,
              };
            }),
          };
        }),
    };
  }

  secondPurchase() {
    const titles = this.shop.titles();
    const seconds = this.cohortTimelines().flatMap((t) => (t[1] ? [t[1]] : []));
    const customersOf = new Map<string, Set<string>>();
    for (const order of seconds)
      for (const product of order.products.keys())
        customersOf.set(product, (customersOf.get(product) ?? new Set()).add(order.customer));
    return {
      cohortCustomers: this.cohort.size,
      customers: seconds.length,
      secondOrderRate: ratio(seconds.length, this.cohort.size),
      products: [...customersOf]
        .map(([id, customers]) => ({
          id,
          title: titles.get(id) ?? null,
          customers: customers.size,
          share: ratio(customers.size, seconds.length),
        }))
        .sort(
          (a, b) => b.customers - a.customers || byText(a.title ?? '', b.title ?? '') || byText(a.id, b.id),
        )
        .slice(0, 20),
    };
  }

  repurchaseIntervals() {
    const P = [10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90];
    return [1, 2].map((k) => {
      const subjects = this.cohortTimelines().filter((t) => t.length >= k);
      const times = subjects.map((t) => {
        const from = t[k - 1]?.placedAt ?? 0;
        const next = t[k];
        return next
          ? { day: Math.floor((next.placedAt - from) / DAY), event: true }
          : { day: Math.floor((this.end - from) / DAY), event: false };
      });
      const eventDays = [...new Set(times.filter((t) => t.event).map((t) => t.day))].sort((a, b) => a - b);
      let survival = 1;
      const curve = eventDays.map((day) => {
        const atRisk = times.filter((t) => t.day >= day).length;
        const events = times.filter((t) => t.event && t.day === day).length;
        survival *= 1 - events / atRisk;
        return { day, atRisk, events, survival, repurchased: 1 - survival };
      });
      const first = (share: number) => curve.find((point) => point.repurchased >= share - 1e-9)?.day ?? null;
      const returned = curve.at(-1)?.repurchased ?? 0;
      return {
        fromOrder: k,
        toOrder: k + 1,
        subjects: subjects.length,
        events: times.filter((t) => t.event).length,
        censored: times.filter((t) => !t.event).length,
        curve,
        percentiles: P.map((p) => ({ p, day: first(p / 100) })),
        percentilesOfReturners: P.map((p) => ({
          p,
          day: curve.length === 0 ? null : first((p / 100) * returned),
        })),
      };
    });
  }
}

/**
 * How many customers ever stood in each stage of a journey whose stages count a customer's orders
 * containing some products (after refunds): none yet (with at least one order), exactly 1, exactly
 * 2, … and the last stage "or more". Orders count unless cancelled or a test, as a journey counts
 * them; a customer's orders placed at the same instant arrive together.
 */
export const stagesEntered = (
  shop: PlainShop,
  products: readonly string[],
  stages: number,
  before: number,
): number[] => {
  const entered = Array.from({ length: stages }, () => new Set<string>());
  const byCustomer = new Map<string, OrderFigures[]>();
  for (const order of shop.figures())
    if (!order.cancelled && !order.test && order.placedAt < before)
      byCustomer.set(order.customer, [...(byCustomer.get(order.customer) ?? []), order]);
  for (const [customer, orders] of byCustomer) {
    const instants = [...new Set(orders.map((o) => o.placedAt))].sort((a, b) => a - b);
    for (const instant of instants) {
      const placed = orders.filter((o) => o.placedAt <= instant);
      const containing = placed.filter((o) => products.some((p) => (o.products.get(p) ?? 0) > 0)).length;
      entered[Math.min(containing, stages - 1)]?.add(customer);
    }
  }
  return entered.map((customers) => customers.size);
};
