import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** Secrets are cached for five minutes, so a rotated value is picked up without a redeploy. */
const MAX_AGE_SECONDS = 300;

export const readSecret = async (secretId: string): Promise<string> => {
  const value = await getSecret(secretId, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string' || value.length === 0)
    throw new Error(`secret ${secretId} has no string value`);
  return value;
};

/**
 * The webhook secret may be a plain string, or during rotation JSON `{"current":"…","previous":"…"}`:
 * Shopify can keep signing with the previous secret for up to an hour.
 */
export const webhookSecrets = (secretValue: string): string[] => {
  if (!secretValue.trimStart().startsWith('{')) return [secretValue];
  const parsed: unknown = JSON.parse(secretValue);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('webhook secret JSON must be an object');
  const { current, previous } = parsed as { current?: unknown; previous?: unknown };
  if (typeof current !== 'string' || current.length === 0)
    throw new Error('webhook secret JSON needs "current"');
  return typeof previous === 'string' && previous.length > 0 ? [current, previous] : [current];
};
