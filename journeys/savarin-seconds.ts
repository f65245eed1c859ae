import type { Journey } from '#domain/journey.ts';

/** Savarin, the bakery's new cake. */
const SAVARIN = { productIds: ['8001000000006'] };

/**
 * The timed coupon: a second-Savarin coupon sent shortly before customers typically come back (the
 * day 40 % of the shop's returning customers had ordered again; 5 days while too few have),
 * cancelled if the customer orders anything first, once per customer, and kept from a 20 % control
 * group so its lift is measured (analytics: holdouts).
 */
export const savarinSeconds: Journey = {
  id: 'savarin-seconds',
  name: 'Savarin seconds',
  description: 'A second-Savarin coupon timed to the shop’s own repurchase interval, with a control group.',
  stages: [
    {
      id: 'first-savarin',
      name: 'Bought Savarin once',
      when: { type: 'ordersContaining', products: SAVARIN, count: { min: 1, max: 1 } },
      action: {
        type: 'email',
        template: 'savarin-coupon',
        coupon: { code: 'SAVARIN-AGAIN' },
        after: { percentile: 40, of: 'repurchase-interval', fallback: { days: 5 } },
        exitOnOrder: true,
        reentry: 'once',
        holdout: { percent: 20 },
      },
    },
    {
      id: 'savarin-regular',
      name: 'Bought Savarin twice or more',
      when: { type: 'ordersContaining', products: SAVARIN, count: { min: 2 } },
    },
  ],
};
