import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import { secretJson } from '#commons/secret-json.ts';

/** Secrets are cached for five minutes, so a rotated value is picked up without a redeploy. */
const MAX_AGE_SECONDS = 300;

export const readSecret = async (secretId: string): Promise<string> => {
  const value = await getSecret(secretId, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string' || value.length === 0)
    throw new Error(`secret ${secretId} has no string value`);
  return value;
};

const Pair = z.object({ current: z.string().min(1), previous: z.string().min(1).optional() });
const WebhookSecret = z
  .object({
    current: z.string().min(1).optional(),
    previous: z.string().min(1).optional(),
    shops: z.record(z.string(), z.union([z.string().min(1), Pair])).optional(),
  })
  .refine((v) => v.current !== undefined || v.shops !== undefined, 'webhook secret JSON needs "current"');

/**
 * The secrets a shop's webhooks may be signed with. The value is a plain string, or JSON
 * `{"current":"…","previous":"…","shops":{"a.myshopify.com":"…"}}`: `previous` during a rotation
 * (Shopify can keep signing with it for up to an hour); `shops` for custom apps, one per store,
 * each with its own client secret (a string, or `{"current","previous"}`). A shop listed there
 * verifies with its own secrets only, so a body signed for one store cannot be re-sent as another's.
 */
export const webhookSecrets = (secretValue: string, shop = ''): string[] => {
  const parsed = secretJson(secretValue, WebhookSecret, 'webhook secret');
  if (!parsed) return [secretValue];
  const own = Object.hasOwn(parsed.shops ?? {}, shop) ? parsed.shops?.[shop] : undefined;
  const pair = typeof own === 'string' ? { current: own } : (own ?? parsed);
  return [pair.current, pair.previous].filter((s): s is string => typeof s === 'string');
};
