import type { Condition, ConditionType } from './conditions.ts';

type Entry = { summary: string; example: Condition; reads: string };

/**
 * The documented form of every condition, with a working example. Typed by condition type, so a
 * new condition cannot be added without its documentation; `npm run docs` renders it into
 * docs/conditions.md and a test keeps the two in sync.
 */
export const CONDITION_REFERENCE: Record<ConditionType, Entry> = {
  ordersCount: {
    summary:
      'Number of counted orders (cancelled and test orders do not count). `count` is an inclusive range; omit a bound to leave it open.',
    example: { type: 'ordersCount', count: { min: 3 } },
    reads: 'ordersCount',
  },
  totalSpent: {
    summary:
      'Total spent over counted orders, in minor units of one currency (JPY has none: ¥5,000 is 5000; $50.00 is 5000). A customer in another currency never matches.',
    example: { type: 'totalSpent', amount: { currency: 'JPY', min: 5000 } },
    reads: 'totalSpent',
  },
  averageOrderValue: {
    summary:
      'Total spent divided by counted orders (rounded to a minor unit), same units as totalSpent. Never matches a customer without orders.',
    example: { type: 'averageOrderValue', amount: { currency: 'JPY', min: 1500, max: 3000 } },
    reads: 'totalSpent, ordersCount',
  },
  ordersContaining: {
    summary:
      'Orders with at least one line matching the product selection (product ids, variant ids, SKUs, vendors or titles; fields combine with "or"). `count` counts orders, not units ("bought X exactly N times", "at least N", "between"); `units` counts units; `lastOrder` is a date condition on the latest such order. With neither count nor units, at least one order.',
    example: {
      type: 'ordersContaining',
      products: { productIds: ['8001000000002'] },
      count: { min: 3 },
      lastOrder: { withinLastDays: 14 },
    },
    reads: 'counters[selector]',
  },
  nthOrderContains: {
    summary:
      'The customer\'s n-th order (by the time it was placed; n from 1 to 5) had a line matching the product selection: "the first order contained X".',
    example: { type: 'nthOrderContains', n: 2, products: { skus: ['TEA-EG-100'] } },
    reads: 'firstOrders',
  },
  firstOrderDate: {
    summary:
      'When the first counted order was placed. Date conditions: `{ withinLastDays: N }`, `{ moreThanDaysAgo: N }` (relative to the evaluation time) or `{ after, before }` (ISO 8601, either bound). Never matches a customer without orders.',
    example: { type: 'firstOrderDate', date: { after: '2026-01-01T00:00:00Z' } },
    reads: 'firstOrderAt',
  },
  lastOrderDate: {
    summary: 'When the latest counted order was placed; the same date conditions as firstOrderDate.',
    example: { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
    reads: 'lastOrderAt',
  },
  orderTag: {
    summary: 'Orders carrying any of the order tags; `count` as for ordersCount (default: at least one).',
    example: { type: 'orderTag', tags: ['gift'], count: { min: 2 } },
    reads: 'orderTags',
  },
  customerTag: {
    summary: 'The customer currently has any of the tags (from customer.tags_added / customer.tags_removed).',
    example: { type: 'customerTag', tags: ['vip'] },
    reads: 'customerTags',
  },
  emailMarketing: {
    summary:
      'The email marketing state is one of: subscribed, not_subscribed, unsubscribed, pending, redacted, invalid, unknown (no consent webhook yet).',
    example: { type: 'emailMarketing', states: ['subscribed'] },
    reads: 'emailMarketing.state',
  },
  address: {
    summary:
      'The default address is in one of the countries (ISO 3166-1 alpha-2) and/or provinces (Shopify province codes). Give one list or both; both must match.',
    example: { type: 'address', countryCodes: ['JP'], provinceCodes: ['JP-13'] },
    reads: 'address',
  },
  discountCode: {
    summary:
      'Orders that used any of the discount codes (case-insensitive); `count` as for ordersCount (default: at least one).',
    example: { type: 'discountCode', codes: ['RUMBABA-AGAIN'] },
    reads: 'discountCodes',
  },
  channel: {
    summary:
      "Orders from any of the sales channels (Shopify's source_name: web, pos, shopify_draft_order, an app id...); `count` as for ordersCount (default: at least one).",
    example: { type: 'channel', channels: ['pos'], count: { min: 2 } },
    reads: 'channels',
  },
  all: {
    summary: 'Every condition holds. `all` of nothing holds.',
    example: {
      type: 'all',
      conditions: [
        { type: 'ordersCount', count: { min: 3 } },
        { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
      ],
    },
    reads: '(its conditions)',
  },
  any: {
    summary: 'At least one condition holds. `any` of nothing does not hold.',
    example: {
      type: 'any',
      conditions: [
        { type: 'customerTag', tags: ['vip'] },
        { type: 'totalSpent', amount: { currency: 'JPY', min: 20000 } },
      ],
    },
    reads: '(its conditions)',
  },
  not: {
    summary: 'The condition does not hold.',
    example: {
      type: 'not',
      condition: { type: 'ordersContaining', products: { productIds: ['8001000000001'] } },
    },
    reads: '(its condition)',
  },
};

/** Renders docs/conditions.md. */
export const renderConditionReference = (): string => {
  const sections = Object.entries(CONDITION_REFERENCE).map(
    ([type, entry]) =>
      `## \`${type}\`\n\n${entry.summary}\n\nReads: \`${entry.reads}\`\n\n\`\`\`json\n${JSON.stringify(entry.example, null, 2)}\n\`\`\`\n`,
  );
  return [
    '# Conditions',
    '',
    '<!-- Generated by `npm run docs` from functions/domain/conditions-reference.ts; a test keeps it in sync. -->',
    '',
    "Segments and journey stages are conditions over one customer's aggregate, composed with `all`, `any` and `not`.",
    "Each is evaluated at the customer's event time — the latest time, in Shopify, of any change applied to them",
    "(an order's updated_at, a consent or tag change) — in time proportional to the size of the condition,",
    "whatever the customer's history.",
    'Counts are inclusive ranges `{ "min": N, "max": M }` with either bound optional. Money is integer minor units.',
    '',
    ...sections,
  ].join('\n');
};
