import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { aggregateKey, sendKey } from '#adapters/store/keys.ts';
import { PendingSends } from '#adapters/store/pending-sends.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { ShopRegistry } from '#adapters/store/shops.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { TransitionFacts } from '#adapters/store/transition-facts.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { unsubscribeKeys } from '#commons/unsubscribe-token.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { type BusEvent, DetailType, StageEntryDetail } from '#domain/events.ts';
import type { Journey } from '#domain/journey.ts';
import { compileConfig } from '#domain/journey-config.ts';
import type { OrderFacts } from '#domain/order.ts';
import { DAY_MS } from '#domain/timing.ts';
import { templates } from '#journeys/templates.ts';
import { dispatchDue } from '../../functions/action/dispatch.ts';
import { scheduleStageEmail, sendOfEntry } from '../../functions/action/schedule.ts';
import { sendDueEmail } from '../../functions/action/stage-email.ts';
import { evaluateChange } from '../../functions/evaluate/evaluate-change.ts';
import { SesLocal } from '../../local/ses.ts';
import { CROISSANT, orderFactory, RUM_BABA } from '../support/factories.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const RUM_BABA_PRODUCTS = { productIds: ['8001000000001', '8001000000008'] };
const SETTLE_MS = 10 * 60_000;
const T0 = Date.parse('2026-11-02T09:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();

/** The reference journey with a delayed coupon that an order cancels, and an undelayed second stage. */
const timed: Journey = {
  id: 'timed-rum-baba',
  name: 'Timed Rum Baba',
  stages: [
    {
      id: 'once',
      when: { type: 'ordersContaining', products: RUM_BABA_PRODUCTS, count: { min: 1, max: 1 } },
      action: { type: 'email', template: 'rum-baba-coupon', after: { days: 14 }, exitOnOrder: true },
    },
    {
      id: 'twice',
      when: { type: 'ordersContaining', products: RUM_BABA_PRODUCTS, count: { min: 2, max: 2 } },
      action: { type: 'email', template: 'rum-baba-serving-ideas' },
    },
  ],
};
const timedConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [timed],
  templates,
  timing: { frequencyCap: false, quietHours: false },
});

const local = useDynamoDbLocal();
let ses: SesLocal;
beforeAll(async () => {
  ses = await SesLocal.start();
});
afterAll(() => ses.stop());

/**
 * The pipeline as the stack runs it, one step at a time: the apply path writes; the evaluator
 * sees the aggregate's old and new image (as its stream record carries them); each stage entry
 * goes to the action (schedule, and send at once when due); `dispatch` is the minute's run.
 */
