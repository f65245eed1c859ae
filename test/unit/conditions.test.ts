import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Condition, ConditionSchema, evaluate } from '#domain/conditions.ts';
import { CONDITION_REFERENCE, renderConditionReference } from '#domain/conditions-reference.ts';
import { compileConfig } from '#domain/journey-config.ts';
import { simulateCustomer, type TimelineEntry } from '#domain/simulate.ts';

const RUM_BABA = { productId: '8001000000001', sku: 'RB-001', vendor: 'Demo Bakery', title: 'Rum Baba' };
const SANDWICH = {
  productId: '8001000000002',
  variantId: '4500100000012',
  sku: 'SW-HAM',
  title: 'Morning Sandwich',
};
const TEA = {
  productId: '8001000000005',
  sku: 'TEA-EG-100',
  vendor: 'Tea Partner',
  title: 'Earl Grey Tea Leaves',
};
const DAY = 86_400_000;
const T0 = Date.parse('2026-09-01T00:00:00Z');
const day = (n: number) => new Date(T0 + n * DAY).toISOString();

/** A customer with a realistic history, built by the same functions the stack applies webhooks with. */
const history: TimelineEntry[] = [
  { at: day(0), consent: 'subscribed' },
  { at: day(0), address: { countryCode: 'JP', provinceCode: 'JP-13' } },
  {
    at: day(1),
    order: {
      lines: [RUM_BABA, { ...TEA, quantity: 2 }],
      total: { amount: 2160, currency: 'JPY' },
      tags: ['gift'],
      channel: 'web',
    },
  },
  {
    at: day(8),
    order: {
      lines: [{ ...SANDWICH, quantity: 3 }],
      total: { amount: 1680, currency: 'JPY' },
      discountCodes: ['morning-again'],
      channel: 'pos',
    },
  },
  {
    at: day(20),
    order: {
      lines: [RUM_BABA, SANDWICH],
      total: { amount: 1000, currency: 'JPY' },
      tags: ['gift', 'vip-order'],
      channel: 'pos',
    },
  },
  { at: day(21), tagsAdded: ['vip', 'tokyo'] },
  { at: day(22), tagsRemoved: ['tokyo'] },
  { at: day(30), order: { lines: [TEA], total: { amount: 1200, currency: 'JPY' }, cancelled: true } },
];

/** Evaluates a condition for that customer, `daysLater` after their last change. */
const holds = (condition: Condition, daysLater = 0, timeline = history): boolean => {
  const config = compileConfig({
    brandName: 't',
    journeys: [],
    segments: [{ id: 's', name: 's', when: condition }],
    templates: {},
  });
  const { aggregate } = simulateCustomer(config, timeline);
  if (!aggregate) throw new Error('no aggregate');
  return evaluate(condition, aggregate, Date.parse(aggregate.updatedAt) + daysLater * DAY);
};

