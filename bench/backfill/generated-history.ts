import type { BackfillPhase } from '#adapters/store/backfills.ts';
import type { BulkSource, BulkStatus } from '../../functions/backfill/run.ts';
import { catalog, seededRandom } from '../../local/shopify-webhooks.ts';

/**
 * A shop's history of any size as Shopify's Bulk Operations return it (GraphQL Admin API 2026-10
 * field names, the shape `demoHistoryJsonl` writes), generated line by line so that a million
 * orders never sit in memory: `demoHistoryJsonl` builds the whole file as one string and sorts
 * every order first, which at 1,000,000 orders is gigabytes. The same options tell the same
 * history. Orders are spread evenly over the year in time order, each of a customer drawn at
 * random (about `orders / customers` each, as in a real shop's file: one customer's orders far
 * apart); 1–3 catalog lines as `__parentId` children right after their order; 2 % cancelled
 * (refunded in full), 3 % with a partial refund inline, 10 % with a discount code.
 */
export type GeneratedHistoryOptions = {
  customers: number;
  orders: number;
  /** @default 20260101 */
  seed?: number;
  /** The history ends here (epoch ms). @default 2026-01-01T00:00:00Z */
  endAt?: number;
};

const DAY = 86_400_000;
const YEN = 'JPY';
const CUSTOMER_BASE = 7_208_000_000_001;
const ORDER_BASE = 6_100_000_000_001;

/** A DateTime as Shopify writes it: UTC, whole seconds. */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const money = (yen: number) => ({ shopMoney: { amount: `${yen}.0`, currencyCode: YEN } });

type LineItem = {
  productId: number;
  id: string;
  title: string;
  vendor: string;
  sku: string;
  product: { id: string };
  variant: { id: string };
  quantity: number;
  price: number;
};

/** Customer `index`'s id, as the apply path keys it (the gid's number). */
export const customerIdOf = (index: number) => String(CUSTOMER_BASE + index);
export const customerGid = (index: number) => `gid://shopify/Customer/${customerIdOf(index)}`;

/** One generated order: its customer (by index) and its JSONL lines (the order, then its line items). */
export type GeneratedOrder = { orderId: string; customer: number; counts: boolean; lines: string[] };

export class GeneratedHistory {
  readonly customers: number;
  readonly orders: number;
  private readonly seed: number;
  private readonly start: number;
  private readonly span: number;

  constructor({
    customers,
    orders,
    seed = 20260101,
    endAt = Date.parse('2026-01-01T00:00:00Z'),
  }: GeneratedHistoryOptions) {
    if (!Number.isInteger(customers) || customers < 1 || !Number.isInteger(orders) || orders < 0)
      throw new Error('a generated history needs at least one customer and a whole number of orders');
    this.customers = customers;
    this.orders = orders;
    this.seed = seed;
    this.span = 365 * DAY;
    this.start = endAt - this.span;
  }

  /** Customer `index`'s line: profile, consent (60 % subscribed), address, 5 % tagged. */
  customerLine(index: number): string {
    const random = seededRandom(this.seed ^ (index * 2_654_435_761));
    const createdAt = this.start - Math.floor(random() * 180) * DAY;
    const roll = random();
    const consent = roll < 0.6 ? 'SUBSCRIBED' : roll < 0.9 ? 'NOT_SUBSCRIBED' : 'UNSUBSCRIBED';
    return JSON.stringify({
      id: customerGid(index),
      email: `customer${index + 1}@example.com`,
      createdAt: iso(createdAt),
      updatedAt: iso(createdAt + DAY),
      state: 'ENABLED',
      tags: random() < 0.05 ? ['wholesale'] : [],
      defaultAddress: { countryCodeV2: 'JP', provinceCode: random() < 0.6 ? 'JP-13' : 'JP-14' },
      emailMarketingConsent: {
        marketingState: consent,
        marketingOptInLevel: consent === 'NOT_SUBSCRIBED' ? null : 'SINGLE_OPT_IN',
        consentUpdatedAt: consent === 'NOT_SUBSCRIBED' ? null : iso(createdAt),
      },
    });
  }

  *customerLines(): Generator<string> {
    for (let index = 0; index < this.customers; index++) yield this.customerLine(index);
  }

