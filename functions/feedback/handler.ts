import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { dynamoDb } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { shopFromTag } from '#adapters/ses-mail.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import { requireEnv } from '#commons/env.ts';
import { logger } from '#commons/logger.ts';
import { countMetric } from '#commons/metrics.ts';
import { describeIssues } from '#commons/validation.ts';

const env = requireEnv('TABLE_NAME', 'SUPPRESSION_PEPPER_SECRET_ARN');
const pepper = () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN);
const suppressed = new SuppressionList({ doc: dynamoDb, name: env.TABLE_NAME }, pepper);

const Recipients = z.array(z.object({ emailAddress: z.string().min(3).max(320) })).max(50);

/** The parts of SES's event-publishing record (EventBridge `detail`) that decide a suppression. */
const SesFeedback = z.object({
  eventType: z.enum(['Bounce', 'Complaint']),
  mail: z.object({
    timestamp: z.string(),
    /** Message tags: SES gives every tag as a list of values. */
    tags: z.record(z.string(), z.array(z.string())),
  }),
  bounce: z.object({ bounceType: z.string(), bouncedRecipients: Recipients }).optional(),
  complaint: z.object({ complainedRecipients: Recipients }).optional(),
});

/**
 * SES bounce and complaint events (configuration set → default event bus → this function):
 * a permanent bounce or a complaint suppresses the address for the shop that sent the email, so
 * no journey email goes to it again (checked before every send). Transient bounces are left to
 * SES's own retries.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  const parsed = SesFeedback.safeParse(event.detail);
  if (!parsed.success) {
    // Not ours to retry: a malformed record would fail the same way every time.
    logger.error('unusable SES event', { id: event.id, reason: describeIssues(parsed.error) });
    return;
  }
  const feedback = parsed.data;
  const shop = shopFromTag(feedback.mail.tags.shop?.[0]);
  if (!shop) {
    logger.warn('SES event for an email without a shop tag', { id: event.id });
    return;
  }
  const recipients =
    feedback.eventType === 'Complaint'
      ? (feedback.complaint?.complainedRecipients ?? [])
      : feedback.bounce?.bounceType === 'Permanent'
        ? feedback.bounce.bouncedRecipients
        : [];
  for (const { emailAddress } of recipients) {
    await suppressed.suppress(shop, emailAddress, event.time);
    countMetric(feedback.eventType === 'Complaint' ? 'ComplaintSuppressed' : 'BounceSuppressed');
  }
  logger.info('SES feedback applied', { shop, eventType: feedback.eventType, suppressed: recipients.length });
};