describe.each<[string, Condition, boolean]>([
  ['orders count in range', { type: 'ordersCount', count: { min: 3, max: 3 } }, true],
  ['cancelled orders do not count', { type: 'ordersCount', count: { min: 4 } }, false],
  ['total spent at least ¥4,840', { type: 'totalSpent', amount: { currency: 'JPY', min: 4840 } }, true],
  ['total spent below ¥4,000', { type: 'totalSpent', amount: { currency: 'JPY', max: 3999 } }, false],
  ['total spent in another currency', { type: 'totalSpent', amount: { currency: 'USD', min: 0 } }, false],
  [
    'average order value ¥1,613',
    { type: 'averageOrderValue', amount: { currency: 'JPY', min: 1613, max: 1614 } },
    true,
  ],
  [
    'average order value above ¥2,000',
    { type: 'averageOrderValue', amount: { currency: 'JPY', min: 2000 } },
    false,
  ],
  [
    'bought Rum Baba exactly twice (orders)',
    { type: 'ordersContaining', products: { productIds: ['8001000000001'] }, count: { min: 2, max: 2 } },
    true,
  ],
  [
    'bought Rum Baba at least 3 times',
    { type: 'ordersContaining', products: { productIds: ['8001000000001'] }, count: { min: 3 } },
    false,
  ],
  [
    'by variant id',
    { type: 'ordersContaining', products: { variantIds: ['4500100000012'] }, count: { min: 2 } },
    true,
  ],
  [
    'by SKU',
    { type: 'ordersContaining', products: { skus: ['TEA-EG-100'] }, count: { min: 1, max: 1 } },
    true,
  ],
  ['by vendor', { type: 'ordersContaining', products: { vendors: ['Tea Partner'] } }, true],
  ['by title', { type: 'ordersContaining', products: { titles: ['Croissant'] } }, false],
  [
    'units bought: 4 sandwiches',
    { type: 'ordersContaining', products: { productIds: ['8001000000002'] }, units: { min: 4, max: 4 } },
    true,
  ],
  [
    'units bought: 5+ sandwiches',
    { type: 'ordersContaining', products: { productIds: ['8001000000002'] }, units: { min: 5 } },
    false,
  ],
  [
    'last sandwich within 14 days',
    {
      type: 'ordersContaining',
      products: { productIds: ['8001000000002'] },
      lastOrder: { withinLastDays: 14 },
    },
    true,
  ],
  ['first order contained tea', { type: 'nthOrderContains', n: 1, products: { skus: ['TEA-EG-100'] } }, true],
  [
    'second order contained a sandwich',
    { type: 'nthOrderContains', n: 2, products: { productIds: ['8001000000002'] } },
    true,
  ],
  [
    'second order contained Rum Baba',
    { type: 'nthOrderContains', n: 2, products: { productIds: ['8001000000001'] } },
    false,
  ],
  [
    'fourth order (there is none)',
    { type: 'nthOrderContains', n: 4, products: { productIds: ['8001000000001'] } },
    false,
  ],
  ['first order after an absolute date', { type: 'firstOrderDate', date: { after: day(0) } }, true],
  ['first order before an absolute date', { type: 'firstOrderDate', date: { before: day(1) } }, false],
  ['first order between dates', { type: 'firstOrderDate', date: { after: day(0), before: day(2) } }, true],
  ['last order within 14 days', { type: 'lastOrderDate', date: { withinLastDays: 14 } }, true],
  ['last order more than 60 days ago', { type: 'lastOrderDate', date: { moreThanDaysAgo: 60 } }, false],
  ['order tag on 2 orders', { type: 'orderTag', tags: ['gift'], count: { min: 2 } }, true],
  ['order tag never used', { type: 'orderTag', tags: ['wholesale'] }, false],
  ['customer tag present', { type: 'customerTag', tags: ['vip'] }, true],
  ['customer tag removed', { type: 'customerTag', tags: ['tokyo'] }, false],
  ['email marketing subscribed', { type: 'emailMarketing', states: ['subscribed'] }, true],
  [
    'email marketing unsubscribed',
    { type: 'emailMarketing', states: ['unsubscribed', 'not_subscribed'] },
    false,
  ],
  ['country', { type: 'address', countryCodes: ['JP'] }, true],
  ['country and province', { type: 'address', countryCodes: ['JP'], provinceCodes: ['JP-27'] }, false],
  ['discount code used (any case)', { type: 'discountCode', codes: ['MORNING-AGAIN'] }, true],
  ['discount code twice', { type: 'discountCode', codes: ['morning-again'], count: { min: 2 } }, false],
  ['channel pos twice', { type: 'channel', channels: ['pos'], count: { min: 2, max: 2 } }, true],
  ['channel draft orders', { type: 'channel', channels: ['shopify_draft_order'] }, false],
  [
    'all',
    {
      type: 'all',
      conditions: [
        { type: 'customerTag', tags: ['vip'] },
        { type: 'ordersCount', count: { min: 3 } },
      ],
    },
    true,
  ],
  [
    'any',
    {
      type: 'any',
      conditions: [
        { type: 'customerTag', tags: ['tokyo'] },
        { type: 'ordersCount', count: { min: 9 } },
      ],
    },
    false,
  ],
  ['not', { type: 'not', condition: { type: 'customerTag', tags: ['tokyo'] } }, true],
])('%s', (_name, condition, expected) => {
  it(`evaluates to ${expected}`, () => {
    expect(ConditionSchema.parse(condition)).toEqual(condition);
    expect(holds(condition)).toBe(expected);
  });
});

describe('time-relative conditions', () => {
  it('are evaluated at the given time: the same customer lapses as days pass', () => {
    const lapsed: Condition = { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } };
    // The last counted order was on day 20 and the last change on day 30.
    expect(holds(lapsed, 35)).toBe(false);
    expect(holds(lapsed, 36)).toBe(true);
  });

  it('never match a customer who never ordered', () => {
    const never: TimelineEntry[] = [{ at: day(0), consent: 'subscribed' }];
    expect(holds({ type: 'lastOrderDate', date: { moreThanDaysAgo: 1 } }, 10, never)).toBe(false);
    expect(holds({ type: 'averageOrderValue', amount: { currency: 'JPY', min: 0 } }, 0, never)).toBe(false);
  });
});

describe('condition validation', () => {
  it.each([
    [
      'an impossible count range',
      { type: 'ordersCount', count: { min: 3, max: 1 } },
      'min must not exceed max',
    ],
    ['a lower-case currency', { type: 'totalSpent', amount: { currency: 'jpy', min: 1 } }, 'ISO 4217'],
    [
      'an empty product selection',
      { type: 'ordersContaining', products: {}, count: { min: 1 } },
      'select at least one product field',
    ],
    ['a sixth order', { type: 'nthOrderContains', n: 6, products: { skus: ['X'] } }, 'Too big'],
    [
      'a date range the wrong way round',
      { type: 'lastOrderDate', date: { after: day(2), before: day(1) } },
      'after must be earlier than before',
    ],
    [
      'an unknown condition',
      { type: 'ordersPerWeek', count: { min: 1 } },
      "Invalid discriminator value. Expected 'ordersCount'",
    ],
    ['an unknown field', { type: 'ordersCount', count: { min: 1 }, since: 'yesterday' }, 'Unrecognized key'],
  ])('rejects %s', (_name, condition, message) => {
    const result = ConditionSchema.safeParse(condition);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(' ')).toContain(message);
  });
});

describe('the condition reference', () => {
  it('has a valid example for every condition', () => {
    for (const [type, entry] of Object.entries(CONDITION_REFERENCE)) {
      expect(entry.example.type).toBe(type);
      expect(ConditionSchema.safeParse(entry.example).success).toBe(true);
    }
  });

  it('is what docs/conditions.md says (run `npm run docs` after changing it)', () => {
    expect(readFileSync(new URL('../../docs/conditions.md', import.meta.url), 'utf8')).toBe(
      renderConditionReference(),
    );
  });
});
