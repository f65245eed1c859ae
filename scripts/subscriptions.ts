import { parseArgs } from 'node:util';
import { SHOP_DOMAIN } from '#adapters/shopify/shop-domain.ts';
import {
  checkSubscriptions,
  ensureSubscriptions,
  isComplete,
  type SubscriptionsReport,
  type TopicReport,
} from '#adapters/shopify/webhook-subscriptions.ts';
import { assertUnreachable } from '#domain/conditions.ts';
import { HANDLED_TOPICS } from '../functions/ingest/topics.ts';
import { awsTarget, localTarget, sessionsFor, type Target } from './operator-target.ts';
import { runMain } from './run-main.ts';

/**
 * Subscribes a shop to every topic the ingest function handles, at the stack's webhook address
 * (shop-scoped subscriptions through the Admin API; docs/shopify.app.toml is the app-wide way).
 * Creates only what is missing; exits 1 when a topic is still not subscribed as it should be.
 *
 *   npm run subscriptions -- --shop S                        # the local stack on PORT (default 3000)
 *   npm run subscriptions -- --shop S --local URL [--address URL]
 *   npm run subscriptions -- --shop S --admin-tokens-secret A --address <WebhookUrl output>   # in AWS
 *   ... --check                                              # list only, create nothing
 */
export const parseSubscriptionsCommand = (args: string[]) => {
  const { values } = parseArgs({
    args,
    options: {
      shop: { type: 'string' },
      local: { type: 'string' },
      address: { type: 'string' },
      'admin-tokens-secret': { type: 'string' },
      check: { type: 'boolean', default: false },
    },
  });
  if (!values.shop || !SHOP_DOMAIN.test(values.shop)) throw new Error('pass --shop <shop>.myshopify.com');
  const secret = values['admin-tokens-secret'];
  if (secret && !values.address)
    throw new Error('pass --address <WebhookUrl output> with --admin-tokens-secret');
  return {
    shop: values.shop,
    check: values.check,
    address: values.address ?? null,
    aws: secret ? { adminTokensSecretArn: secret } : null,
    local: secret ? null : (values.local ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`),
  };
};

const describeTopic = (t: TopicReport): string => {
  switch (t.status) {
    case 'present':
      return t.outdated.length > 0
        ? `present, but its ${t.outdated.join(' and ')} differ from ours (not changed)`
        : 'present';
    case 'created':
      return 'created';
    case 'missing':
      return 'missing';
    case 'failed':
      return `failed: ${t.errors.join('; ')}`;
    case 'configured-in-app':
      return 'configured in the app (compliance_topics), not by API';
    default:
      return assertUnreachable(t);
  }
};

/** The report as an operator reads it: one line per topic, then the subscriptions that are not ours. */
export const formatReport = (report: SubscriptionsReport): string => {
  const width = Math.max(...report.topics.map((t) => t.topic.length));
  const lines = [
    `webhook subscriptions of ${report.shop} at ${report.address}:`,
    ...report.topics.map((t) => `  ${t.topic.padEnd(width)}  ${describeTopic(t)}`),
    ...report.others.map((s) =>
      s.reason === 'another-address'
        ? `  note: ${s.topic} is also subscribed at ${s.uri} (${s.id}; not deleted)`
        : `  note: ${s.topic} at ${s.uri} is not a topic Loyalty Loop handles (${s.id}; its deliveries are quarantined)`,
    ),
  ];
  return `${lines.join('\n')}\n`;
};

/** Lists (with `check`) or ensures the shop's subscriptions; the report says what it found and did. */
export const subscriptions = async (
  target: Pick<Target, 'adminTokens' | 'adminOrigin'>,
  { shop, address, check }: { shop: string; address: string; check: boolean },
): Promise<SubscriptionsReport> => {
  const session = await sessionsFor(target).forShop(shop);
  if (!session) throw new Error(`the ShopifyAdminTokens secret has no entry for ${shop}`);
  return (check ? checkSubscriptions : ensureSubscriptions)(session, address, HANDLED_TOPICS);
};

const main = async () => {
  const command = parseSubscriptionsCommand(process.argv.slice(2));
  const target = command.aws
    ? awsTarget({ queuePrefix: '', tableName: '', webhookUrl: command.address ?? '', ...command.aws })
    : await localTarget(command.local ?? '');
  const address = command.address ?? target.webhookUrl;
  const report = await subscriptions(target, { shop: command.shop, address, check: command.check });
  process.stdout.write(formatReport(report));
  if (!isComplete(report)) process.exitCode = 1;
};

if (import.meta.main) runMain('subscriptions', main);
