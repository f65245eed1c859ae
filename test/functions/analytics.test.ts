import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { definitionsOf } from '#domain/analytics/snapshot-rows.ts';
import { journeyConfig } from '#journeys/index.ts';
import { callHttp, routeEvent, useHandlerEnvironment } from '../support/lambda.ts';

const BAKERY_KEY = 'analytics-key-for-the-bakery';
const SHOP = 'bakery-demo.myshopify.com';
const analytics = useHandlerEnvironment({
  env: { ANALYTICS_BUCKET: 'analytics-bucket', REFRESH_FUNCTION_NAME: 'loyalty-loop-analytics-refresh' },
  secrets: { ADMIN_API_KEY_SECRET_ARN: JSON.stringify({ keys: [{ key: BAKERY_KEY, shops: [SHOP] }] }) },
  load: () => import('../../functions/analytics/handler.ts'),
});
const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);

/** An object body as the SDK hands it over (read with `transformToString`). */
const body = (text: string) => ({ transformToString: async () => text }) as never;
const missing = () => new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
const get = (report: string, query: Record<string, string> = {}, shop = SHOP, key = BAKERY_KEY) =>
  callHttp(
    analytics.handler,
    routeEvent('GET /api/shops/{shop}/analytics/{report}', {
      headers: { authorization: `Bearer ${key}` },
      pathParameters: { shop, report },
      queryStringParameters: query,
    }),
  );

beforeEach(() => {
  s3.reset();
  lambda.reset();
  s3.on(GetObjectCommand).rejects(missing());
});

describe('analytics handler', () => {
  it('answers a shop never refreshed with empty figures, not an error', async () => {
    const response = await get('summary');

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toMatchObject({
      report: 'summary',
      refreshedAt: null,
      customers: 0,
      orders: 0,
      revenue: 0,
      currency: null,
    });
  });

  it('answers a cached answer of the latest snapshot without downloading the snapshot', async () => {
    const latest = {
      snapshotId: 'snap-1',
      refreshedAt: '2026-12-01T00:00:00.000Z',
      files: ['orders.parquet'],
      definitions: definitionsOf(journeyConfig),
    };
    const cached = { report: 'f2', refreshedAt: latest.refreshedAt, f2Rate: 0.25 };
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      if (Key === `snapshots/${SHOP}/latest.json`) return { Body: body(JSON.stringify(latest)) };
      if (Key.startsWith(`results/${SHOP}/snap-1/f2/`)) return { Body: body(JSON.stringify(cached)) };
      throw missing();
    });

    const response = await get('f2');

    expect(JSON.parse(String(response.body))).toEqual(cached);
    const keys = s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);
    expect(keys.some((key) => key?.includes('/snap-1/orders.parquet'))).toBe(false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    ['an unknown report', 'churn', {}, /unknown report "churn"/],
    ['a date that is no calendar day', 'summary', { from: '2026-02-30' }, /^from: /],
    ['from after to', 'cohorts', { from: '2026-06-01', to: '2026-05-01' }, /is after to/],
    ['an unknown segment', 'segments', { segment: 'whales' }, /unknown segment "whales"/],
    ['an unknown journey', 'funnel', { journey: 'nope' }, /unknown journey "nope"/],
    [
      'a holdouts window outside 1–365 days',
      'holdouts',
      { days: '400' },
      /^days: must be a whole number of days from 1 to 365 \(got "400"\)$/,
    ],
    ['a conversion window on a report without one', 'summary', { days: '30' }, /unknown parameter "days"/],
  ])('answers 400 with a message for %s', async (_case, report, query, message) => {
    const response = await get(report, query);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(String(response.body)).message).toMatch(message);
  });

  it('caches a holdouts answer per conversion window: another window is another answer', async () => {
    // Arrange
    const latest = {
      snapshotId: 'snap-1',
      refreshedAt: '2026-12-01T00:00:00.000Z',
      files: ['orders.parquet'],
      definitions: definitionsOf(journeyConfig),
    };
    const cached = (days: number) => ({
      report: 'holdouts',
      refreshedAt: latest.refreshedAt,
      days,
      stages: [],
    });
    const keys: string[] = [];
    s3.on(GetObjectCommand).callsFake(({ Key }: { Key: string }) => {
      if (Key === `snapshots/${SHOP}/latest.json`) return { Body: body(JSON.stringify(latest)) };
      if (Key.startsWith(`results/${SHOP}/snap-1/holdouts/`)) {
        keys.push(Key);
        return { Body: body(JSON.stringify(cached(keys.length === 1 ? 30 : 14))) };
      }
      throw missing();
    });

    // Act
    const monthly = await get('holdouts');
    const fortnightly = await get('holdouts', { days: '14' });

    // Assess
    expect(JSON.parse(String(monthly.body))).toMatchObject({ days: 30 });
    expect(JSON.parse(String(fortnightly.body))).toMatchObject({ days: 14 });
    expect(new Set(keys).size).toBe(2);
  });

  it('answers 401 for a wrong key and 403 for a shop the key may not read', async () => {
    expect((await get('summary', {}, SHOP, 'wrong-key-wrong-key')).statusCode).toBe(401);
    expect((await get('summary', {}, 'other-shop.myshopify.com')).statusCode).toBe(403);
    expect(s3.calls()).toHaveLength(0);
  });

  it('starts a refresh of the shop on POST …/analytics/refresh and answers 202', async () => {
    const response = await callHttp(
      analytics.handler,
      routeEvent('POST /api/shops/{shop}/analytics/refresh', {
        headers: { authorization: `Bearer ${BAKERY_KEY}` },
        pathParameters: { shop: SHOP },
      }),
    );

    expect(response.statusCode).toBe(202);
    const [invoke] = lambda.commandCalls(InvokeCommand);
    expect(invoke?.args[0].input).toMatchObject({
      FunctionName: 'loyalty-loop-analytics-refresh',
      InvocationType: 'Event',
    });
    expect(JSON.parse(Buffer.from(invoke?.args[0].input.Payload as Uint8Array).toString())).toEqual({
      shop: SHOP,
    });
  });
});
