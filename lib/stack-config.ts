import type { App } from 'aws-cdk-lib';
import { z } from 'zod';

/** Deployment settings, read from CDK context (`cdk.json` or `-c loyaltyLoop:key=value`). */
export const StackConfig = z.object({
  senderAddress: z.email('loyaltyLoop:senderAddress must be an email address'),
  senderIdentity: z.string().min(1).optional(),
  webhookSecretArn: z.string().startsWith('arn:').optional(),
  retainData: z.boolean().default(true),
  apiRateLimit: z.number().int().positive().default(500),
  emailSentEvents: z.boolean().default(false),
});
export type StackConfig = z.infer<typeof StackConfig>;

const KEYS = [
  'senderAddress',
  'senderIdentity',
  'webhookSecretArn',
  'retainData',
  'apiRateLimit',
  'emailSentEvents',
] as const;

/** Context values given on the command line arrive as strings: "false" and "500" are coerced. */
const coerce = (value: unknown): unknown => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return value;
};

export const readStackConfig = (app: App): StackConfig => {
  const raw = Object.fromEntries(
    KEYS.map((key) => [key, coerce(app.node.tryGetContext(`loyaltyLoop:${key}`))]).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const parsed = StackConfig.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - loyaltyLoop:${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid Loyalty Loop context:\n${lines.join('\n')}`);
  }
  return parsed.data;
};
