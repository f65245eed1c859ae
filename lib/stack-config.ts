import type { App } from 'aws-cdk-lib';
import { z } from 'zod';
import { SHOP_DOMAIN } from '../functions/adapters/shopify/shop-domain.ts';
import type { Catalog } from '../functions/domain/journey-config.ts';
import { isTimeZone, TimingConfigSchema } from '../functions/domain/send-policy.ts';
import { readStoreConfig, type StoreConfig } from './store-config.ts';

/** The stack's name unless `loyaltyLoop:stackName` gives another. */
export const DEFAULT_STACK_NAME = 'LoyaltyLoop';

/** Who a demo stack's emails are from (`loyaltyLoop:demo`). */
export const DEMO_SENDER = {
  address: 'hello@bakery-demo.example',
  name: 'Demo Bakery',
  postalAddress: '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001, Japan (demo)',
} as const;

/** Domains reserved for examples and tests (RFC 2606, RFC 6761): no real mailbox is there. */
const RESERVED_DOMAIN = /@(?:[^@]+\.)?(?:example|test|invalid|localhost|example\.(?:com|net|org))$/i;

/** A DynamoDB stream's ARN: `arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{label}`. */
const STREAM_ARN =
  /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})\/stream\/[^/\s]+$/;

/** The table named in a stream ARN (see `STREAM_ARN`). */
export const tableOfStreamArn = (arn: string): string => STREAM_ARN.exec(arn)?.[1] ?? '';

