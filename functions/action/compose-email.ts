import { type OutgoingEmail, shopTag } from '#adapters/ses-mail.ts';
import type { SendKey } from '#adapters/store/keys.ts';
import { createUnsubscribeToken, type UnsubscribeKeys } from '#commons/unsubscribe-token.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { EmailAction } from '#domain/journey.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';

/** Unsubscribe links stay valid for a year: people unsubscribe from old emails too. */
const UNSUBSCRIBE_LINK_SECONDS = 365 * 24 * 3600;

export type Sender = {
  from: string;
  /** The shop's name in the emails' text; null: the journeys' `brandName`. */
  brand: string | null;
  /** The From's display name (the shop's name as customers know it); null: the address alone. */
  fromName: string | null;
  /** Where replies go; null: to the From address. */
  replyTo: string | null;
  /** The sender's postal address, in every email's footer. */
  postalAddress: string;
  configurationSet: string;
  /** The public base URL of the HTTP API: unsubscribe links point at its `/unsubscribe` route. */
  publicBaseUrl: string;
  /** The keys of unsubscribe links: the current one signs them. */
  unsubscribeKeys: UnsubscribeKeys;
};

/**
 * A mailbox with a display name (RFC 5322): ASCII names quoted (backslash before `"` and `\`),
 * others as a UTF-8 encoded word (RFC 2047), which SES passes as it is.
 */
export const mailbox = (name: string, address: string): string => {
  const clean = name.replace(/[\r\n]+/g, ' ').trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: printable ASCII is the point
  const display = /^[\x20-\x7e]*$/.test(clean)
    ? `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`
    : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
  return `${display} <${address}>`;
};

/** The stage's email for this customer: rendered template, one-click unsubscribe link, SES tags. */
export const composeEmail = (input: {
  config: Pick<CompiledConfig, 'templates' | 'brandName'>;
  sender: Sender;
  send: SendKey;
  action: EmailAction;
  customer: CustomerAggregate;
  to: string;
  now: Date;
}): OutgoingEmail => {
  const { config, sender, send, action, customer, to, now } = input;
  const token = createUnsubscribeToken(
    {
      shop: send.shop,
      customerId: send.customerId,
      expiresAt: Math.floor(now.getTime() / 1000) + UNSUBSCRIBE_LINK_SECONDS,
    },
    sender.unsubscribeKeys,
  );
  const unsubscribeUrl = `${sender.publicBaseUrl.replace(/\/$/, '')}/unsubscribe?token=${token}`;
  const template = config.templates[action.template];
  if (!template) throw new Error(`template "${action.template}" is missing from the bundle`);
  const rendered = template({
    shopName: sender.brand ?? config.brandName,
    postalAddress: sender.postalAddress,
    customerEmail: to,
    coupon: action.coupon ?? null,
    unsubscribeUrl,
    ordersCount: customer.ordersCount,
    totalSpent: customer.totalSpent,
  });
  return {
    ...rendered,
    from: sender.fromName ? mailbox(sender.fromName, sender.from) : sender.from,
    replyTo: sender.replyTo,
    to,
    configurationSet: sender.configurationSet,
    unsubscribeUrl,
    tags: { shop: shopTag(send.shop), journey: send.journeyId, stage: send.stageId },
  };
};
