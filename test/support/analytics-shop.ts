import {
  type CustomerRow,
  type DecisionRow,
  type MembershipRow,
  type OrderProductRow,
  type OrderRow,
  orderCounts,
  type Snapshot,
} from '#adapters/analytics/snapshot.ts';
import type { Definitions } from '#domain/analytics/reports.ts';

/** A synthetic shop as plain rows (timestamps as ISO strings), ready for `writeSnapshot`. */
export type AnalyticsShop = {
  definitions: Definitions;
  customers: CustomerRow[];
  orders: OrderRow[];
  orderProducts: OrderProductRow[];
  memberships: MembershipRow[];
  decisions: DecisionRow[];
};

export const SHOP_DEFINITIONS: Definitions = {
  journeys: [
    {
      id: 'welcome',
      name: 'Welcome',
      stages: [
        { id: 'new', name: 'New' },
        { id: 'second', name: 'Second order' },
        { id: 'regular', name: 'Regular' },
      ],
    },
    {
      id: 'winback',
      name: 'Win back',
      stages: [
        { id: 'lapsing', name: 'Lapsing' },
        { id: 'reminded', name: 'Reminded' },
      ],
    },
  ],
  segments: [
    { id: 'vip', name: 'VIP' },
    { id: 'lapsed', name: 'Lapsed' },
  ],
};

const PRODUCTS = [
  { id: 'p01', title: 'Rum Baba', price: 480 },
  { id: 'p02', title: 'Croissant', price: 320 },
  { id: 'p03', title: 'Earl Grey Tea Leaves', price: 1200 },
  { id: 'p04', title: 'Pain au Chocolat', price: 380 },
  { id: 'p05', title: 'Rum Baba Gift Box', price: 2600 },
  { id: 'p06', title: 'Madeleine', price: 240 },
  { id: 'p07', title: 'Canele', price: 300 },
  { id: 'p08', title: 'Brioche', price: 650 },
  { id: 'p09', title: 'Macaron Box', price: 1800 },
  { id: 'p10', title: 'Coffee Beans', price: 1500 },
] as const;

const DAY = 86_400_000;
const START = Date.parse('2023-07-01T00:00:00Z');
const END = Date.parse('2025-06-30T00:00:00Z');
const BACKFILLED = '1970-01-01T00:00:00.000Z';

/** mulberry32: a small seeded PRNG, so the shop is the same on every run. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
};
type Random = ReturnType<typeof prng>;

const iso = (ms: number) => new Date(ms).toISOString();

/** Instants the report windows of the tests cut at, so both sides of each boundary occur. */
export const BOUNDARY_INSTANTS = [
  '2024-03-01T00:00:00.000Z',
  '2024-02-29T23:59:59.999Z',
  '2025-02-14T23:59:59.999Z',
  '2025-02-15T00:00:00.000Z',
  '2024-12-31T23:59:59.999Z',
  '2025-01-01T00:00:00.000Z',
];

type Line = { product: (typeof PRODUCTS)[number]; units: number };

const orderRows = (
  random: Random,
  customerId: string,
  orderId: string,
  placedAt: number,
  currency: string,
): { order: OrderRow; products: OrderProductRow[] } => {
  const lines: Line[] = [];
  for (let i = random.int(1, 3); i > 0; i -= 1) {
    const product = random.pick(PRODUCTS);
    const line = lines.find((l) => l.product.id === product.id);
    if (line) line.units += 1;
    else lines.push({ product, units: random.int(1, 3) });
  }
  const unitPrice = (line: Line) => (currency === 'JPY' ? line.product.price : line.product.price * 3);
  const gross = lines.reduce((sum, line) => sum + unitPrice(line) * line.units, 0) + 500;
  const cancelled = random.chance(0.04);
  const test = random.chance(0.02);
  const fate = random.next();
  let net = gross;
  if (fate < 0.04) {
    // Fully refunded: nothing left.
    net = 0;
    for (const line of lines) line.units = 0;
  } else if (fate < 0.06) {
    // Every item refunded, the shipping fee kept: counted, with no product lines.
    net = 500;
    for (const line of lines) line.units = 0;
  } else if (fate < 0.16) {
    // Partly refunded: one unit of the first line back.
    const line = lines[0];
    if (line) {
      line.units -= 1;
      net -= unitPrice(line);
    }
  }
  const units = lines.reduce((sum, line) => sum + line.units, 0);
  const order: OrderRow = {
    order_id: orderId,
    customer_id: customerId,
    placed_at: iso(placedAt),
    cancelled,
    test,
    currency,
    gross,
    net,
    units,
    counts: orderCounts({ cancelled, test, net, units }),
  };
  // A renamed product: old orders carry its former title (reports show the smallest title).
  const titleOf = (line: Line) =>
    line.product.id === 'p02' && placedAt < Date.parse('2024-01-01T00:00:00Z')
      ? 'Croissant (old)'
      : line.product.title;
  const products = lines
    .filter((line) => line.units > 0)
    .map((line) => ({
      order_id: orderId,
      customer_id: customerId,
      product_id: line.product.id,
      title: titleOf(line),
      units: line.units,
    }));
  return { order, products };
};

