import { catalog, seededRandom } from '../shopify-webhooks.ts';

/**
 * A year of the demo bakery's past as Shopify's Bulk Operations would return it (GraphQL Admin API
 * 2026-10 field names): a customers query's JSONL followed by an orders query's JSONL, where each
 * order line carries its refunds inline and its line items follow as lines with `__parentId`. The
 * story is seeded: the same seed and day tell the same year. It has regulars and one-off buyers,
 * Rum Baba fans with 3 or more Rum Baba orders, morning-sandwich regulars, guests without an
 * account, refunds, cancellations and a couple of test orders.
 */

export type DemoHistoryOptions = {
  /** The year ends at the start of this instant's UTC day. @default Date.now() */
  now?: number;
  /** @default 20260101 */
  seed?: number;
  /** @default 300 */
  customers?: number;
  /** @default 1000 */
  orders?: number;
};

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
const CURRENCY = 'JPY';
const RUM_BABA_IDS = [8001000000001, 8001000000008];
const SANDWICH_ID = 8001000000002;

const FIRST_NAMES = [
  'Aoi',
  'Haruto',
  'Yui',
  'Sota',
  'Hina',
  'Ren',
  'Mei',
  'Yuto',
  'Sakura',
  'Kaito',
  'Rin',
  'Riku',
];
const LAST_NAMES = [
  'Sato',
  'Suzuki',
  'Takahashi',
  'Tanaka',
  'Ito',
  'Watanabe',
  'Yamamoto',
  'Nakamura',
  'Kobayashi',
];
/** Where the bakery's customers live: mostly around Tokyo (Shopify's `JP-nn` province codes). */
const PROVINCES = ['JP-13', 'JP-13', 'JP-13', 'JP-14', 'JP-14', 'JP-11', 'JP-12', 'JP-27', 'JP-23', 'JP-40'];
const DISCOUNT_CODES = ['WELCOME10', 'RUMBABA2ND', 'MORNING10'];

type Money = { shopMoney: { amount: string; currencyCode: string } };

/** A MoneyBag's shop side (yen have no minor unit; Shopify writes them "480.0"). */
const money = (yen: number): Money => ({ shopMoney: { amount: `${yen}.0`, currencyCode: CURRENCY } });

/** A DateTime as Shopify writes it: UTC, whole seconds. */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

type Product = (typeof catalog.products)[number];
type Line = { product: Product; variantIndex: number; quantity: number };
type Theme = 'rum-baba' | 'sandwich' | 'any';
type PlannedOrder = { customer: number | null; theme: Theme };

type Customer = {
  index: number;
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  createdAt: number;
  province: string;
  consent: 'SUBSCRIBED' | 'NOT_SUBSCRIBED' | 'UNSUBSCRIBED';
  consentAt: number | null;
  tags: string[];
  orderTimes: number[];
  spent: number;
  orders: number;
};

