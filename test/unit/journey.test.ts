import { describe, expect, it } from 'vitest';
import { evaluate } from '#domain/conditions.ts';
import { transitionEvents } from '#domain/events.ts';
import { currentStage, type Journey, stageTransitions } from '#domain/journey.ts';
import { compileConfig, JourneyConfigError } from '#domain/journey-config.ts';
import { journeyConfig } from '#journeys/index.ts';
import { rumBabaFans } from '#journeys/rum-baba-fans.ts';
import { templates } from '#journeys/templates.ts';
import { aggregateFactory, rumBabaCounters } from '../support/factories.ts';

const customer = (orders: number, rumBabaOrders: number, version = 1) =>
  aggregateFactory({
    ordersCount: orders,
    counters: rumBabaCounters(rumBabaOrders),
    version,
  });

describe('the Rum Baba Fans journey', () => {
  it.each([
    [0, 0, null],
    [1, 0, 'not-yet'],
    [1, 1, 'first-rum-baba'],
    [3, 2, 'second-rum-baba'],
    [3, 3, 'rum-baba-fan'],
    [12, 9, 'rum-baba-fan'],
  ])('%i orders, %i with Rum Baba → %s', (orders, rumBaba, stage) => {
    expect(currentStage(rumBabaFans, customer(orders, rumBaba))?.id ?? null).toBe(stage);
  });

  it('counts the orders the journey selects in the aggregate counters', () => {
    expect(journeyConfig.selectors).toEqual([
      { productIds: ['8001000000001', '8001000000008'] },
      { productIds: ['8001000000002'] },
      { productIds: ['8001000000006'] },
    ]);
  });

  it('turns a stage change into one Journey Stage Changed event with a deterministic id', () => {
    const transitions = stageTransitions([rumBabaFans], customer(1, 0, 3), customer(2, 1, 4));
    expect(transitions).toEqual([
      {
        journeyId: 'rum-baba-fans',
        from: 'not-yet',
        to: 'first-rum-baba',
        entryId: 4,
        occurredAt: '2026-11-01T00:00:00.000Z',
      },
    ]);
    const events = transitionEvents('shop.myshopify.com', '7001', transitions, 'subscribed');
    expect(events.map((e) => [e.detailType, e.detail.eventId])).toEqual([
      ['Journey Stage Changed', 'shop.myshopify.com/7001/rum-baba-fans/changed/4'],
    ]);
    expect(events[0]?.detail).toMatchObject({
      from: 'not-yet',
      to: 'first-rum-baba',
      emailMarketing: 'subscribed',
    });
  });

  it('yields no transition when the stage does not change', () => {
    expect(stageTransitions([rumBabaFans], customer(2, 1, 1), customer(3, 1, 2))).toEqual([]);
  });

  it('enters the first stage from nothing on a first aggregate', () => {
    expect(stageTransitions([rumBabaFans], null, customer(1, 1))[0]).toMatchObject({
      from: null,
      to: 'first-rum-baba',
    });
  });
});

describe('conditions', () => {
  const agg = aggregateFactory({ ordersCount: 2, emailMarketing: { state: 'subscribed', updatedAt: null } });
  it.each([
    [{ type: 'ordersCount', count: { min: 2, max: 2 } }, true],
    [{ type: 'ordersCount', count: { min: 3 } }, false],
    [{ type: 'emailMarketing', states: ['subscribed'] }, true],
    [{ type: 'not', condition: { type: 'emailMarketing', states: ['subscribed'] } }, false],
    [{ type: 'all', conditions: [] }, true],
    [{ type: 'any', conditions: [] }, false],
    [{ type: 'ordersContaining', products: { skus: ['X'] }, count: { max: 0 } }, true],
  ] as const)('%j → %s', (condition, expected) => {
    expect(evaluate(condition as never, agg, Date.parse(agg.updatedAt))).toBe(expected);
  });
});

describe('compileConfig', () => {
  const stage = (id: string, template?: string) => ({
    id,
    when: { type: 'ordersCount' as const, count: { min: 1 } },
    ...(template ? { action: { type: 'email' as const, template } } : {}),
  });

  it('accepts the demo configuration', () => {
    expect(() => compileConfig({ brandName: 'x', journeys: [rumBabaFans], templates })).not.toThrow();
  });

  it('names the journey, the path and the problem for each error', () => {
    const broken = {
      id: 'broken',
      name: 'Broken',
      stages: [stage('a'), stage('a'), { id: 'b', when: { type: 'ordersCount', count: { min: 3, max: 1 } } }],
    } as unknown as Journey;
    const missing: Journey = { id: 'missing', name: 'Missing', stages: [stage('x', 'no-such-template')] };
    let message = '';
    try {
      compileConfig({ brandName: 'x', journeys: [broken, missing], templates });
    } catch (error) {
      expect(error).toBeInstanceOf(JourneyConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('broken.stages[1].id: duplicate stage id "a"');
    expect(message).toContain('broken.stages[2].when.count: min must not exceed max');
    expect(message).toContain('missing.stages[0].action.template: no template named "no-such-template"');
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('rejects duplicate journey ids', () => {
    const j: Journey = { id: 'same', name: 'S', stages: [stage('a')] };
    expect(() => compileConfig({ brandName: 'x', journeys: [j, j], templates })).toThrow(
      /same: duplicate id/,
    );
  });
});