const pipeline = async (settleMs = SETTLE_MS, config = timedConfig) => {
  const table: StoreTable = await local.freshTable();
  const apply = new ApplyPath(table, config, async () => TEST_PEPPER);
  const pending = new PendingSends(table);
  const customers = new CustomerRecords(table);
  const client = new SESv2Client({
    endpoint: ses.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deps = {
    customers,
    shops: new ShopRegistry(table),
    suppressed: new SuppressionList(table, async () => TEST_PEPPER),
    ledger: new SendLedger(table),
    pending,
    ses: client,
    config,
    sender: async () => ({
      from: 'hello@bakery-demo.example',
      fromName: 'Demo Bakery',
      brand: null,
      replyTo: null,
      postalAddress: '1-2-3 Jingumae, Shibuya-ku, Tokyo',
      configurationSet: 'loyalty',
      publicBaseUrl: 'https://api.example.com',
      unsubscribeKeys: unsubscribeKeys('unsubscribe-key'),
    }),
    intervals: { get: async () => null },
    settleMs,
    // The configuration's own policy (the delay tests switch pacing off in theirs).
    timing: config.timing,
  };
  const rawAggregate = async (customerId: string) =>
    (await table.doc.send(new GetCommand({ TableName: table.name, Key: aggregateKey(SHOP, customerId) })))
      .Item;
  const entries: StageEntryDetail[] = [];
  const deliver = async (change: ShopifyChange, customerId: string, now: number) => {
    const before = await rawAggregate(customerId);
    await apply.apply(SHOP, change);
    const after = await rawAggregate(customerId);
    if (!after || after.version === before?.version) return;
    const record = {
      dynamodb: {
        NewImage: marshall(after, { convertClassInstanceToMap: true }),
        ...(before ? { OldImage: marshall(before, { convertClassInstanceToMap: true }) } : {}),
      },
    } as unknown as DynamoDBRecord;
    const published: BusEvent[] = [];
    await evaluateChange(
      {
        config,
        facts: new TransitionFacts(table),
        pending,
        publish: async (events) => void published.push(...events),
      },
      record,
    );
    for (const event of published) {
      if (event.detailType !== DetailType.StageChanged || event.detail.to === null) continue;
      const entry = StageEntryDetail.parse(event.detail);
      entries.push(entry);
      await scheduleStageEmail(deps, entry, new Date(now));
      await sendDueEmail(deps, sendOfEntry(entry), `inline-${entry.eventId}`, new Date(now));
    }
  };
  // Each run is an invocation of its own (its request id is the claimant).
  let runs = 0;
  const dispatch = (now: number) => dispatchDue(deps, `dispatch-${++runs}`, new Date(now), async () => {});
  const record = async (customerId: string, stageId: string, entryId: number, journeyId = timed.id) =>
    (
      await table.doc.send(
        new GetCommand({
          TableName: table.name,
          Key: sendKey({ shop: SHOP, customerId, journeyId, stageId, entryId }),
        }),
      )
    ).Item;
  return { deliver, dispatch, record, entries, deps, pending };
};

let customerSeq = 0;
/** A subscribed customer of their own (the SES emulator keeps every test's emails). */
const newCustomer = async (p: Awaited<ReturnType<typeof pipeline>>, now: number) => {
  const customerId = String(70_000 + ++customerSeq);
  const email = `timed${customerId}@example.com`;
  await p.deliver(
    { type: 'consent', customerId, consent: { state: 'subscribed', email, updatedAt: at(now - DAY_MS) } },
    customerId,
    now,
  );
  return { customerId, email };
};
const emailsTo = async (address: string) => (await ses.emails()).filter((e) => e.to.includes(address));
const order = (customerId: string, orderId: string, placedAt: number, extra: Partial<OrderFacts> = {}) =>
  ({
    type: 'order',
    order: orderFactory({ customerId, orderId, placedAt: at(placedAt), updatedAt: at(placedAt), ...extra }),
  }) as ShopifyChange;

describe('pending sends: delays, re-checks at the due time, cancellation and the settle window', () => {
  it('sends a delayed coupon once, 14 days after the stage entry (time travel across days)', async () => {
    const p = await pipeline();
    const { customerId, email } = await newCustomer(p, T0);

    await p.deliver(order(customerId, '1', T0), customerId, T0);
    const entry = p.entries.at(-1);

    expect(entry).toMatchObject({ to: 'once' });
    expect(await p.record(customerId, 'once', entry?.entryId ?? 0)).toMatchObject({
      status: 'pending',
      dueAt: at(T0 + 14 * DAY_MS),
      duePk: expect.stringMatching(/^DUE#SEND#/),
    });
    for (const day of [1, 7, 13]) expect(await p.dispatch(T0 + day * DAY_MS)).toEqual({ due: 0, failed: 0 });
    expect(await emailsTo(email)).toEqual([]);
    expect(await p.dispatch(T0 + 14 * DAY_MS + 60_000)).toEqual({ due: 1, failed: 0, sent: 1 });
    expect(await p.dispatch(T0 + 15 * DAY_MS)).toEqual({ due: 0, failed: 0 });
    const sent = await emailsTo(email);
    expect(sent.map((e) => e.subject)).toHaveLength(1);
    expect(await p.record(customerId, 'once', entry?.entryId ?? 0)).toMatchObject({ status: 'claimed' });
  });

  it('cancels the delayed coupon at once when the customer orders anything before it is due', async () => {
    const p = await pipeline();
    const { customerId, email } = await newCustomer(p, T0);
    await p.deliver(order(customerId, '1', T0), customerId, T0);
    const entryId = p.entries.at(-1)?.entryId ?? 0;

    await p.deliver(
      order(customerId, '2', T0 + 3 * DAY_MS, { lines: [CROISSANT] }),
      customerId,
      T0 + 3 * DAY_MS,
    );

    const cancelled = await p.record(customerId, 'once', entryId);
    expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'customer ordered' });
    expect(cancelled).not.toHaveProperty('duePk');
    expect(await p.dispatch(T0 + 30 * DAY_MS)).toEqual({ due: 0, failed: 0 });
    expect(await emailsTo(email)).toEqual([]);
  });

  it('cancels the send of a stage the customer left, and sends the next stage after the settle window', async () => {
    const p = await pipeline();
    const { customerId, email } = await newCustomer(p, T0);
    await p.deliver(order(customerId, '1', T0), customerId, T0);
    const first = p.entries.at(-1)?.entryId ?? 0;

    await p.deliver(order(customerId, '2', T0 + DAY_MS, { lines: [RUM_BABA] }), customerId, T0 + DAY_MS);

    expect(await p.record(customerId, 'once', first)).toMatchObject({ status: 'cancelled' });
    expect(await p.dispatch(T0 + DAY_MS + 60_000)).toEqual({ due: 0, failed: 0 });
    expect(await p.dispatch(T0 + DAY_MS + SETTLE_MS)).toEqual({ due: 1, failed: 0, sent: 1 });
    expect((await emailsTo(email)).map((e) => e.subject)).toHaveLength(1);
  });

  it('schedules a redelivered entry once and sends it once, however many dispatchers race for it', async () => {
    const p = await pipeline(0);
    const { customerId, email } = await newCustomer(p, T0);
    await p.deliver(order(customerId, '1', T0), customerId, T0);
    const entry = p.entries.at(-1);
    if (!entry) throw new Error('no stage entry');

    // The entry again during its delay (EventBridge delivers at least once), then three dispatchers at once.
    expect(await scheduleStageEmail(p.deps, entry, new Date(T0 + DAY_MS))).toMatchObject({
      status: 'exists',
    });
    const due = T0 + 14 * DAY_MS;
    const runs = await Promise.all([p.dispatch(due), p.dispatch(due), p.dispatch(due)]);

    expect(runs.reduce((n, run) => n + (run.sent ?? 0), 0)).toBe(1);
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it('never mails a stage the customer did not hold in event order, however Shopify shuffles the webhooks', async () => {
    // Event order: Rum Baba ordered (t1), that order cancelled (t2), Rum Baba ordered again (t3):
    // the count goes 1, 0, 1 and never reaches two. Delivered out of order, it can read 2 for a moment.
    const histories = (customerId: string): ShopifyChange[] => [
      order(customerId, '1', T0),
      order(customerId, '1', T0, { updatedAt: at(T0 + 3_600_000), cancelled: true }),
      order(customerId, '2', T0 + 7_200_000),
    ];
    const runs = fc.sample(fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }), {
      numRuns: 6,
      seed: 15,
    });
    /** Emails to a new customer whose history arrives in this order, a few seconds apart (all within the window). */
    const mailed = async (p: Awaited<ReturnType<typeof pipeline>>, permutation: number[]) => {
      const now = T0 + 8 * 3_600_000;
      const { customerId, email } = await newCustomer(p, now);
      const changes = histories(customerId);
      for (const [k, index] of permutation.entries())
        await p.deliver(changes[index] as ShopifyChange, customerId, now + k * 5_000);
      await p.dispatch(now + SETTLE_MS + 60_000);
      // The coupon of the last entry is 14 days away: any email by now is the "bought twice" one.
      return (await emailsTo(email)).length;
    };
    // Without a settle window the moment is mailed; with one, the re-check at the due time sees the cancellation.
    const withoutSettle = await pipeline(0);
    const withSettle = await pipeline(SETTLE_MS);
    let mailedWithout = 0;
    for (const permutation of runs) {
      mailedWithout += await mailed(withoutSettle, permutation);
      expect(await mailed(withSettle, permutation)).toBe(0);
    }
    expect(mailedWithout).toBeGreaterThan(0);
  });
});

/** Three journeys entered by one order, their emails due 10, 15 and 29 minutes later. */
const stage = (id: string, template: string, action: Record<string, unknown> = {}): Journey => ({
  id,
  name: id,
  stages: [
    {
      id: 'in',
      when: { type: 'ordersCount', count: { min: 1 } },
      action: { type: 'email', template, ...action },
    },
  ],
});
const pacedConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [
    stage('welcome', 'morning-second-visit'),
    stage('tip', 'rum-baba-serving-ideas', { after: { days: 0.01 } }),
    stage('offer', 'rum-baba-coupon', { after: { days: 0.02 }, onCap: 'defer' }),
  ],
  templates,
  timing: { timeZone: 'Europe/London' },
});
const cappedConfig = compileConfig({ ...pacedConfig, timing: { quietHours: false } });

