import { unsubscribeKeys } from '#commons/unsubscribe-token.ts';
import type { Sender } from './compose-email.ts';

/**
 * Who the emails are from, as the stack configures the action function: the From address and
 * display name (`SENDER_ADDRESS`, `SENDER_NAME`), the shop's name (`BRAND_NAME`), Reply-To (`REPLY_TO_ADDRESS`), the postal address
 * of every footer (`POSTAL_ADDRESS`), the configuration set, the links' base URL, and the
 * unsubscribe-link keys (the secret's value).
 */
export const senderOf = (
  env: Record<'SENDER_ADDRESS' | 'CONFIGURATION_SET_NAME' | 'PUBLIC_BASE_URL' | 'POSTAL_ADDRESS', string>,
  unsubscribeSecret: string,
): Sender => ({
  from: env.SENDER_ADDRESS,
  fromName: process.env.SENDER_NAME || null,
  brand: process.env.BRAND_NAME || null,
  replyTo: process.env.REPLY_TO_ADDRESS || null,
  postalAddress: env.POSTAL_ADDRESS,
  configurationSet: env.CONFIGURATION_SET_NAME,
  publicBaseUrl: env.PUBLIC_BASE_URL,
  unsubscribeKeys: unsubscribeKeys(unsubscribeSecret),
});
