import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { RenderedEmail } from '#domain/email.ts';

export type OutgoingEmail = RenderedEmail & {
  /** The From: an address, or a mailbox with its display name (`"Name" <address>`). */
  from: string;
  /** Where replies go (Reply-To); null: the From. */
  replyTo: string | null;
  to: string;
  configurationSet: string;
  /** One-click unsubscribe target (RFC 8058); sent as List-Unsubscribe with List-Unsubscribe-Post. */
  unsubscribeUrl: string;
  tags: Record<string, string>;
};

const tagValue = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);

/**
 * SES tag values allow no dots, so the shop travels as `bakery-demo_myshopify_com`. Shop domains
 * have no underscores, so the mapping is reversible: SES feedback names the shop that sent.
 */
export const shopTag = (shop: string): string => shop.replaceAll('.', '_');
export const shopFromTag = (tag: string | undefined): string | null =>
  tag && /^[a-z0-9][a-z0-9-]*_myshopify_com$/.test(tag) ? tag.replaceAll('_', '.') : null;

/** Sends one email through SES v2 and returns SES's message id. */
export const sendEmail = async (client: SESv2Client, email: OutgoingEmail): Promise<string> => {
  const result = await client.send(
    new SendEmailCommand({
      FromEmailAddress: email.from,
      Destination: { ToAddresses: [email.to] },
      ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
      ConfigurationSetName: email.configurationSet,
      EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({
        Name: tagValue(Name),
        Value: tagValue(Value),
      })),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: {
            Html: { Data: email.html, Charset: 'UTF-8' },
            Text: { Data: email.text, Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: `<${email.unsubscribeUrl}>` },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    }),
  );
  if (!result.MessageId) throw new Error('SES accepted the email but returned no MessageId');
  return result.MessageId;
};