describe('pacing at the due time: the frequency cap and quiet hours', () => {
  it('sends the first email, skips a capped one (recorded), and defers one whose stage says so until the cap has room', async () => {
    const p = await pipeline(SETTLE_MS, cappedConfig);
    const { customerId, email } = await newCustomer(p, T0);
    await p.deliver(order(customerId, '1', T0), customerId, T0);
    const entryId = p.entries.at(-1)?.entryId ?? 0;

    expect(await p.dispatch(T0 + 11 * 60_000)).toMatchObject({ sent: 1 });
    expect(await p.dispatch(T0 + 15 * 60_000)).toMatchObject({ skipped: 1 });
    expect(await p.dispatch(T0 + 30 * 60_000)).toMatchObject({ held: 1 });

    expect(await p.record(customerId, 'in', entryId, 'tip')).toMatchObject({
      status: 'skipped',
      reason: 'frequency cap: 1 per 16 h',
    });
    const deferred = await p.record(customerId, 'in', entryId, 'offer');
    expect(deferred).toMatchObject({ status: 'pending', heldReason: 'frequency cap: 1 per 16 h' });
    const sentAt = Date.parse(String((await p.record(customerId, 'in', entryId, 'welcome'))?.claimedAt));
    expect(Date.parse(String(deferred?.dueAt))).toBe(sentAt + 16 * 3_600_000 + 1);
    expect(await p.dispatch(sentAt + 16 * 3_600_000 - 60_000)).toMatchObject({ due: 0 });
    expect(await p.dispatch(sentAt + 16 * 3_600_000 + 60_000)).toMatchObject({ sent: 1 });
    expect(await emailsTo(email)).toHaveLength(2);
  });

  it('holds an email due at night in the customer’s time zone until the window opens, then sends it', async () => {
    const p = await pipeline(SETTLE_MS, pacedConfig);
    // 18:00 UTC is 03:00 in Tokyo, where the customer lives; the shop is in London (18:00 there).
    const night = Date.parse('2026-11-10T18:00:00.000Z');
    const { customerId, email } = await newCustomer(p, night);
    await p.deliver(
      {
        type: 'customer',
        customerId,
        update: { email, address: { countryCode: 'JP', provinceCode: 'JP-13' }, at: at(night - 60_000) },
      },
      customerId,
      night,
    );
    await p.deliver(order(customerId, '1', night), customerId, night);
    const entryId = p.entries.at(-1)?.entryId ?? 0;

    expect(await p.dispatch(night + 11 * 60_000)).toMatchObject({ held: 1 });
    expect(await p.record(customerId, 'in', entryId, 'welcome')).toMatchObject({
      status: 'pending',
      dueAt: '2026-11-10T23:00:00.000Z',
      heldReason: 'quiet hours 21:00–08:00 in Asia/Tokyo',
    });
    // The other two stages' emails fall due in the night too, and are held the same way.
    expect(await p.dispatch(Date.parse('2026-11-10T22:59:00.000Z'))).toEqual({ due: 2, held: 2, failed: 0 });
    expect(await emailsTo(email)).toEqual([]);
    // 08:00 in Tokyo: the first goes, the cap stops the next two (one skipped, one deferred).
    expect(await p.dispatch(Date.parse('2026-11-10T23:00:30.000Z'))).toEqual({
      due: 3,
      sent: 1,
      skipped: 1,
      held: 1,
      failed: 0,
    });
    expect(await emailsTo(email)).toHaveLength(1);
  });
});