/** Non-overlapping spells of one customer in one segment: sometimes backfilled, some still open. */
const segmentSpells = (random: Random, customerId: string, segment: string): MembershipRow[] => {
  const spells: MembershipRow[] = [];
  let at = random.chance(0.2) ? 0 : START + random.int(0, 600) * DAY + random.int(0, DAY - 1);
  for (let i = random.int(1, 3); i > 0 && at < END; i -= 1) {
    const exit = random.chance(0.35)
      ? null
      : Math.max(at, START) + random.int(1, 200) * DAY + random.int(0, DAY - 1);
    spells.push({
      customer_id: customerId,
      kind: 'segment',
      scope: segment,
      member: segment,
      position: 0,
      entered_at: at === 0 ? BACKFILLED : iso(at),
      exited_at: exit === null ? null : iso(exit),
    });
    if (exit === null) break;
    at = exit + random.int(0, 120) * DAY + random.int(0, DAY - 1);
  }
  return spells;
};

/** A customer's way through a journey: stage after stage (skipping some), maybe leaving, maybe again. */
const journeySpells = (
  random: Random,
  customerId: string,
  journey: Definitions['journeys'][number],
): MembershipRow[] => {
  const spells: MembershipRow[] = [];
  let at = random.chance(0.15) ? 0 : START + random.int(0, 650) * DAY + random.int(0, DAY - 1);
  for (let pass = random.chance(0.2) ? 2 : 1; pass > 0 && at < END; pass -= 1) {
    let position = 0;
    for (;;) {
      const stage = journey.stages[position];
      if (!stage) break;
      const leaves = random.chance(0.3);
      const exit =
        leaves || random.chance(0.75)
          ? Math.max(at, START) + random.int(0, 90) * DAY + random.int(0, DAY - 1)
          : null;
      spells.push({
        customer_id: customerId,
        kind: 'stage',
        scope: journey.id,
        member: stage.id,
        position,
        entered_at: at === 0 ? BACKFILLED : iso(at),
        exited_at: exit === null ? null : iso(exit),
      });
      if (exit === null) return spells;
      at = exit;
      if (leaves) break;
      position += random.chance(0.15) ? 2 : 1;
    }
    at += random.int(1, 120) * DAY;
  }
  return spells;
};

/**
 * How often a customer gets a decision at each stage, and how they are split. `lift` is the chance
 * that a decision is placed shortly before one of the customer's orders — higher for the treated, so
 * the email "works" — otherwise it falls anywhere in the two years. A stage may have no control
 * group; `legacy` is a stage, and `vip-club` a journey, that the definitions no longer name.
 */
const HOLDOUT_PLAN = [
  { journey: 'welcome', stage: 'new', chance: 0.8, treated: 0.7, lift: { treated: 0.55, control: 0.25 } },
  { journey: 'welcome', stage: 'second', chance: 0.06, treated: 0.6, lift: { treated: 0.4, control: 0.3 } },
  { journey: 'welcome', stage: 'legacy', chance: 0.04, treated: 0.5, lift: { treated: 0.3, control: 0.3 } },
  { journey: 'winback', stage: 'lapsing', chance: 0.3, treated: 0.5, lift: { treated: 0.35, control: 0.3 } },
  { journey: 'winback', stage: 'reminded', chance: 0.05, treated: 1, lift: { treated: 0.3, control: 0 } },
  { journey: 'vip-club', stage: 'invited', chance: 0.03, treated: 0.5, lift: { treated: 0.3, control: 0.3 } },
] as const;

/**
 * Stage email decisions of a shop's customers: the plan above, then for every 40th customer a
 * decision at each boundary instant (the report windows cut there) and one exactly 30 days before
 * an order (the edge of the default conversion window), and one at an order's own instant.
 */
