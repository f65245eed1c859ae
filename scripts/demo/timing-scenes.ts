import { randomUUID } from 'node:crypto';
import { inControlGroup } from '../../functions/domain/holdout.ts';
import {
  catalogLine,
  consentPayload,
  DEMO_SHOP,
  deliver,
  type LineItemInput,
  orderPayload,
} from '../../local/shopify-webhooks.ts';
import { postJson } from './http.ts';

/**
 * The demo's timing scenes, each with a customer of its own, played on the stack's clock: a
 * delayed coupon, a reminder entered by time alone, a capped email, an email held at night, and
 * the holdout report. What each scene saw is read back from the stack (the admin API's view of the
 * customer's sends, the emails), not assumed.
 */

const HOUR = 3_600;
const RUM_BABA = 8001000000001;
const SANDWICH = 8001000000002;
const SAVARIN = 8001000000006;
const CROISSANT = 8001000000003;

type Send = {
  journeyId: string;
  stageId: string;
  status: string;
  enteredAt?: string;
  dueAt?: string;
  sentAt?: string;
  reason?: string;
  heldReason?: string;
};

export type TimingScenes = {
  delayedCoupon: { boughtAt: string; dueAt: string; sentAt: string | null; delay: string };
  lapsingReminder: { lastOrderAt: string; enteredAt: string | null; sentAt: string | null };
  capped: { sent: string[]; skipped: { stage: string; reason: string }[] };
  heldAtNight: { orderedAt: string; heldReason: string | null; sentAt: string | null };
  holdouts: unknown;
};

