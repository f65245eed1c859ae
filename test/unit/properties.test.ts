import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CustomerAggregate, emptyAggregate } from '#domain/aggregate.ts';
import { orderChange, refundChange } from '#domain/apply.ts';
import { type Condition, evaluate } from '#domain/conditions.ts';
import { currentStage } from '#domain/journey.ts';
import {
  type OrderContribution,
  type OrderFacts,
  type RefundContribution,
  type RefundFacts,
  refundContribution,
  selectorKey,
} from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { rumBabaFans } from '#journeys/rum-baba-fans.ts';

const RUM_BABA = { productIds: ['8001000000001', '8001000000008'] };
const NOW = Date.parse('2026-11-24T00:00:00Z');
const iso = fc.integer({ min: NOW - 400 * 86_400_000, max: NOW }).map((t) => new Date(t).toISOString());
const range = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  )
  .map(([a, b]) => (a !== undefined && b !== undefined && a > b ? { min: b, max: a } : { min: a, max: b }))
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));

const aggregate: fc.Arbitrary<CustomerAggregate> = fc
  .record({
    orders: fc.integer({ min: 0, max: 8 }),
    rumBaba: fc.integer({ min: 0, max: 8 }),
    spent: fc.integer({ min: 0, max: 50_000 }),
    last: iso,
    tags: fc.subarray(['vip', 'tokyo', 'wholesale']),
    state: fc.constantFrom('subscribed', 'not_subscribed', 'unsubscribed', 'unknown' as const),
    country: fc.constantFrom('JP', 'FR', null),
  })
  .map(({ orders, rumBaba, spent, last, tags, state, country }) => ({
    ...emptyAggregate('shop', '1', new Date(NOW).toISOString()),
    ordersCount: orders,
    totalSpent: orders > 0 ? { amount: spent, currency: 'JPY' } : null,
    firstOrderAt: orders > 0 ? last : null,
    lastOrderAt: orders > 0 ? last : null,
    counters:
      rumBaba > 0
        ? { [selectorKey(RUM_BABA)]: { orders: rumBaba, units: rumBaba, firstAt: last, lastAt: last } }
        : {},
    customerTags: Object.fromEntries(tags.map((t) => [t, { present: true, at: last }])),
    address: country ? { countryCode: country, provinceCode: null, updatedAt: last } : null,
    emailMarketing: { state, updatedAt: null },
  }));

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  range.map((count): Condition => ({ type: 'ordersCount', count })),
  range.map((count): Condition => ({ type: 'ordersContaining', products: RUM_BABA, count })),
  fc
    .integer({ min: 0, max: 50_000 })
    .map((min): Condition => ({ type: 'totalSpent', amount: { currency: 'JPY', min } })),
  fc
    .integer({ min: 1, max: 400 })
    .map((days): Condition => ({ type: 'lastOrderDate', date: { withinLastDays: days } })),
  fc
    .integer({ min: 1, max: 400 })
    .map((days): Condition => ({ type: 'lastOrderDate', date: { moreThanDaysAgo: days } })),
  fc.constantFrom('vip', 'tokyo', 'other').map((tag): Condition => ({ type: 'customerTag', tags: [tag] })),
  fc.constantFrom('JP', 'FR').map((c): Condition => ({ type: 'address', countryCodes: [c] })),
  fc.constant<Condition>({ type: 'emailMarketing', states: ['subscribed'] }),
);
const condition: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('c'), { maxLength: 3 }).map((conditions): Condition => ({ type: 'all', conditions })),
    fc.array(tie('c'), { maxLength: 3 }).map((conditions): Condition => ({ type: 'any', conditions })),
    tie('c').map((c): Condition => ({ type: 'not', condition: c })),
  ),
})).c;

const holds = (c: Condition, a: CustomerAggregate) => evaluate(c, a, NOW);