/** Deployment settings, read from CDK context (`cdk.json` or `-c loyaltyLoop:key=value`). */
export const StackConfig = z
  .object({
    /**
     * The CloudFormation stack's name: two copies (e.g. per client store) share an account and
     * region under different names. At most 48 characters: function names add `-history-reindex`.
     */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,47}$/, 'a letter, then letters, digits and hyphens, 48 at most')
      .default(DEFAULT_STACK_NAME),
    /** The customer table's name; by default CloudFormation makes one up from the stack's. */
    tableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, '3–255 letters, digits, underscores, dots and hyphens')
      .optional(),
    /**
     * Re-attach a table kept from an earlier stack (`retainData`): its stream's ARN (`aws dynamodb
     * describe-table --table-name T --query Table.LatestStreamArn`); with `existingPepperSecretArn`,
     * the suppression pepper kept with it. The stack then creates neither.
     */
    existingTableStreamArn: z
      .string()
      .regex(STREAM_ARN, 'expected a DynamoDB stream ARN (arn:aws:dynamodb:…:table/T/stream/…)')
      .optional(),
    existingPepperSecretArn: z.string().startsWith('arn:').optional(),
    /** The unsubscribe-link key kept from an earlier stack (its `UnsubscribeKeyArn` output): links already sent keep working. */
    existingUnsubscribeKeyArn: z.string().startsWith('arn:').optional(),
    /**
     * A demo stack: sends as the demo bakery (hello@bakery-demo.example, a reserved domain nobody
     * receives mail from) with a demo postal address. The local stack and CI set it; a real deploy
     * leaves it off and must name its sender.
     */
    demo: z.boolean().default(false),
    /** The From address: at a domain the merchant owns (the stack makes its SES identity). */
    senderAddress: z.email('loyaltyLoop:senderAddress must be an email address').optional(),
    /** The From's display name, as customers know the shop. */
    senderName: z.string().trim().min(1).max(100).optional(),
    /** Where customers' replies go (Reply-To); by default the From address. */
    replyTo: z.email('an email address').optional(),
    /** The postal address in every email's footer (CAN-SPAM requires a valid physical address). */
    postalAddress: z.string().trim().min(10, 'a full postal address').max(300).optional(),
    /**
     * A custom MAIL FROM subdomain of the sender's domain (e.g. `mail` → mail.shop.example), so SPF
     * aligns with the From for DMARC; its MX and SPF records are stack outputs.
     */
    mailFromSubdomain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'one DNS label (letters, digits, hyphens)')
      .optional(),
    /** An address told of every alarm (SNS email subscription; it confirms once). */
    alarmEmail: z.email('an email address').optional(),
    /** The API's own domain (links in emails use it) and its ACM certificate in the stack's region. */
    apiDomain: z
      .string()
      .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain name like api.shop.example')
      .optional(),
    apiCertificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:/, 'an ACM certificate ARN')
      .optional(),
    senderIdentity: z.string().min(1).optional(),
    webhookSecretArn: z.string().startsWith('arn:').optional(),
    /** The shops served: their `*.myshopify.com` domains, or `*` for any shop whose webhooks verify. */
    shops: z
      .union([
        z.literal('*'),
        z
          .array(z.string().regex(SHOP_DOMAIN, 'expected *.myshopify.com domains'))
          .min(1, 'list at least one shop, or "*"'),
      ])
      .optional(),
    /** A store file (`lib/store-config.ts`): shop, brand, sender, postal address, time zone, catalog. */
    storeConfig: z.string().min(1).optional(),
    /** The shop's name as customers know it (emails' text); from the store file. */
    brand: z.string().trim().min(1).max(100).optional(),
    /** The shop's IANA time zone (quiet hours for customers whose address gives none); from the store file. */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Tokyo').optional(),
    retainData: z.boolean().default(true),
    apiRateLimit: z.number().int().positive().default(500),
    /** Each admin route's rate limit: a merchant's tools, not a firehose. */
    adminRateLimit: z.number().int().positive().default(10),
    /** GET and POST /unsubscribe each: clicks, mailbox one-click POSTs and link scanners. */
    unsubscribeRateLimit: z.number().int().positive().default(50),
    emailSentEvents: z.boolean().default(false),
    /**
     * The settle window (minutes): no stage email goes out sooner than this after its entry, so the
     * re-check at its due time sees webhooks that were still on their way (Shopify delivers out of
     * order). 0 sends at once (no protection against out-of-order deliveries).
     */
    settleMinutes: z.number().min(0).max(1440).default(10),
    /**
     * The sending policy for this deployment (frequency cap, quiet hours, time zone, per shop), over
     * the one journeys/index.ts gives: `{"frequencyCap": [{"hours": 16, "max": 1}], "quietHours": false}`.
     */
    timing: TimingConfigSchema.optional(),
    /** How often the sweep re-evaluates customers whose time conditions flipped (minutes). */
    sweepMinutes: z.number().int().min(1).max(1440).default(15),
    /** How often reconciliation reads what changed in Shopify (minutes). */
    reconcileMinutes: z.number().int().min(1).max(1440).default(15),
    /** How often each shop's analytics snapshot is rebuilt from the fact log (hours). */
    analyticsRefreshHours: z.number().int().min(1).max(168).default(24),
    /**
     * Whether the shops' webhook subscriptions are kept through the Admin API (`npm run subscriptions`,
     * and every reconciliation re-creates removed ones); false when shopify.app.toml holds them.
     */
    subscriptionsByApi: z.boolean().default(true),
  })
  .refine((c) => (c.existingTableStreamArn === undefined) === (c.existingPepperSecretArn === undefined), {
    message:
      'existingTableStreamArn and existingPepperSecretArn go together: a kept table is re-attached with the pepper its suppressions and redactions are keyed with',
    path: ['existingPepperSecretArn'],
  })
  .refine((c) => !(c.existingTableStreamArn && c.tableName), {
    message: 'tableName names a new table; a re-attached one is named by existingTableStreamArn',
    path: ['tableName'],
  })
  .refine((c) => (c.apiDomain === undefined) === (c.apiCertificateArn === undefined), {
    message: 'apiDomain and apiCertificateArn go together (the certificate must cover the domain)',
    path: ['apiCertificateArn'],
  })
  .superRefine((c, ctx) => {
    if (c.demo) return;
    if (!c.shops)
      ctx.addIssue({
        code: 'custom',
        path: ['shops'],
        message:
          'no shops: -c loyaltyLoop:shops=your-shop.myshopify.com (a list, or "*"), or a store file (loyaltyLoop:storeConfig)',
      });
    if (!c.senderAddress)
      ctx.addIssue({
        code: 'custom',
        path: ['senderAddress'],
        message:
          'no sender configured. A real deploy names its sender: -c loyaltyLoop:senderAddress=hello@your-shop.com ' +
          '-c loyaltyLoop:senderName="Your Shop" -c loyaltyLoop:postalAddress="street, city, postcode, country" ' +
          '(README: Deploy). For a demo stack that emails nobody: -c loyaltyLoop:demo=true',
      });
    else if (RESERVED_DOMAIN.test(c.senderAddress))
      ctx.addIssue({
        code: 'custom',
        path: ['senderAddress'],
        message: `${c.senderAddress} is at a reserved domain no mailbox accepts mail from; use your shop's domain, or loyaltyLoop:demo=true for a demo stack`,
      });
    if (!c.postalAddress)
      ctx.addIssue({
        code: 'custom',
        path: ['postalAddress'],
        message:
          "every marketing email must show the sender's postal address (CAN-SPAM): set loyaltyLoop:postalAddress",
      });
  })
  .transform((c) => ({
    ...c,
    senderAddress: c.senderAddress ?? DEMO_SENDER.address,
    senderName: c.senderName ?? (c.demo ? DEMO_SENDER.name : undefined),
    postalAddress: c.postalAddress ?? DEMO_SENDER.postalAddress,
    shops: c.shops ?? ['bakery-demo.myshopify.com'],
  }));