  /** Every order in file (time) order. */
  *generatedOrders(): Generator<GeneratedOrder> {
    const random = seededRandom(this.seed);
    const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    let lineItem = 15_500_000_000_001;
    let refundId = 980_000_000_001;
    for (let k = 0; k < this.orders; k++) {
      const customer = Math.floor(random() * this.customers);
      const orderId = String(ORDER_BASE + k);
      const id = `gid://shopify/Order/${orderId}`;
      const at = this.start + Math.floor(((k + random()) * this.span) / Math.max(1, this.orders));
      const items: LineItem[] = [];
      for (let n = int(1, 3); n > 0; n--) {
        const product = catalog.products[int(0, catalog.products.length - 1)];
        const variant = product?.variants[0];
        // One line per product, as a cart merges the same product.
        if (!product || !variant || items.some((item) => item.productId === product.product_id)) continue;
        items.push({
          productId: product.product_id,
          id: `gid://shopify/LineItem/${lineItem++}`,
          title: product.title,
          vendor: product.vendor,
          sku: variant.sku,
          product: { id: `gid://shopify/Product/${product.product_id}` },
          variant: { id: `gid://shopify/ProductVariant/${variant.variant_id}` },
          quantity: random() < 0.75 ? 1 : int(2, 3),
          price: Number(variant.price),
        });
      }
      const subtotal = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
      const discountCode = random() < 0.1 ? 'WELCOME10' : null;
      const total = subtotal - (discountCode ? Math.round(subtotal * 0.1) : 0);
      const roll = random();
      const cancelled = roll < 0.02;
      const refunded = cancelled ? items : roll < 0.05 ? items.slice(0, 1) : [];
      const refundAt = at + int(1, 48) * 3_600_000;
      const amount = cancelled ? total : refunded.reduce((sum, item) => sum + item.price, 0);
      const refunds = refunded.length
        ? [
            {
              id: `gid://shopify/Refund/${refundId++}`,
              createdAt: iso(refundAt),
              refundLineItems: {
                edges: refunded.map((item) => ({
                  node: {
                    quantity: cancelled ? item.quantity : 1,
                    lineItem: {
                      title: item.title,
                      sku: item.sku,
                      vendor: item.vendor,
                      product: item.product,
                      variant: item.variant,
                    },
                  },
                })),
              },
              transactions: {
                edges: [{ node: { kind: 'REFUND', status: 'SUCCESS', amountSet: money(amount) } }],
              },
            },
          ]
        : [];
      const order = JSON.stringify({
        id,
        name: `#${1001 + k}`,
        email: `customer${customer + 1}@example.com`,
        createdAt: iso(at),
        updatedAt: iso(refunds.length ? refundAt : at + int(5, 90) * 60_000),
        processedAt: iso(at),
        cancelledAt: cancelled ? iso(refundAt) : null,
        test: false,
        tags: [],
        discountCodes: discountCode ? [discountCode] : [],
        sourceName: random() < 0.2 ? 'pos' : 'web',
        currencyCode: YEN,
        totalPriceSet: money(total),
        customer: { id: customerGid(customer) },
        refunds,
      });
      yield {
        orderId,
        customer,
        counts: !cancelled,
        lines: [
          order,
          ...items.map(({ productId: _productId, price, ...item }) =>
            JSON.stringify({ ...item, originalUnitPriceSet: money(price), __parentId: id }),
          ),
        ],
      };
    }
  }

  *orderLines(): Generator<string> {
    for (const order of this.generatedOrders()) yield* order.lines;
  }
}

/**
 * The Bulk Operations of a generated history, served from memory as they are generated: each
 * operation completes on its first poll; its "file" is the phase's lines, from any line on.
 */
export class GeneratedBulkSource implements BulkSource {
  private readonly files: Record<BackfillPhase, () => Iterable<string>>;

  constructor(files: Record<BackfillPhase, () => Iterable<string>>) {
    this.files = files;
  }

  static of(history: GeneratedHistory): GeneratedBulkSource {
    return new GeneratedBulkSource({
      customers: () => history.customerLines(),
      orders: () => history.orderLines(),
    });
  }

  async start(_shop: string, phase: BackfillPhase): Promise<string> {
    return `gid://shopify/BulkOperation/${phase}`;
  }

  async poll(_shop: string, operationId: string): Promise<BulkStatus> {
    const phase = operationId.slice(operationId.lastIndexOf('/') + 1);
    return { status: 'COMPLETED', errorCode: null, url: `generated:${phase}`, objectCount: null };
  }

  async *lines(url: string, fromLine: number): AsyncIterable<{ text: string; line: number }> {
    const file = this.files[url.slice('generated:'.length) as BackfillPhase];
    if (!file) throw new Error(`no generated file ${url}`);
    let line = 0;
    for (const text of file()) if (++line >= fromLine) yield { text, line };
  }
}
