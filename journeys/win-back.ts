import type { Journey } from '#domain/journey.ts';

/**
 * Regulars who stop coming: entered by time alone — 45 days after their last order, the sweep moves
 * them to `lapsing` with no webhook — and reminded once. A reminder the frequency cap stops waits
 * until the cap has room.
 */
export const winBack: Journey = {
  id: 'win-back',
  name: 'Win back regulars',
  description: 'A reminder for regulars 45 days after their last order, entered by time.',
  stages: [
    {
      id: 'regular',
      name: '3+ orders, the last within 45 days',
      when: {
        type: 'all',
        conditions: [
          { type: 'ordersCount', count: { min: 3 } },
          { type: 'lastOrderDate', date: { withinLastDays: 45 } },
        ],
      },
    },
    {
      id: 'lapsing',
      name: '3+ orders, none for 45 days',
      when: {
        type: 'all',
        conditions: [
          { type: 'ordersCount', count: { min: 3 } },
          { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
        ],
      },
      action: { type: 'email', template: 'we-miss-you', coupon: { code: 'WELCOME-BACK' }, onCap: 'defer' },
    },
  ],
};