describe('the evaluator (properties)', () => {
  it('is deterministic', () => {
    fc.assert(fc.property(condition, aggregate, (c, a) => holds(c, a) === holds(c, structuredClone(a))));
  });

  it('not(not c) ≡ c', () => {
    fc.assert(
      fc.property(
        condition,
        aggregate,
        (c, a) => holds({ type: 'not', condition: { type: 'not', condition: c } }, a) === holds(c, a),
      ),
    );
  });

  it("obeys De Morgan's laws", () => {
    fc.assert(
      fc.property(fc.array(condition, { maxLength: 4 }), aggregate, (cs, a) => {
        const notAll = holds({ type: 'not', condition: { type: 'all', conditions: cs } }, a);
        const anyNot = holds(
          { type: 'any', conditions: cs.map((c): Condition => ({ type: 'not', condition: c })) },
          a,
        );
        const notAny = holds({ type: 'not', condition: { type: 'any', conditions: cs } }, a);
        const allNot = holds(
          { type: 'all', conditions: cs.map((c): Condition => ({ type: 'not', condition: c })) },
          a,
        );
        return notAll === anyNot && notAny === allNot;
      }),
    );
  });

  it('holds for all([]) and not for any([])', () => {
    fc.assert(
      fc.property(
        aggregate,
        (a) => holds({ type: 'all', conditions: [] }, a) && !holds({ type: 'any', conditions: [] }, a),
      ),
    );
  });

  it('places customers in count-based journeys monotonically: more orders never move a stage back', () => {
    const index = (a: CustomerAggregate) => {
      const stage = currentStage(rumBabaFans, a, NOW);
      return stage ? rumBabaFans.stages.indexOf(stage) : -1;
    };
    fc.assert(
      fc.property(aggregate, fc.integer({ min: 1, max: 5 }), (a, more) => {
        const before = a.counters[selectorKey(RUM_BABA)]?.orders ?? 0;
        const after: CustomerAggregate = {
          ...a,
          ordersCount: a.ordersCount + more,
          counters: {
            [selectorKey(RUM_BABA)]: {
              orders: before + more,
              units: before + more,
              firstAt: null,
              lastAt: null,
            },
          },
        };
        return a.ordersCount < before || index(after) >= index(a);
      }),
    );
  });

  it('evaluates the deployed journeys without throwing for any customer', () => {
    fc.assert(
      fc.property(aggregate, (a) => {
        for (const journey of journeyConfig.journeys) currentStage(journey, a, NOW);
        return true;
      }),
    );
    expect(journeyConfig.journeys.length).toBeGreaterThan(0);
  });
});