const holdoutDecisions = (random: Random, shop: AnalyticsShop): DecisionRow[] => {
  const decisions: DecisionRow[] = [];
  const ordersOf = new Map<string, number[]>();
  for (const order of shop.orders)
    ordersOf.set(order.customer_id, [
      ...(ordersOf.get(order.customer_id) ?? []),
      Date.parse(order.placed_at),
    ]);
  shop.customers.forEach((customer, index) => {
    let entry = 0;
    const decide = (journey: string, stage: string, at: number, treated: boolean) => {
      entry += 1;
      decisions.push({
        customer_id: customer.customer_id,
        journey_id: journey,
        stage_id: stage,
        entry_id: entry,
        decided_at: iso(at),
        treated,
      });
    };
    const placed = ordersOf.get(customer.customer_id) ?? [];
    for (const plan of HOLDOUT_PLAN) {
      if (!random.chance(plan.chance)) continue;
      for (let i = random.chance(0.2) ? 2 : 1; i > 0; i -= 1) {
        const treated = random.chance(plan.treated);
        const before = placed.length > 0 && random.chance(treated ? plan.lift.treated : plan.lift.control);
        const at = before
          ? random.pick(placed) - random.int(1, 25 * DAY)
          : START + random.int(0, 700) * DAY + random.int(0, DAY - 1);
        decide(plan.journey, plan.stage, at, treated);
      }
    }
    if ((index + 1) % 40 === 0) {
      BOUNDARY_INSTANTS.forEach((instant, i) => {
        decide('welcome', 'new', Date.parse(instant), i % 2 === 0);
      });
      const [first, second] = placed;
      if (first !== undefined) decide('welcome', 'new', first - 30 * DAY, true);
      if (second !== undefined) decide('welcome', 'new', second, false);
    }
  });
  return decisions;
};

/** A shop of a few hundred customers over two years, the same for the same seed. */
/** A shop with the synthetic definitions and nothing else yet, for a test to fill. */
export const emptyAnalyticsShop = (): AnalyticsShop => ({
  definitions: SHOP_DEFINITIONS,
  customers: [],
  orders: [],
  orderProducts: [],
  memberships: [],
  decisions: [],
});

export const analyticsShop = (seed = 20250701, customerCount = 480): AnalyticsShop => {
  const random = prng(seed);
  const shop = emptyAnalyticsShop();
  let orderNumber = 1000;
  const addOrder = (customerId: string, placedAt: number, currency: string) => {
    orderNumber += 1;
    const { order, products } = orderRows(random, customerId, `o${orderNumber}`, placedAt, currency);
    shop.orders.push(order);
    shop.orderProducts.push(...products);
  };
  for (let c = 1; c <= customerCount; c += 1) {
    const customerId = `c${String(c).padStart(4, '0')}`;
    const hasEmail = random.chance(0.9);
    shop.customers.push({
      customer_id: customerId,
      has_email: hasEmail,
      email_state: hasEmail ? random.pick(['subscribed', 'not_subscribed', 'unsubscribed']) : 'none',
      country: random.chance(0.2) ? null : random.pick(['JP', 'US', 'FR']),
    });
    if (random.chance(0.12)) continue; // never ordered
    const currency = random.chance(0.8) ? 'JPY' : 'USD';
    let at = START + random.int(0, 700) * DAY + random.int(0, DAY - 1);
    const orders = random.chance(0.45) ? 1 : random.int(2, 9);
    for (let i = 0; i < orders && at < END + 30 * DAY; i += 1) {
      addOrder(customerId, at, random.chance(0.05) ? (currency === 'JPY' ? 'USD' : 'JPY') : currency);
      // Now and then two orders at the same instant: order ids break the tie.
      if (random.chance(0.03)) addOrder(customerId, at, currency);
      at += random.chance(0.1) ? random.int(0, DAY) : random.int(1, 120) * DAY + random.int(0, DAY);
    }
    if (c % 40 === 0) {
      for (const instant of BOUNDARY_INSTANTS) addOrder(customerId, Date.parse(instant), currency);
    }
    for (const segment of SHOP_DEFINITIONS.segments)
      if (random.chance(0.6)) shop.memberships.push(...segmentSpells(random, customerId, segment.id));
    for (const journey of SHOP_DEFINITIONS.journeys)
      if (random.chance(0.75)) shop.memberships.push(...journeySpells(random, customerId, journey));
  }
  // A generator of their own, so adding decisions left every other row as it was.
  shop.decisions = holdoutDecisions(prng(seed + 1), shop);
  return shop;
};

export const snapshotOf = (shop: AnalyticsShop, refreshedAt = '2025-07-01T00:00:00.000Z'): Snapshot => ({
  shop: 'bakery-demo.myshopify.com',
  refreshedAt,
  ...shop,
});