/** The same stage three times, each with its own re-entry policy. */
const reentering = (id: string, reentry?: unknown): Journey =>
  ({
    id,
    name: id,
    stages: [
      {
        id: 'in',
        when: { type: 'ordersContaining', products: RUM_BABA_PRODUCTS, count: { min: 1 } },
        action: { type: 'email', template: 'rum-baba-coupon', ...(reentry ? { reentry } : {}) },
      },
    ],
  }) as Journey;
const reentryConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [reentering('every'), reentering('once', 'once'), reentering('monthly', { oncePerDays: 30 })],
  templates,
  timing: { frequencyCap: false, quietHours: false },
});

describe('quiet hours across a daylight-saving change', () => {
  it.each([
    // 01:20 in New York the night before clocks go forward: 08:00 EST is 13:00 UTC.
    ['2026-03-07T06:20:00.000Z', '2026-03-07T13:00:00.000Z'],
    // 01:20 on the night they do (02:00 EST → 03:00 EDT): 08:00 EDT is 12:00 UTC.
    ['2026-03-08T06:20:00.000Z', '2026-03-08T12:00:00.000Z'],
    // 01:20 EDT on the night they go back (02:00 EDT → 01:00 EST): 08:00 EST is 13:00 UTC.
    ['2026-11-01T05:20:00.000Z', '2026-11-01T13:00:00.000Z'],
  ])('holds an email due at %s for a New Yorker until 08:00 there (%s)', async (entered, opens) => {
    const p = await pipeline(SETTLE_MS, pacedConfig);
    const at0 = Date.parse(entered);
    const { customerId, email } = await newCustomer(p, at0);
    const address = { countryCode: 'US', provinceCode: 'NY' };
    await p.deliver(
      { type: 'customer', customerId, update: { email, address, at: at(at0 - 60_000) } },
      customerId,
      at0,
    );
    await p.deliver(order(customerId, '1', at0), customerId, at0);
    const entryId = p.entries.at(-1)?.entryId ?? 0;

    await p.dispatch(at0 + 11 * 60_000);

    expect(await p.record(customerId, 'in', entryId, 'welcome')).toMatchObject({
      status: 'pending',
      dueAt: opens,
      heldReason: 'quiet hours 21:00–08:00 in America/New_York',
    });
    expect(await p.dispatch(Date.parse(opens) - 60_000)).toMatchObject({ due: 2 });
    expect(await emailsTo(email)).toEqual([]);
    expect(await p.dispatch(Date.parse(opens) + 30_000)).toMatchObject({ sent: 1 });
  });
});

