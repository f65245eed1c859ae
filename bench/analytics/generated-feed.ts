import type { PendingOrder } from '#adapters/store/aggregate-item.ts';
import { type CustomerAggregate, emptyAggregate, rebuildFromOrders } from '#domain/aggregate.ts';
import type { CustomerFeed, FactVersion } from '#domain/analytics/snapshot-rows.ts';
import { type OrderFacts, type OrderLine, orderContribution } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { catalog, seededRandom } from '../../local/shopify-webhooks.ts';

/**
 * A bakery's analytics feed of any size, generated customer by customer so that ten million order
 * facts never sit in memory: each customer is drawn from their own seed, so any slice of the
 * customers can be generated alone and the same options always tell the same feed.
 *
 * The mix: 35 % of customers order once; the others' order counts have a heavy tail (a Lomax,
 * α = 2, capped at `MAX_ORDERS`: a few daily regulars), scaled so the mean is `orders / customers`.
 * First orders fall over the two years before `endAt`, more of them lately (a growing shop); a
 * repeat customer's orders spread over part of their remaining time, in opening hours (07–19 JST).
 * 1–3 catalog lines an order, half of them the customer's favourite product; 10 % with a discount
 * code, 20 % at the till. 2 % are cancelled later and 3 % refunded in part (each a second version,
 * so a second fact), 0.1 % are test orders.
 */
export type GeneratedFeedOptions = {
  customers: number;
  /** The expected number of orders (the draw gives within a fraction of a percent of it). */
  orders: number;
  /** @default 20260630 */
  seed?: number;
  /** The feed's last instant, the snapshot's `asOf` (epoch ms). @default 2026-06-30T00:00:00Z */
  endAt?: number;
};

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SPAN_DAYS = 730;
const ONE_TIME_SHARE = 0.35;
export const MAX_ORDERS = 700;
const CUSTOMER_BASE = 7_300_000_000_001;
const ORDER_BASE = 6_200_000_000_000;
/** Orders numbered per customer: customer i's kth order is ORDER_BASE + i × this + k. */
const ORDERS_PER_CUSTOMER_SLOT = 1_000;
/** Customers generated between two turns of the event loop (a DynamoDB page is of the same order). */
const CUSTOMERS_PER_TURN = 64;

/** How often a product is picked, as the demo bakery sells (pastries and bread first). */
const POPULARITY: Record<string, number> = {
  Croissant: 25,
  Baguette: 20,
  'Morning Sandwich': 15,
  'Rum Baba': 12,
  'Earl Grey Tea Leaves': 8,
  Savarin: 8,
  'Family Sweets Box': 7,
  'Rum Baba Gift Box': 5,
};

type Product = { line: OrderLine; price: number; weight: number };

const PRODUCTS: readonly Product[] = catalog.products.map((product) => {
  const variant = product.variants[0];
  if (!variant) throw new Error(`catalog product ${product.product_id} has no variant`);
  return {
    line: {
      productId: String(product.product_id),
      variantId: String(variant.variant_id),
      sku: variant.sku,
      vendor: product.vendor,
      title: product.title,
      quantity: 1,
    },
    price: Number(variant.price),
    weight: POPULARITY[product.title] ?? 5,
  };
});
const TOTAL_WEIGHT = PRODUCTS.reduce((sum, p) => sum + p.weight, 0);

const pickProduct = (u: number): Product => {
  let left = u * TOTAL_WEIGHT;
  for (const product of PRODUCTS) {
    left -= product.weight;
    if (left < 0) return product;
  }
  return PRODUCTS[PRODUCTS.length - 1] as Product;
};

/** A repeat customer's order count for a uniform draw `u`, at tail scale `scale`. */
const repeatCount = (u: number, scale: number) =>
  Math.min(MAX_ORDERS, 2 + Math.floor(scale * (1 / Math.sqrt(u) - 1)));

