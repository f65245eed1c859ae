import type { Context, EventBridgeEvent } from 'aws-lambda';
import { dynamoDb, sesV2 } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { PendingSends } from '#adapters/store/pending-sends.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { ShopIntervalsStore } from '#adapters/store/shop-intervals.ts';
import { ShopRegistry } from '#adapters/store/shops.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import { requireEnv } from '#commons/env.ts';
import { StageEntryDetail } from '#domain/events.ts';
import { journeyConfig } from '#journeys/index.ts';
import { announce } from './announce.ts';
import { dispatchDue } from './dispatch.ts';
import { withStackTiming } from './pacing.ts';
import { scheduleStageEmail, sendOfEntry } from './schedule.ts';
import { senderOf } from './sender.ts';
import { sendDueEmail } from './stage-email.ts';

const env = requireEnv(
  'TABLE_NAME',
  'SENDER_ADDRESS',
  'CONFIGURATION_SET_NAME',
  'UNSUBSCRIBE_SECRET_ARN',
  'PUBLIC_BASE_URL',
  'SUPPRESSION_PEPPER_SECRET_ARN',
  'POSTAL_ADDRESS',
  'SETTLE_SECONDS',
);
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  customers: new CustomerRecords(table),
  shops: new ShopRegistry(table),
  suppressed: new SuppressionList(table, () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN)),
  ledger: new SendLedger(table),
  pending: new PendingSends(table),
  ses: sesV2,
  config: journeyConfig,
  sender: async () => senderOf(env, await readSecret(env.UNSUBSCRIBE_SECRET_ARN)),
  intervals: new ShopIntervalsStore(table),
  settleMs: Number(env.SETTLE_SECONDS) * 1000,
  timing: withStackTiming(journeyConfig.timing, process.env.TIMING_POLICY),
  ...(process.env.SHOP_TIME_ZONE ? { shopZone: process.env.SHOP_TIME_ZONE } : {}),
};
/**
 * `Journey Stage Changed` into a stage with an email → its pending send, sent at once when already
 * due; the minute's `Scheduled Event` → every send due by now (the dispatcher).
 */
export const handler = async (event: EventBridgeEvent<string, unknown>, context?: Context) => {
  const claimant = context?.awsRequestId ?? `${event.id}@${new Date().toISOString()}`;
  if (event['detail-type'] === 'Scheduled Event') return dispatchDue(deps, claimant, new Date(), announce);
  const entry = StageEntryDetail.parse(event.detail);
  const scheduled = await scheduleStageEmail(deps, entry, new Date());
  if (scheduled.status === 'skipped') return scheduled;
  const send = sendOfEntry(entry);
  const result = await sendDueEmail(deps, send, claimant, new Date(), scheduled.written);
  if (result.status === 'sent') await announce(send, result);
  return result.status === 'waiting' ? scheduled : result;
};
