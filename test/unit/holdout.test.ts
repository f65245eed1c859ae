import { describe, expect, it } from 'vitest';
import { inControlGroup } from '#domain/holdout.ts';
import { definitionProblems } from '#domain/journey-config.ts';
import { templates } from '#journeys/templates.ts';

const who = (customerId: number, stageId = 'first-rum-baba') => ({
  shop: 'bakery-demo.myshopify.com',
  customerId: String(customerId),
  journeyId: 'rum-baba-fans',
  stageId,
});
const customers = Array.from({ length: 20_000 }, (_, i) => 100_000 + i);

describe('holdout assignment', () => {
  it('holds out about the share asked for, the same customers every time', () => {
    const control = customers.filter((c) => inControlGroup({ percent: 10 }, who(c)));

    expect(control.length / customers.length).toBeGreaterThan(0.09);
    expect(control.length / customers.length).toBeLessThan(0.11);
    expect(customers.filter((c) => inControlGroup({ percent: 10 }, who(c)))).toEqual(control);
  });

  it('draws each stage, and each salt, independently', () => {
    const a = new Set(customers.filter((c) => inControlGroup({ percent: 10 }, who(c, 'first-rum-baba'))));
    const b = customers.filter((c) => inControlGroup({ percent: 10 }, who(c, 'second-rum-baba')));
    const salted = customers.filter((c) => inControlGroup({ percent: 10, salt: 'spring' }, who(c)));
    const both = b.filter((c) => a.has(c)).length;
    const again = salted.filter((c) => a.has(c)).length;

    // Independent draws overlap in about 10 % of 10 %: 1 % of customers.
    expect(both / customers.length).toBeGreaterThan(0.005);
    expect(both / customers.length).toBeLessThan(0.015);
    expect(again / customers.length).toBeLessThan(0.015);
  });

  it('holds nobody out of a stage without a holdout', () => {
    expect(customers.some((c) => inControlGroup(undefined, who(c)))).toBe(false);
  });

  it.each([
    [{ percent: 0 }, 'a holdout of 0 % holds nobody out: remove it'],
    [{ percent: 100 }, 'a holdout of 100 % sends nothing: remove the action instead'],
  ])('refuses %j in a journey', (holdout, message) => {
    const journey = {
      id: 'j',
      name: 'J',
      stages: [
        {
          id: 's',
          when: { type: 'ordersCount', count: { min: 1 } },
          action: { type: 'email', template: 'rum-baba-coupon', holdout },
        },
      ],
    };
    expect(definitionProblems('journey', journey, { templates }).problems).toEqual([
      `.stages[0].action.holdout.percent: ${message}`,
    ]);
  });
});
