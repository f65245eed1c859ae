import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { readDue } from '#adapters/store/due-index.ts';
import { aggregateKey } from '#adapters/store/keys.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { currentStage, type Journey } from '#domain/journey.ts';
import { compileConfig } from '#domain/journey-config.ts';
import { DAY_MS } from '#domain/timing.ts';
import { templates } from '#journeys/templates.ts';
import { sweepDue } from '../../functions/sweep/sweep.ts';
import { orderFactory } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const T0 = Date.parse('2026-06-01T09:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();

/** A win-back journey: a customer with an order, none in the last 45 days, is lapsing. */
const winBack: Journey = {
  id: 'win-back',
  name: 'Win back',
  stages: [
    { id: 'active', when: { type: 'ordersCount', count: { min: 1 } } },
    {
      id: 'lapsing',
      when: {
        type: 'all',
        conditions: [
          { type: 'ordersCount', count: { min: 1 } },
          { type: 'lastOrderDate', date: { moreThanDaysAgo: 45 } },
        ],
      },
    },
  ],
};
const config = compileConfig({ brandName: 'Demo Bakery', journeys: [winBack], templates });
const local = useDynamoDbLocal();

const setUp = async () => {
  const table: StoreTable = await local.freshTable();
  const applyPath = new ApplyPath(table, config, async () => TEST_PEPPER);
  const item = async (customerId: string) =>
    (await table.doc.send(new GetCommand({ TableName: table.name, Key: aggregateKey(SHOP, customerId) })))
      .Item;
  const stage = async (customerId: string) => {
    const aggregate = decodeState(await item(customerId))?.aggregate;
    return aggregate ? (currentStage(winBack, aggregate)?.id ?? null) : null;
  };
  const order = (customerId: string, orderId: string, placed: number) =>
    applyPath.apply(SHOP, {
      type: 'order',
      order: orderFactory({ customerId, orderId, placedAt: at(placed), updatedAt: at(placed) }),
    });
  return { table, applyPath, item, stage, order };
};

describe('the sweep: time-based stages entered with no webhook', () => {
  it('lists a customer in the due index at their next flip, and moves them then, once', async () => {
    const { table, applyPath, item, stage, order } = await setUp();
    await order('8101', '1', T0);
    const flip = at(T0 + 45 * DAY_MS + 1);

    expect(await item('8101')).toMatchObject({
      duePk: expect.stringMatching(/^DUE#WAKE#\d\d$/),
      dueSk: flip,
    });
    expect(await readDue(table, 'WAKE', at(T0 + 44 * DAY_MS), 100)).toEqual([]);
    expect(await stage('8101')).toBe('active');

    const report = await sweepDue({ table, applyPath }, new Date(T0 + 45 * DAY_MS + 10 * 60_000));

    expect(report).toEqual({ due: 1, applied: 1, silent: 0, failed: 0 });
    expect(await stage('8101')).toBe('lapsing');
    const swept = await item('8101');
    expect(decodeState(swept)?.aggregate.updatedAt).toBe(flip);
    // Time alone moves them no further: out of the index, and the next run finds nobody.
    expect(swept).not.toHaveProperty('duePk');
    expect(swept).not.toHaveProperty('silent');
    expect(await sweepDue({ table, applyPath }, new Date(T0 + 50 * DAY_MS))).toMatchObject({ due: 0 });
  });

  it('puts a customer who orders again back in the index at their new flip', async () => {
    const { item, order } = await setUp();
    await order('8102', '1', T0);
    await order('8102', '2', T0 + 30 * DAY_MS);

    expect(await item('8102')).toMatchObject({ dueSk: at(T0 + 75 * DAY_MS + 1) });
  });

  it('moves a flip found long after it happened (history) silently, and never creates a customer', async () => {
    const { table, applyPath, item, stage, order } = await setUp();
    await order('8103', '1', T0);

    const report = await sweepDue({ table, applyPath }, new Date(T0 + 400 * DAY_MS));

    expect(report).toEqual({ due: 1, applied: 1, silent: 1, failed: 0 });
    expect(await stage('8103')).toBe('lapsing');
    expect(await item('8103')).toMatchObject({ silent: true });
    expect(await applyPath.apply(SHOP, { type: 'clock', customerId: '8199', at: at(T0) })).toEqual({
      status: 'unchanged',
      customerId: '8199',
    });
    expect(await item('8199')).toBeUndefined();
  });
});