/** The Bulk Operation JSONL of the demo shop's last 365 days: customer lines, then order and line-item lines. */
export const demoHistoryJsonl = (options: DemoHistoryOptions = {}): string => {
  const random = seededRandom(options.seed ?? 20260101);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const end = Math.floor((options.now ?? Date.now()) / DAY) * DAY;
  const start = end - 365 * DAY;
  const customerCount = options.customers ?? 300;
  const orderCount = options.orders ?? 1000;

  const customers: Customer[] = Array.from({ length: customerCount }, (_, index) => {
    const firstName = pick(FIRST_NAMES);
    const lastName = pick(LAST_NAMES);
    const createdAt = start - 180 * DAY + Math.floor(random() * (545 - 14) * DAY);
    const roll = random();
    const consent = roll < 0.6 ? 'SUBSCRIBED' : roll < 0.9 ? 'NOT_SUBSCRIBED' : 'UNSUBSCRIBED';
    return {
      index,
      id: `gid://shopify/Customer/${7208000000001 + index}`,
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${index + 1}@example.com`.toLowerCase(),
      createdAt,
      province: pick(PROVINCES),
      consent,
      consentAt:
        consent === 'NOT_SUBSCRIBED'
          ? null
          : consent === 'SUBSCRIBED'
            ? createdAt
            : Math.min(end - HOUR, createdAt + int(1, 120) * DAY),
      tags: chance(0.05) ? ['wholesale'] : chance(0.1) ? ['newsletter'] : [],
      orderTimes: [],
      spent: 0,
      orders: 0,
    };
  });

  // Who buys what: ~8% Rum Baba fans (3–6 Rum Baba orders), ~8% sandwich regulars, ~12% never
  // order, the rest share the remaining orders, a few of them often; ~2% of orders are guests'.
  const shuffled = customers.map((c) => c.index);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = int(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
  }
  const fans = shuffled.slice(0, Math.round(customerCount * 0.08));
  const regulars = shuffled.slice(fans.length, fans.length + Math.round(customerCount * 0.08));
  const buyers = shuffled.slice(fans.length + regulars.length, Math.round(customerCount * 0.88));
  const plans: PlannedOrder[] = [
    ...fans.flatMap((customer) =>
      Array.from({ length: int(3, 6) }, () => ({ customer, theme: 'rum-baba' as const })),
    ),
    ...regulars.flatMap((customer) =>
      Array.from({ length: int(3, 8) }, () => ({ customer, theme: 'sandwich' as const })),
    ),
    ...buyers.map((customer) => ({ customer, theme: 'any' as const })),
  ].slice(0, orderCount);
  const frequent = buyers.slice(0, Math.ceil(buyers.length / 4));
  while (plans.length < orderCount) {
    const roll = random();
    const customer = roll < 0.02 ? null : roll < 0.6 ? pick(frequent) : pick([...buyers, ...fans]);
    plans.push({ customer: customer ?? null, theme: 'any' });
  }

  const dated = plans
    .map((plan) => {
      const from = Math.max(
        start,
        plan.customer === null ? start : (customers[plan.customer]?.createdAt ?? start),
      );
      const day =
        Math.floor(from / DAY) * DAY + int(0, Math.max(0, Math.floor((end - from) / DAY) - 1)) * DAY;
      // Shop hours 07:00–20:00 in Tokyo (UTC+9).
      const at = Math.max(from, day + (int(7, 19) - 9) * HOUR + int(0, 59) * 60_000 + int(0, 59) * 1000);
      return { ...plan, at: Math.min(at, end - HOUR) };
    })
    .sort((a, b) => a.at - b.at);

  const productById = (id: number) => catalog.products.find((p) => p.product_id === id) as Product;
  const linesFor = (theme: Theme): Line[] => {
    const lines: Line[] = [];
    const add = (product: Product, variantIndex = int(0, product.variants.length - 1)) => {
      if (!lines.some((l) => l.product.product_id === product.product_id))
        lines.push({ product, variantIndex, quantity: chance(0.75) ? 1 : int(2, 3) });
    };
    if (theme === 'rum-baba')
      add(productById(chance(0.8) ? (RUM_BABA_IDS[0] as number) : (RUM_BABA_IDS[1] as number)));
    if (theme === 'sandwich') add(productById(SANDWICH_ID));
    if (theme === 'rum-baba' && chance(0.3)) add(productById(8001000000005));
    const others = theme === 'any' ? int(1, 3) : int(0, 1);
    for (let i = 0; i < others; i++) {
      const product = pick(catalog.products);
      // Outside the fans' orders Rum Baba is an occasional pick, so first and second purchases occur too.
      if (theme === 'any' && RUM_BABA_IDS.includes(product.product_id) && !chance(0.35)) continue;
      add(product);
    }
    if (lines.length === 0) add(productById(8001000000003));
    return lines;
  };

  let lineItemNumber = 15500000000001;
  let refundNumber = 980000000001;
  let childNumber = 11200000000001;
  const orderLines: string[] = [];
  dated.forEach((plan, k) => {
    const customer = plan.customer === null ? null : (customers[plan.customer] ?? null);
    const orderId = `gid://shopify/Order/${6100000000001 + k}`;
    const items = linesFor(plan.theme).map((line) => {
      const variant = line.product.variants[line.variantIndex] ?? line.product.variants[0];
      const price = Number(variant?.price ?? 0);
      return {
        line,
        price,
        id: `gid://shopify/LineItem/${lineItemNumber++}`,
        variantTitle:
          line.product.variants.length > 1 ? ((variant as { title?: string })?.title ?? null) : null,
        sku: variant?.sku ?? null,
        variantId: variant?.variant_id ?? 0,
        refunded: 0,
      };
    });
    const lineItemIdentity = (item: (typeof items)[number]) => ({
      id: item.id,
      title: item.line.product.title,
      sku: item.sku,
      vendor: item.line.product.vendor,
      product: { id: `gid://shopify/Product/${item.line.product.product_id}` },
      variant: { id: `gid://shopify/ProductVariant/${item.variantId}` },
    });
    const subtotal = items.reduce((sum, item) => sum + item.price * item.line.quantity, 0);
    const discountCode = chance(0.1) ? pick(DISCOUNT_CODES) : null;
    const discount = discountCode ? Math.round(subtotal * 0.1) : 0;
    const total = subtotal - discount;
    const cancelled = chance(0.03);
    const cancelledAt = cancelled ? Math.min(end - 1000, plan.at + int(1, 20) * HOUR) : null;
    const refunds: Record<string, unknown>[] = [];
    const refund = (
      at: number,
      taken: { item: (typeof items)[number]; quantity: number }[],
      amount: number,
      note: string | null,
    ) => {
      for (const { item, quantity } of taken) item.refunded += quantity;
      refunds.push({
        id: `gid://shopify/Refund/${refundNumber++}`,
        createdAt: iso(at),
        note,
        totalRefundedSet: money(amount),
        refundLineItems: {
          edges: taken.map(({ item, quantity }) => ({
            node: {
              id: `gid://shopify/RefundLineItem/${childNumber++}`,
              quantity,
              restockType: cancelled ? 'CANCEL' : 'NO_RESTOCK',
              lineItem: lineItemIdentity(item),
              subtotalSet: money(item.price * quantity),
            },
          })),
        },
        transactions: {
          edges: [
            {
              node: {
                id: `gid://shopify/OrderTransaction/${childNumber++}`,
                kind: 'REFUND',
                status: 'SUCCESS',
                processedAt: iso(at),
                amountSet: money(amount),
              },
            },
          ],
        },
      });
    };
    if (cancelledAt !== null) {
      refund(
        cancelledAt,
        items.map((item) => ({ item, quantity: item.line.quantity })),
        total,
        null,
      );
    } else if (chance(0.05)) {
      const at = plan.at + int(1, 5) * DAY;
      const item = pick(items);
      if (at < end) refund(at, [{ item, quantity: 1 }], Math.min(total, item.price), 'Damaged in transit');
    }
    const refundedTotal = refunds.reduce(
      (sum, r) => sum + Number((r.totalRefundedSet as Money).shopMoney.amount),
      0,
    );
    const updatedAt = Math.min(
      end - 1000,
      Math.max(plan.at + int(5, 90) * 60_000, ...refunds.map((r) => Date.parse(String(r.createdAt)))),
    );
    const test = k % 450 === 7;
    if (customer && !test) {
      customer.orderTimes.push(plan.at);
      customer.orders++;
      customer.spent += total - refundedTotal;
    }
    const email = customer?.email ?? `guest${k + 1}@example.net`;
    orderLines.push(
      JSON.stringify({
        id: orderId,
        name: `#${1001 + k}`,
        email,
        createdAt: iso(plan.at),
        updatedAt: iso(updatedAt),
        processedAt: iso(plan.at),
        cancelledAt: cancelledAt === null ? null : iso(cancelledAt),
        cancelReason: cancelledAt === null ? null : 'CUSTOMER',
        test,
        tags: test ? ['test'] : [],
        discountCodes: discountCode ? [discountCode] : [],
        sourceName: chance(0.2) ? 'pos' : 'web',
        currencyCode: CURRENCY,
        presentmentCurrencyCode: CURRENCY,
        displayFinancialStatus:
          refundedTotal === 0 ? 'PAID' : refundedTotal >= total ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
        subtotalPriceSet: money(subtotal),
        totalDiscountsSet: money(discount),
        totalPriceSet: money(total),
        currentTotalPriceSet: money(total - refundedTotal),
        totalRefundedSet: money(refundedTotal),
        customer: customer ? { id: customer.id } : null,
        refunds,
      }),
    );
    for (const item of items)
      orderLines.push(
        JSON.stringify({
          id: item.id,
          name: item.variantTitle
            ? `${item.line.product.title} - ${item.variantTitle}`
            : item.line.product.title,
          title: item.line.product.title,
          variantTitle: item.variantTitle,
          quantity: item.line.quantity,
          currentQuantity: item.line.quantity - item.refunded,
          sku: item.sku,
          vendor: item.line.product.vendor,
          product: lineItemIdentity(item).product,
          variant: lineItemIdentity(item).variant,
          originalUnitPriceSet: money(item.price),
          __parentId: orderId,
        }),
      );
  });

  const customerLines = customers.map((customer) =>
    JSON.stringify({
      id: customer.id,
      firstName: customer.firstName,
      lastName: customer.lastName,
      email: customer.email,
      createdAt: iso(customer.createdAt),
      updatedAt: iso(Math.max(customer.createdAt, customer.consentAt ?? 0, ...customer.orderTimes)),
      state: 'ENABLED',
      verifiedEmail: true,
      tags: customer.tags,
      // UnsignedInt64 is a string in GraphQL answers.
      numberOfOrders: String(customer.orders),
      amountSpent: { amount: `${customer.spent}.0`, currencyCode: CURRENCY },
      defaultAddress: { countryCodeV2: 'JP', provinceCode: customer.province },
      emailMarketingConsent: {
        marketingState: customer.consent,
        marketingOptInLevel: customer.consent === 'NOT_SUBSCRIBED' ? null : 'SINGLE_OPT_IN',
        consentUpdatedAt: customer.consentAt === null ? null : iso(customer.consentAt),
      },
    }),
  );
  return `${[...customerLines, ...orderLines].join('\n')}\n`;
};