export const playTimingScenes = async (
  baseUrl: string,
  adminApiKey: string,
  log: (line: string) => void,
): Promise<TimingScenes> => {
  const post = (path: string, body: unknown) => postJson(`${baseUrl}${path}`, body);
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      headers: { authorization: `Bearer ${adminApiKey}` },
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const settle = () => post('/_local/settle', {});
  let now = Date.parse(String((await post('/_local/advance-time', { seconds: 1 })).now));
  const advance = async (seconds: number) => {
    now = Date.parse(String((await post('/_local/advance-time', { seconds })).now));
    await settle();
  };
  const sendsOf = async (customerId: number) =>
    (await get<{ sends: Send[] }>(`/api/shops/${DEMO_SHOP}/customers/${customerId}`)).sends;
  /** When the stack sent the customer's email of a journey (its clock, as the send ledger has it); null: not yet. */
  const sentAt = async (customerId: number, journeyId: string) =>
    (await sendsOf(customerId)).find((s) => s.journeyId === journeyId && s.status === 'claimed')?.sentAt ??
    null;
  let orderId = 5_900_000;
  const subscribe = (customerId: number) =>
    deliver(baseUrl, {
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(customerId, 'subscribed', new Date(now - 60_000).toISOString()),
      eventId: randomUUID(),
    });
  const order = (customerId: number, productIds: number[], at = now) =>
    deliver(baseUrl, {
      topic: 'orders/create',
      payload: orderPayload({
        id: orderId++,
        customerId,
        createdAt: new Date(at).toISOString(),
        lines: productIds.map((id): LineItemInput => catalogLine(id)),
      }),
      eventId: randomUUID(),
    });
  /** Moves the clock an hour at a time until `done`, at most `hours`. */
  const advanceUntil = async (done: () => Promise<boolean>, hours: number) => {
    for (let h = 0; h < hours && !(await done()); h++) await advance(HOUR);
  };
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const tokyo = (at: string | null) =>
    at
      ? `${new Date(at).toLocaleString('sv-SE', { timeZone: 'Asia/Tokyo' }).slice(0, 16)} Tokyo`
      : '(not sent)';

  // 1. A delayed coupon: Savarin bought once → the coupon waits for the shop's repurchase timing.
  // A customer outside the stage's 20 % control group, so the scene shows the email.
  let buyer = 7_901;
  const outside = (id: number) =>
    !inControlGroup(
      { percent: 20 },
      {
        shop: DEMO_SHOP,
        customerId: String(id),
        journeyId: 'savarin-seconds',
        stageId: 'first-savarin',
      },
    );
  while (!outside(buyer)) buyer += 10;
  await subscribe(buyer);
  await order(buyer, [SAVARIN]);
  await settle();
  const boughtAt = iso(now);
  const pending = (await sendsOf(buyer)).find((s) => s.journeyId === 'savarin-seconds');
  const dueAt = pending?.dueAt ?? '';
  const delay = `${((Date.parse(dueAt) - now) / 86_400_000).toFixed(1)} days`;
  log(`  Delayed coupon: Savarin bought ${tokyo(boughtAt)}, its coupon due ${tokyo(dueAt)} (${delay} later)`);
  await advance(Math.max(0, Math.ceil((Date.parse(dueAt) - now) / 1000)) + 60);
  await advanceUntil(async () => (await sentAt(buyer, 'savarin-seconds')) !== null, 12);
  const couponSent = await sentAt(buyer, 'savarin-seconds');
  log(`    sent ${tokyo(couponSent)}`);

  // 2. A reminder entered by time: three orders, then nothing; no webhook after the last.
  const regular = 7_902;
  await subscribe(regular);
  for (const daysAgo of [3, 2, 1]) await order(regular, [CROISSANT], now - daysAgo * 86_400_000);
  await settle();
  const lastOrderAt = iso(now - 86_400_000);
  await advance(45 * 86_400);
  await advanceUntil(async () => (await sentAt(regular, 'win-back')) !== null, 24);
  const lapsing = (await sendsOf(regular)).find((s) => s.journeyId === 'win-back');
  const reminderSent = await sentAt(regular, 'win-back');
  log(
    `  Lapsing reminder: last order ${tokyo(lastOrderAt)}; entered "lapsing" ${tokyo(lapsing?.enteredAt ?? null)} with no webhook (the sweep); sent ${tokyo(reminderSent)}`,
  );

  // 3. A capped email: Rum Baba and a sandwich in one order enter two journeys at once.
  const both = 7_903;
  await subscribe(both);
  await order(both, [RUM_BABA, SANDWICH]);
  await settle();
  await advance(11 * 60);
  await advanceUntil(async () => (await sendsOf(both)).every((s) => s.status !== 'pending'), 12);
  const bothSends = await sendsOf(both);
  const capped = {
    sent: bothSends.filter((s) => s.status === 'claimed').map((s) => `${s.journeyId}/${s.stageId}`),
    skipped: bothSends
      .filter((s) => s.status === 'skipped')
      .map((s) => ({ stage: `${s.journeyId}/${s.stageId}`, reason: s.reason ?? '' })),
  };
  log(
    `  Capped: one order entered ${bothSends.length} stages; sent ${capped.sent.join(', ')}; skipped ${capped.skipped.map((s) => `${s.stage} (${s.reason})`).join(', ')}`,
  );

  // 4. Held at night: an order at 02:00 in Tokyo, the shop's (and this customer's) time zone.
  const night = 7_904;
  const tokyoHour = Number(
    new Date(now).toLocaleString('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' }),
  );
  const toTwo = ((26 - tokyoHour) % 24) * HOUR - Math.floor((now / 1000) % HOUR) + 60;
  await advance(toTwo > 0 ? toTwo : toTwo + 24 * HOUR);
  await subscribe(night);
  await order(night, [SANDWICH]);
  await settle();
  const orderedAt = iso(now);
  await advance(11 * 60);
  const held = (await sendsOf(night)).find((s) => s.journeyId === 'morning-regulars');
  await advanceUntil(async () => (await sentAt(night, 'morning-regulars')) !== null, 12);
  const nightSent = await sentAt(night, 'morning-regulars');
  log(
    `  Held at night: ordered ${tokyo(orderedAt)}; ${held?.heldReason ?? 'not held'}; sent ${tokyo(nightSent)}`,
  );

  // 5. Holdouts: the Savarin coupon's treated and control groups, as analytics measures them.
  await post(`/_local/analytics/refresh?shop=${DEMO_SHOP}`, {});
  const holdouts = await get<unknown>(`/api/shops/${DEMO_SHOP}/analytics/holdouts`);
  return {
    delayedCoupon: { boughtAt, dueAt, sentAt: couponSent, delay },
    lapsingReminder: { lastOrderAt, enteredAt: lapsing?.enteredAt ?? null, sentAt: reminderSent },
    capped,
    heldAtNight: { orderedAt, heldReason: held?.heldReason ?? null, sentAt: nightSent },
    holdouts,
  };
};
