import type { Context, EventBridgeEvent } from 'aws-lambda';
import { putBusEvents } from '#adapters/bus-publisher.ts';
import { dynamoDb, eventBridge, sesV2 } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { ShopRegistry } from '#adapters/store/shops.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import { requireEnv } from '#commons/env.ts';
import { DetailType, StageEntryDetail } from '#domain/events.ts';
import { journeyConfig } from '#journeys/index.ts';
import { senderOf } from './sender.ts';
import { type ActionResult, sendStageEmail } from './stage-email.ts';

const env = requireEnv(
  'TABLE_NAME',
  'SENDER_ADDRESS',
  'CONFIGURATION_SET_NAME',
  'UNSUBSCRIBE_SECRET_ARN',
  'PUBLIC_BASE_URL',
  'SUPPRESSION_PEPPER_SECRET_ARN',
  'POSTAL_ADDRESS',
);
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps = {
  customers: new CustomerRecords(table),
  shops: new ShopRegistry(table),
  suppressed: new SuppressionList(table, () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN)),
  ledger: new SendLedger(table),
  ses: sesV2,
  config: journeyConfig,
  sender: async () => senderOf(env, await readSecret(env.UNSUBSCRIBE_SECRET_ARN)),
};
/** The bus to announce every send on, when the stack asks for it (`loyaltyLoop:emailSentEvents`). */
const announceOn =
  process.env.EMAIL_SENT_EVENTS === 'true' ? requireEnv('EVENT_BUS_NAME').EVENT_BUS_NAME : null;

/** `Journey Stage Changed` into a stage with an email → that email, once per stage entry. */
export const handler = async (
  event: EventBridgeEvent<string, unknown>,
  context?: Context,
): Promise<ActionResult> => {
  const entry = StageEntryDetail.parse(event.detail);
  const claimant = context?.awsRequestId ?? `${event.id}@${new Date().toISOString()}`;
  const result = await sendStageEmail(deps, entry, claimant);
  if (result.status === 'sent' && announceOn) {
    const { shop, customerId, journeyId, to: stageId, entryId } = entry;
    // No address on the bus: events are archived and cannot be erased on a redaction.
    const { messageId, template } = result;
    const detail = { eventId: `${entry.eventId}/email`, shop, customerId, journeyId, stageId, entryId };
    const sent = { ...detail, template, messageId, sentAt: new Date().toISOString() };
    await putBusEvents(eventBridge, announceOn, [{ detailType: DetailType.EmailSent, detail: sent }]);
  }
  return result;
};