/** The tail scale whose expected order count (over a fine grid of draws) is `mean`, by bisection. */
const calibrate = (mean: number): number => {
  const target = (mean - ONE_TIME_SHARE) / (1 - ONE_TIME_SHARE);
  if (target <= 2) return 0;
  const grid = 200_000;
  const expected = (scale: number) => {
    let sum = 0;
    for (let k = 0; k < grid; k++) sum += repeatCount((k + 0.5) / grid, scale);
    return sum / grid;
  };
  let low = 0;
  let high = MAX_ORDERS;
  for (let step = 0; step < 40; step++) {
    const middle = (low + high) / 2;
    if (expected(middle) < target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
};

/** One order's versions, as the shop's webhooks would bring them: placed, then maybe cancelled or refunded. */
type Versions = { placed: OrderFacts; later: OrderFacts | null };

/** Everything generated about one customer: their feed (aggregate and facts) and a few counts. */
export type GeneratedCustomer = {
  feed: CustomerFeed;
  /** The aggregate item's state, as `aggregatePut` stores it. */
  state: { aggregate: CustomerAggregate; pendingOrder: PendingOrder | null };
  orders: number;
};

export class GeneratedFeed {
  readonly shop: string;
  readonly customers: number;
  readonly expectedOrders: number;
  readonly endAt: number;
  private readonly seed: number;
  private readonly scale: number;

  constructor(
    shop: string,
    { customers, orders, seed = 20260630, endAt = Date.parse('2026-06-30T00:00:00Z') }: GeneratedFeedOptions,
  ) {
    if (!Number.isInteger(customers) || customers < 1 || orders < customers)
      throw new Error('a generated feed needs at least one customer and at least one order each');
    this.shop = shop;
    this.customers = customers;
    this.expectedOrders = orders;
    this.seed = seed;
    this.endAt = endAt;
    this.scale = calibrate(orders / customers);
  }

  /** The snapshot's as-of instant (ISO 8601). */
  get asOf(): string {
    return new Date(this.endAt).toISOString();
  }

  customerId(index: number): string {
    return String(CUSTOMER_BASE + index);
  }

  /** Customer `index`, alone: the same index always gives the same customer. */
  customer(index: number): GeneratedCustomer {
    const random = seededRandom(this.seed ^ Math.imul(index + 1, 2_654_435_761));
    const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    const customerId = this.customerId(index);
    const start = this.endAt - SPAN_DAYS * DAY;
    // More first orders lately: a shop that grows.
    const firstAt = start + SPAN_DAYS * DAY * random() ** 0.8;
    const count = random() < ONE_TIME_SHARE ? 1 : repeatCount(1 - random(), this.scale);
    // A repeat customer is active over part of the time left (some stop coming).
    const activeUntil = firstAt + (this.endAt - firstAt) * (0.3 + 0.7 * random());
    const days = [firstAt];
    for (let k = 1; k < count; k++) days.push(firstAt + random() * (activeUntil - firstAt));
    days.sort((a, b) => a - b);
    const favourite = pickProduct(random());
    const email = random() < 0.95 ? `customer${index + 1}@example.com` : null;
    const consent = random();
    const createdAt = firstAt - int(0, 30) * DAY;
    const orders: Versions[] = days.map((day, k) => {
      // Opening hours 07:00–19:00 in Tokyo (22:00–10:00 UTC), on the drawn day.
      const placedMs = Math.min(
        this.endAt - 1,
        Math.floor(day / DAY) * DAY - 2 * HOUR + Math.floor(random() * 12 * HOUR),
      );
      const lines: OrderLine[] = [];
      const lineCount = random() < 0.6 ? 1 : random() < 0.75 ? 2 : 3;
      for (let n = 0; n < lineCount; n++) {
        const product = random() < 0.5 ? favourite : pickProduct(random());
        if (lines.some((line) => line.productId === product.line.productId)) continue;
        lines.push({ ...product.line, quantity: random() < 0.75 ? 1 : int(2, 3) });
      }
      const subtotal = lines.reduce(
        (sum, line) =>
          sum + (PRODUCTS.find((p) => p.line.productId === line.productId)?.price ?? 0) * line.quantity,
        0,
      );
      const discounted = random() < 0.1;
      const total = subtotal - (discounted ? Math.round(subtotal * 0.1) : 0);
      const orderId = String(ORDER_BASE + index * ORDERS_PER_CUSTOMER_SLOT + k);
      const placedAt = new Date(placedMs).toISOString();
      const placed: OrderFacts = {
        orderId,
        customerId,
        email,
        placedAt,
        updatedAt: new Date(placedMs + int(5, 90) * 60_000).toISOString(),
        total: { amount: total, currency: 'JPY' },
        lines,
        cancelled: false,
        test: random() < 0.001,
        tags: [],
        discountCodes: discounted ? ['WELCOME10'] : [],
        channel: random() < 0.2 ? 'pos' : 'web',
        address: { countryCode: 'JP', provinceCode: 'JP-13' },
      };
      const fate = random();
      const laterMs = placedMs + int(1, 48) * HOUR;
      if (fate >= 0.05 || laterMs >= this.endAt) return { placed, later: null };
      const updatedAt = new Date(laterMs).toISOString();
      const refunded = fate < 0.02 ? lines : lines.slice(0, 1);
      const first = refunded[0];
      const firstPrice = PRODUCTS.find((p) => p.line.productId === first?.productId)?.price ?? 0;
      return {
        placed,
        later: {
          ...placed,
          updatedAt,
          cancelled: fate < 0.02,
          refunds: [
            {
              refundId: `${orderId}1`,
              orderId,
              createdAt: updatedAt,
              amount: { amount: fate < 0.02 ? total : firstPrice, currency: 'JPY' },
              lines: fate < 0.02 ? refunded : refunded.map((line) => ({ ...line, quantity: 1 })),
            },
          ],
        },
      };
    });
    // Versions in the order they were applied: each is counted by the aggregate's next version.
    const applied = orders
      .flatMap(({ placed, later }) => (later ? [placed, later] : [placed]))
      .sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
    const facts: FactVersion[] = applied.map((facts, k) => ({
      // Version 1 is the customer's own creation.
      version: k + 2,
      contribution: orderContribution(facts, journeyConfig),
    }));
    const subscribed = email !== null && consent < 0.6;
    const base: CustomerAggregate = {
      ...emptyAggregate(this.shop, customerId, new Date(createdAt).toISOString()),
      email,
      address: {
        countryCode: 'JP',
        provinceCode: consent < 0.3 ? 'JP-14' : 'JP-13',
        updatedAt: new Date(createdAt).toISOString(),
      },
      emailMarketing: {
        state:
          email === null
            ? 'unknown'
            : subscribed
              ? 'subscribed'
              : consent < 0.9
                ? 'not_subscribed'
                : 'unsubscribed',
        updatedAt: subscribed ? new Date(createdAt).toISOString() : null,
      },
      customerTags:
        random() < 0.05 ? { wholesale: { present: true, at: new Date(createdAt).toISOString() } } : {},
      version: 1,
    };
    const newest = new Map(facts.map((fact) => [fact.contribution.orderId, fact.contribution]));
    const lastAt = applied[applied.length - 1]?.updatedAt ?? base.updatedAt;
    const aggregate = { ...rebuildFromOrders(base, [...newest.values()], lastAt), version: facts.length + 1 };
    return {
      feed: { shop: this.shop, customerId, aggregate, facts },
      state: { aggregate, pendingOrder: null },
      orders: count,
    };
  }

  /**
   * Customers `from` (inclusive) to `to` (exclusive), one at a time; the event loop gets a turn
   * every few customers, as it does between the pages of a real feed read.
   */
  async *generate(from = 0, to = this.customers): AsyncGenerator<GeneratedCustomer> {
    for (let index = from; index < to; index++) {
      if ((index - from) % CUSTOMERS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      yield this.customer(index);
    }
  }
}
