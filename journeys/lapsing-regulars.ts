import type { Segment } from '#domain/journey.ts';

/** Regulars who have gone quiet: 3 or more orders, none in the last 45 days. */
export const lapsingRegulars: Segment = {
  id: 'lapsing-regulars',
  name: 'Lapsing regulars',
  description: 'Win-back audience: loyal once, no order for 45 days.',
  when: {
    type: 'all',
    conditions: [
      { type: 'ordersCount', count: { min: 3 } },
      { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
    ],
  },
};