export type StackConfig = z.output<typeof StackConfig>;

/** The context keys read (`loyaltyLoop:<key>`). */
export const KEYS = [
  'storeConfig',
  'timeZone',
  'demo',
  'senderName',
  'replyTo',
  'postalAddress',
  'mailFromSubdomain',
  'apiDomain',
  'alarmEmail',
  'apiCertificateArn',
  'stackName',
  'tableName',
  'existingTableStreamArn',
  'existingPepperSecretArn',
  'existingUnsubscribeKeyArn',
  'senderAddress',
  'senderIdentity',
  'webhookSecretArn',
  'shops',
  'retainData',
  'apiRateLimit',
  'adminRateLimit',
  'unsubscribeRateLimit',
  'emailSentEvents',
  'settleMinutes',
  'timing',
  'sweepMinutes',
  'reconcileMinutes',
  'analyticsRefreshHours',
  'subscriptionsByApi',
] as const;

/** Context values given on the command line arrive as strings: "false" and "500" are coerced. */
const coerce = (value: unknown): unknown => {
  if (value === 'true') return true;
  // -c loyaltyLoop:shops=a.myshopify.com,b.myshopify.com
  if (typeof value === 'string' && value.includes('.myshopify.com'))
    return value.split(',').map((s) => s.trim());
  if (value === 'false') return false;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  // -c 'loyaltyLoop:timing={"quietHours":false}'
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
};

/** What a store file sets, as the context keys it stands for. */
const fromStoreFile = (store: StoreConfig): Record<string, unknown> => ({
  shops: [store.shop],
  brand: store.brand,
  senderAddress: store.sender.address,
  senderName: store.sender.name ?? store.brand,
  replyTo: store.sender.replyTo,
  postalAddress: store.postalAddress,
  timeZone: store.timeZone,
});

export const readStackConfig = (app: App): StackConfig & { catalog?: Catalog } => {
  const given: Record<string, unknown> = Object.fromEntries(
    KEYS.map((key) => [key, coerce(app.node.tryGetContext(`loyaltyLoop:${key}`))]).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const store = typeof given.storeConfig === 'string' ? readStoreConfig(given.storeConfig) : null;
  const raw = { ...given };
  if (store) {
    const clashes: string[] = [];
    for (const [key, value] of Object.entries(fromStoreFile(store))) {
      if (value === undefined) continue;
      if (raw[key] !== undefined && JSON.stringify(raw[key]) !== JSON.stringify(value))
        clashes.push(
          `  - loyaltyLoop:${key}: ${JSON.stringify(raw[key])} as context, ${JSON.stringify(value)} in ${given.storeConfig}: give it once`,
        );
      raw[key] = value;
    }
    if (clashes.length > 0) throw new Error(`invalid Loyalty Loop context:\n${clashes.join('\n')}`);
  }
  const parsed = StackConfig.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - loyaltyLoop:${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid Loyalty Loop context:\n${lines.join('\n')}`);
  }
  return store?.catalogData ? { ...parsed.data, catalog: store.catalogData } : parsed.data;
};
