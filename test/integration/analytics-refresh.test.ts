import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotStore } from '#adapters/analytics/snapshot-store.ts';
import { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { ShopIntervalsStore } from '#adapters/store/shop-intervals.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { definitionsOf } from '#domain/analytics/snapshot-rows.ts';
import type { OrderFacts } from '#domain/order.ts';
import { journeyConfig } from '#journeys/index.ts';
import { ReportService } from '../../functions/analytics/report-service.ts';
import { refreshShop } from '../../functions/analytics-refresh/refresh.ts';
import { S3Local } from '../../local/s3.ts';
import { CROISSANT, orderFactory, RUM_BABA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const BUCKET = 'analytics';
const NOW = new Date('2026-12-01T00:00:00.000Z');
const local = useDynamoDbLocal();
const pepper = async () => TEST_PEPPER;
let s3Local: S3Local;
let s3: S3Client;
let work: string;

beforeAll(async () => {
  s3Local = await S3Local.start(mkdtempSync(join(tmpdir(), 'refresh-s3-')), [BUCKET]);
  s3 = new S3Client({
    endpoint: s3Local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  work = mkdtempSync(join(tmpdir(), 'refresh-work-'));
});

afterAll(async () => {
  s3.destroy();
  await s3Local.stop();
  rmSync(work, { recursive: true, force: true });
});

const order = (customerId: string, orderId: string, day: string, overrides: Partial<OrderFacts> = {}) =>
  orderFactory({
    customerId,
    orderId,
    placedAt: `2026-${day}T09:00:00.000Z`,
    updatedAt: `2026-${day}T09:00:00.000Z`,
    ...overrides,
  });

const applyPath = (table: StoreTable) => new ApplyPath(table, journeyConfig, pepper);

/** Three customers: Ann orders Rum Baba twice, Ben once, Cy twice (a croissant, then Rum Baba). */
const applyShop = async (table: StoreTable, shop = SHOP) => {
  for (const facts of [
    order('701', '1', '03-01'),
    order('701', '2', '04-01', {
      total: { amount: 960, currency: 'JPY' },
      lines: [{ ...RUM_BABA, quantity: 2 }],
    }),
    order('702', '3', '05-01'),
    order('703', '4', '06-01', { lines: [CROISSANT], total: { amount: 320, currency: 'JPY' } }),
    order('703', '5', '06-20'),
  ])
    await applyPath(table).apply(shop, { type: 'order', order: facts });
};

const service = (snapshots: SnapshotStore, name: string) =>
  new ReportService(snapshots, {
    workDir: join(work, name),
    sqlDir: new URL('../../functions/analytics/reports/', import.meta.url),
    definitions: definitionsOf(journeyConfig),
    now: () => NOW,
  });

describe('the analytics refresh, from the fact log to a report', () => {
  it('publishes a snapshot the reports answer from, and caches each answer for that snapshot', async () => {
    const table = await local.freshTable();
    await applyShop(table);
    const snapshots = new SnapshotStore(s3, BUCKET);

    const refreshed = await refreshShop({ table, snapshots }, SHOP, journeyConfig, NOW);
    const reports = service(snapshots, 'first');
    const summary = await reports.answer(SHOP, 'summary', {});
    const again = await service(snapshots, 'cold').answer(SHOP, 'summary', {});

    expect(refreshed).toMatchObject({ customers: 3, orders: 5, feedPages: 16 });
    expect(summary).toEqual({
      status: 200,
      body: expect.objectContaining({
        report: 'summary',
        refreshedAt: NOW.toISOString(),
        customers: 3,
        buyers: 3,
        repeaters: 2,
        orders: 5,
        revenue: 480 + 960 + 480 + 320 + 480,
        currency: 'JPY',
      }),
    });
    // A new function instance reads the answer cached in the bucket for this snapshot.
    expect(again).toEqual(summary);
    expect(s3Local.keys(BUCKET, `results/${SHOP}/${refreshed.snapshotId}/summary/`)).toHaveLength(1); // And the shop's repurchase intervals for percentile delays: Cy came back after 19 days, Ann after 31.
    const intervals = await new ShopIntervalsStore(table).get(SHOP);
    expect(intervals?.computedAt).toBe(NOW.toISOString());
    expect(intervals?.byOrder['1']?.sample).toBe(2);
    expect(intervals?.byOrder['1']?.percentileDays.slice(49, 51)).toEqual([19, 31]);
  });

  it('answers a shop never refreshed with empty results, not an error', async () => {
    const snapshots = new SnapshotStore(s3, BUCKET);

    const answer = await service(snapshots, 'empty').answer('never-refreshed.myshopify.com', 'f2', {});

    expect(answer).toMatchObject({ status: 200, body: { refreshedAt: null, customers: 0, f2Rate: 0 } });
  });

  it('drops a redacted customer at the next refresh, keeping no older snapshot in the bucket', async () => {
    const table = await local.freshTable();
    const shop = 'redact-demo.myshopify.com';
    await applyShop(table, shop);
    await applyPath(table).apply(shop, { type: 'order', order: order('709', '9', '07-01') });
    const snapshots = new SnapshotStore(s3, BUCKET);
    const first = await refreshShop({ table, snapshots }, shop, journeyConfig, NOW);
    const privacy = new PrivacyRequests(table, pepper);

    // What customers/redact erases: every item of the customer's partition (their facts too).
    await privacy.deleteItems(await privacy.customerItems(shop, '709'));
    const second = await refreshShop({ table, snapshots }, shop, journeyConfig, NOW);
    const answer = await service(snapshots, 'redacted').answer(shop, 'summary', {});

    expect(first.customers).toBe(4);
    expect(second.customers).toBe(3);
    expect(answer.body).toMatchObject({ customers: 3, orders: 5 });
    const kept = s3Local.keys(BUCKET, `snapshots/${shop}/`);
    expect(kept.some((key) => key.includes(first.snapshotId))).toBe(false);
    expect(kept.filter((key) => key.includes(second.snapshotId))).toHaveLength(6);
  });

  it('rejects a bad request with a message and touches no snapshot for it', async () => {
    const snapshots = new SnapshotStore(s3, BUCKET);

    const answer = await service(snapshots, 'bad').answer(SHOP, 'summary', { segment: 'nobody' });

    expect(answer).toEqual({
      status: 400,
      body: { message: 'unknown segment "nobody"; known segments: lapsing-regulars' },
    });
  });
});
