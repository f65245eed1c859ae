import { putBusEvents } from '#adapters/bus-publisher.ts';
import { eventBridge } from '#adapters/clients.ts';
import type { SendKey } from '#adapters/store/keys.ts';
import { requireEnv } from '#commons/env.ts';
import { DetailType, stageChangedEventId } from '#domain/events.ts';
import type { ActionResult } from './stage-email.ts';

/** The bus sent emails are announced on, when the stack asks for it (`loyaltyLoop:emailSentEvents`). */
const bus = process.env.EMAIL_SENT_EVENTS === 'true' ? requireEnv('EVENT_BUS_NAME').EVENT_BUS_NAME : null;

/**
 * Announces a sent email with an `Email Sent` event, when the stack asks for them. No address on
 * the bus: events are archived and cannot be erased on a redaction.
 */
export const announce = async (
  send: SendKey,
  sent: Extract<ActionResult, { status: 'sent' }>,
): Promise<void> => {
  if (!bus) return;
  const { shop, customerId, journeyId, stageId, entryId } = send;
  const eventId = `${stageChangedEventId(shop, customerId, journeyId, entryId)}/email`;
  const detail = { eventId, shop, customerId, journeyId, stageId, entryId, template: sent.template };
  const event = { ...detail, messageId: sent.messageId, sentAt: new Date().toISOString() };
  await putBusEvents(eventBridge, bus, [{ detailType: DetailType.EmailSent, detail: event }]);
};