describe('re-entry policy: a stage entered again after a cancellation', () => {
  it('sends again on every entry, once ever, or once per 30 days, as each stage says', async () => {
    const p = await pipeline(0, reentryConfig);
    const { customerId } = await newCustomer(p, T0);
    const sentBy = async (journeyId: string) => {
      const sends = p.entries.filter((e) => e.journeyId === journeyId);
      const records = await Promise.all(sends.map((e) => p.record(customerId, 'in', e.entryId, journeyId)));
      return records.map((r) => (r?.status === 'claimed' ? 'sent' : String(r?.reason)));
    };
    // Entered (day 0), left by a cancellation (day 1), entered again on days 10 and 41.
    const timeline: [ShopifyChange, number][] = [
      [order(customerId, '1', T0), T0],
      [order(customerId, '1', T0, { updatedAt: at(T0 + DAY_MS), cancelled: true }), T0 + DAY_MS],
      [order(customerId, '2', T0 + 10 * DAY_MS), T0 + 10 * DAY_MS],
      [
        order(customerId, '2', T0 + 10 * DAY_MS, { updatedAt: at(T0 + 11 * DAY_MS), cancelled: true }),
        T0 + 11 * DAY_MS,
      ],
      [order(customerId, '3', T0 + 41 * DAY_MS), T0 + 41 * DAY_MS],
    ];
    for (const [change, now] of timeline) await p.deliver(change, customerId, now);

    expect(await sentBy('every')).toEqual(['sent', 'sent', 'sent']);
    expect(await sentBy('once')).toEqual([
      'sent',
      'sent once already for this stage (re-entry: once)',
      'sent once already for this stage (re-entry: once)',
    ]);
    expect(await sentBy('monthly')).toEqual([
      'sent',
      'sent for this stage within 30 days (re-entry: once per 30 days)',
      'sent',
    ]);
  });
});

describe('holdouts: the control group decided where the email would go out', () => {
  it('records a control for the held-out share (no email), sends to the others, and keeps each customer in their group', async () => {
    const holdoutConfig = compileConfig({
      brandName: 'Demo Bakery',
      journeys: [reentering('held', undefined)].map((journey) => ({
        ...journey,
        stages: journey.stages.map((s) => ({ ...s, action: { ...s.action, holdout: { percent: 50 } } })),
      })) as Journey[],
      templates,
      timing: { frequencyCap: false, quietHours: false },
    });
    const p = await pipeline(0, holdoutConfig);
    const outcomes: { email: string; status: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const { customerId, email } = await newCustomer(p, T0);
      await p.deliver(order(customerId, '1', T0), customerId, T0);
      const entryId = p.entries.at(-1)?.entryId ?? 0;
      outcomes.push({ email, status: String((await p.record(customerId, 'in', entryId, 'held'))?.status) });
    }

    const control = outcomes.filter((o) => o.status === 'control');
    const treated = outcomes.filter((o) => o.status === 'claimed');
    expect(control.length + treated.length).toBe(40);
    expect(control.length).toBeGreaterThan(8);
    expect(treated.length).toBeGreaterThan(8);
    for (const { email } of control) expect(await emailsTo(email)).toEqual([]);
    for (const { email } of treated) expect(await emailsTo(email)).toHaveLength(1);
  });
});
