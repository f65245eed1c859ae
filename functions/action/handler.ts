import type { Context, EventBridgeEvent } from 'aws-lambda';
import { dynamoDb, eventBridge, sesV2 } from '#adapters/clients.ts';
import { CustomerStore, type SendKey } from '#adapters/customer-store.ts';
import { sendEmail, shopTag } from '#adapters/email-sender.ts';
import { putBusEvents } from '#adapters/event-bus.ts';
import { readSecret } from '#adapters/secrets.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { suppressionHash } from '#commons/suppression.ts';
import { createUnsubscribeToken } from '#commons/unsubscribe-token.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { DetailType, StageEnteredDetail } from '#domain/events.ts';
import { type EmailAction, sendDecision } from '#domain/journey.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv(
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'SENDER_ADDRESS',
  'CONFIGURATION_SET_NAME',
  'UNSUBSCRIBE_SECRET_ARN',
  'PUBLIC_BASE_URL',
);
const store = new CustomerStore(dynamoDb, env.TABLE_NAME);
/** Unsubscribe links stay valid for a year: people unsubscribe from old emails too. */
const UNSUBSCRIBE_LINK_SECONDS = 365 * 24 * 3600;

/** Renders the stage's template for this customer, sends it, and returns SES's message id. */
const renderAndSend = async (
  detail: StageEnteredDetail,
  action: EmailAction,
  customer: CustomerAggregate,
  to: string,
  now: Date,
): Promise<string> => {
  const { shop, customerId, journeyId, stageId } = detail;
  const token = createUnsubscribeToken(
    { shop, customerId, expiresAt: Math.floor(now.getTime() / 1000) + UNSUBSCRIBE_LINK_SECONDS },
    await readSecret(env.UNSUBSCRIBE_SECRET_ARN),
  );
  const unsubscribeUrl = `${env.PUBLIC_BASE_URL.replace(/\/$/, '')}/unsubscribe?token=${token}`;
  const template = journeyConfig.templates[action.template];
  if (!template) throw new Error(`template "${action.template}" is missing from the bundle`);
  const rendered = template({
    shopName: journeyConfig.brandName,
    customerEmail: to,
    coupon: action.coupon ?? null,
    unsubscribeUrl,
    ordersCount: customer.ordersCount,
    totalSpent: customer.totalSpent,
  });
  return sendEmail(sesV2, {
    ...rendered,
    from: env.SENDER_ADDRESS,
    to,
    configurationSet: env.CONFIGURATION_SET_NAME,
    unsubscribeUrl,
    tags: { shop: shopTag(shop), journey: journeyId, stage: stageId },
  });
};

/**
 * Marks this invocation's claim failed, trying a few times: a claim left 'sending' by an invocation
 * that never sent would withhold the email for good. No claim of ours (never written): nothing to do.
 */
const releaseClaim = async (send: SendKey, claimant: string, cause: unknown): Promise<void> => {
  const reason = cause instanceof Error ? cause.message : String(cause);
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await store.finishSend(send, claimant, { status: 'failed', reason, at: new Date().toISOString() });
      return;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return;
      if (attempt === 3) logger.error('could not release a send claim', { ...send, claimant, error });
    }
  }
};

export type ActionResult = { status: 'sent'; messageId: string } | { status: 'skipped'; reason: string };

/**
 * Sends a stage's email once per stage entry, to a customer who is subscribed and still in the
 * stage now. A retry after a failed send sends; a replay after a successful one does not.
 */
export const handler = async (
  event: EventBridgeEvent<string, unknown>,
  context?: Context,
): Promise<ActionResult> => {
  const detail = StageEnteredDetail.parse(event.detail);
  const { shop, customerId, journeyId, stageId, entryId } = detail;
  const skip = (reason: string): ActionResult => {
    logger.info('email skipped', { shop, customerId, journeyId, stageId, entryId, reason });
    return { status: 'skipped', reason };
  };
  // Independent reads, in parallel; the checks below still apply in the same order.
  const [customerNow, shopStatus] = await Promise.all([
    store.getAggregate(shop, customerId),
    store.getShopStatus(shop),
  ]);
  const decision = sendDecision(
    journeyConfig.journeys.find((j) => j.id === journeyId),
    stageId,
    customerNow,
  );
  if (!decision.send) return skip(decision.reason);
  if (shopStatus.uninstalledAt !== null) return skip('the app is uninstalled from this shop');
  const { action, email, customer } = decision;
  if (await store.isSuppressed(shop, suppressionHash(shop, email)))
    return skip('the address opted out before');

  const now = new Date();
  const send = { shop, customerId, journeyId, stageId, entryId };
  const claimant = context?.awsRequestId ?? `${event.id}@${now.toISOString()}`;
  let messageId: string;
  try {
    const claim = await store.claimSend(send, claimant, now.toISOString());
    if (claim !== 'claimed') return skip(`send ledger says ${claim}`);
    messageId = await renderAndSend(detail, action, customer, email, now);
  } catch (error) {
    // Nothing was sent (the claim may or may not have been written): release it, so the retry
    // Lambda makes of this event can send.
    await releaseClaim(send, claimant, error);
    throw error;
  }
  // From here on the email is out: a failure leaves the claim 'sending', so no retry sends again.
  const sentAt = new Date().toISOString();
  await store.finishSend(send, claimant, { status: 'sent', messageId, at: sentAt });
  await putBusEvents(eventBridge, env.EVENT_BUS_NAME, [
    {
      detailType: DetailType.EmailSent,
      detail: {
        eventId: `${detail.eventId}/email`,
        shop,
        customerId,
        journeyId,
        stageId,
        entryId,
        template: action.template,
        messageId,
        to: email,
        sentAt,
      },
    },
  ]);
  logger.info('email sent', { shop, customerId, journeyId, stageId, entryId, messageId });
  return { status: 'sent', messageId };
};