describe('applying order versions and refunds (properties)', () => {
  const day = (n: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + n * 86_400_000).toISOString();
  const version = fc.record({
    updated: fc.integer({ min: 0, max: 20 }),
    cancelled: fc.boolean(),
    rumBaba: fc.integer({ min: 0, max: 2 }),
    sandwich: fc.integer({ min: 0, max: 2 }),
    tag: fc.constantFrom('gift', 'pickup', null),
  });
  // Every version of an order has its own updated_at, as in Shopify (a change always moves it).
  const versions = fc.uniqueArray(version, { minLength: 1, maxLength: 3, selector: (v) => v.updated });
  const refund = fc.record({
    at: fc.integer({ min: 0, max: 20 }),
    rumBaba: fc.integer({ min: 0, max: 2 }),
    amount: fc.integer({ min: 0, max: 1_000 }),
  });
  const history = fc.array(
    fc.record({
      placed: fc.integer({ min: 0, max: 30 }),
      versions,
      refunds: fc.array(refund, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 6 },
  );
  type Refund = { at: number; rumBaba: number; amount: number };
  const RUM_BABA_LINE = {
    productId: '8001000000001',
    variantId: null,
    sku: null,
    vendor: null,
    title: 'Rum Baba',
  };
  const refundFacts = (orderId: string, placed: number, r: Refund, index: number): RefundFacts => ({
    refundId: `${orderId}-${index}`,
    orderId,
    createdAt: day(placed + r.at),
    amount: { amount: r.amount, currency: 'JPY' },
    lines: [{ ...RUM_BABA_LINE, quantity: r.rumBaba }],
  });
  const facts = (
    orderId: string,
    placed: number,
    v: { updated: number; cancelled: boolean; rumBaba: number; sandwich: number; tag: string | null },
    refunds: readonly RefundFacts[],
  ): OrderFacts => ({
    orderId,
    customerId: '1',
    email: 'a@example.com',
    placedAt: day(placed),
    updatedAt: day(placed + v.updated),
    total: { amount: 480 * v.rumBaba + 520 * v.sandwich + 100, currency: 'JPY' },
    lines: [
      { ...RUM_BABA_LINE, quantity: v.rumBaba },
      {
        productId: '8001000000002',
        variantId: null,
        sku: null,
        vendor: null,
        title: 'Morning Sandwich',
        quantity: v.sandwich,
      },
    ],
    cancelled: v.cancelled,
    test: false,
    tags: v.tag ? [v.tag] : [],
    discountCodes: [],
    channel: 'web',
    address: null,
    refunds: [...refunds],
  });
  type Delivery = { order: OrderFacts } | { refund: RefundFacts };

  /**
   * Applies deliveries the way the store does: newest version per order wins, others rebuilt on
   * demand; a refund for an order not seen yet is parked and taken in by the order's next version.
   */
  const applyAll = (deliveries: readonly Delivery[]) => {
    const stored = new Map<string, OrderContribution>();
    const parked = new Map<string, RefundContribution[]>();
    let agg: CustomerAggregate | null = null;
    for (const d of deliveries) {
      const orderId = 'order' in d ? d.order.orderId : d.refund.orderId;
      const others = [...stored.values()].filter((o) => o.orderId !== orderId);
      let change: ReturnType<typeof orderChange>;
      if ('order' in d) {
        change = orderChange(
          {
            shop: 'shop',
            current: agg,
            stored: stored.get(orderId),
            facts: d.order,
            options: journeyConfig,
            now: '2026-06-01T00:00:00.000Z',
            parkedRefunds: parked.get(orderId) ?? [],
          },
          others,
        );
      } else {
        const r = refundContribution(d.refund, journeyConfig);
        parked.set(orderId, [...(parked.get(orderId) ?? []).filter((p) => p.refundId !== r.refundId), r]);
        change = refundChange(agg, stored.get(orderId), [r], d.refund.createdAt, others);
      }
      if (typeof change === 'string') continue;
      stored.set(orderId, change.order);
      agg = change.aggregate;
    }
    return agg;
  };

  it('end in the same aggregate for any arrival order and duplication as the newest versions applied once', () => {
    fc.assert(
      fc.property(
        history,
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (orders, copies, randoms) => {
          const all: Delivery[] = orders.flatMap((o, i) => {
            const refunds = o.refunds.map((r, n) => refundFacts(String(i), o.placed, r, n));
            return [
              // A version lists the refunds made before it, as Shopify's order payload does.
              ...o.versions.map((v) => ({
                order: facts(
                  String(i),
                  o.placed,
                  v,
                  refunds.filter((r) => r.createdAt <= day(o.placed + v.updated)),
                ),
              })),
              ...refunds.map((refund) => ({ refund })),
            ];
          });
          const newest = orders.map((o, i) => {
            const best = o.versions.reduce((a, b) => (b.updated > a.updated ? b : a));
            const refunds = o.refunds.map((r, n) => refundFacts(String(i), o.placed, r, n));
            return { order: facts(String(i), o.placed, best, refunds) };
          });
          const it = randoms[Symbol.iterator]();
          const shuffled = Array.from({ length: copies }, () => all)
            .flat()
            .map((d) => ({ d, key: it.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ d }) => d);
          const expected = applyAll(newest);
          const actual = applyAll(shuffled);
          const strip = (a: CustomerAggregate | null) => (a ? { ...a, version: 0, updatedAt: '' } : null);
          expect(strip(actual)).toEqual(strip(expected));
        },
      ),
      { numRuns: 300 },
    );
  });
});
