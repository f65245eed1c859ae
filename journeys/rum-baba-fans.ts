import type { Journey } from '#domain/journey.ts';

/** Rum Baba (single) and the Rum Baba Gift Box: an order with either counts once. */
const RUM_BABA = { productIds: ['8001000000001', '8001000000008'] };

/**
 * The demo bakery's reference journey: never bought Rum Baba → once → twice → a fan.
 * Counts orders containing Rum Baba, not units.
 */
export const rumBabaFans: Journey = {
  id: 'rum-baba-fans',
  name: 'Rum Baba Fans',
  description:
    "Nurture customers into Rum Baba fans: a coupon for the second, serving ideas, then a fan's pre-sale.",
  stages: [
    {
      id: 'not-yet',
      name: 'Customer, no Rum Baba yet',
      when: {
        type: 'all',
        conditions: [
          { type: 'ordersCount', count: { min: 1 } },
          { type: 'ordersContaining', products: RUM_BABA, count: { max: 0 } },
        ],
      },
    },
    {
      id: 'first-rum-baba',
      name: 'Bought Rum Baba once',
      when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 1, max: 1 } },
      action: { type: 'email', template: 'rum-baba-coupon', coupon: { code: 'RUMBABA-AGAIN' } },
    },
    {
      id: 'second-rum-baba',
      name: 'Bought Rum Baba twice',
      when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 2, max: 2 } },
      action: { type: 'email', template: 'rum-baba-serving-ideas' },
    },
    {
      id: 'rum-baba-fan',
      name: 'Rum Baba fan (3+ orders)',
      when: { type: 'ordersContaining', products: RUM_BABA, count: { min: 3 } },
      action: { type: 'email', template: 'rum-baba-presale', coupon: { code: 'FAN-GIFTBOX' } },
    },
  ],
};
