import type { Journey } from '#domain/journey.ts';

/** Morning Sandwich, any filling (egg, ham & cheese). */
const MORNING_SANDWICH = { productIds: ['8001000000002'] };

/** The bakery's morning regulars: a first sandwich earns a second-visit coupon; weekly regulars a pairing offer. */
export const morningRegulars: Journey = {
  id: 'morning-regulars',
  name: 'Morning Regulars',
  description: 'Customers who habitually buy a sandwich in the morning.',
  stages: [
    {
      id: 'first-sandwich',
      name: 'Bought a Morning Sandwich once',
      when: { type: 'ordersContaining', products: MORNING_SANDWICH, count: { min: 1, max: 1 } },
      action: { type: 'email', template: 'morning-second-visit', coupon: { code: 'MORNING-AGAIN' } },
    },
    {
      id: 'weekly-regular',
      name: '3+ sandwich orders, the last within 14 days',
      when: {
        type: 'ordersContaining',
        products: MORNING_SANDWICH,
        count: { min: 3 },
        lastOrder: { withinLastDays: 14 },
      },
      action: { type: 'email', template: 'morning-croissant-pairing', coupon: { code: 'CROISSANT-PAIR' } },
    },
  ],
};
