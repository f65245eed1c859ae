import { demoHistoryJsonl } from './shopify-admin/demo-history.ts';
import { DEMO_SHOP } from './shopify-webhooks.ts';
import { startLocalStack } from './stack.ts';

/** `npm start`: the whole pipeline on this machine, per the local contract in the README. */
const started = Date.now();
const stack = await startLocalStack({
  port: Number(process.env.PORT ?? 3000),
  webhookSecret: process.env.SHOPIFY_API_SECRET ?? 'local-dev-secret',
  ...(process.env.SHOPIFY_API_SECRET_PREVIOUS
    ? { previousWebhookSecret: process.env.SHOPIFY_API_SECRET_PREVIOUS }
    : {}),
  adminApiKey: process.env.ADMIN_API_KEY ?? 'local-admin-key',
  logLevel: process.env.LOG_LEVEL ?? 'WARN',
});

// The demo bakery has a year of history before install, waiting in its Admin API to be backfilled.
// It ends a day back, so that reconciliation's first window (two periods) never reads it as new.
await fetch(`${stack.url}/_local/shopify/history?shop=${DEMO_SHOP}`, {
  method: 'POST',
  body: demoHistoryJsonl({ now: Date.now() - 24 * 3600_000 }),
});

process.stdout.write(
  [
    `Loyalty Loop local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `  webhooks   POST ${stack.url}/webhooks/shopify   (secret: SHOPIFY_API_SECRET, default local-dev-secret)`,
    `  admin API  GET  ${stack.url}/api/shops/{shop}/customers/{customerId}   (Bearer ADMIN_API_KEY, default local-admin-key)`,
    `  health     GET  ${stack.url}/_local/health`,
    `  emails     GET  ${stack.url}/_local/emails   (SES emulator UI: ${stack.ses.endpoint})`,
    `  clock      POST ${stack.url}/_local/advance-time {"seconds": N}`,
    `  history    a year of ${DEMO_SHOP}'s orders in its Admin API: npm run backfill -- --shop ${DEMO_SHOP}`,
    `  analytics  GET  ${stack.url}/api/shops/{shop}/analytics/{report}   (POST ${stack.url}/_local/analytics/refresh first; npm run report -- summary --shop ${DEMO_SHOP})`,
    `  DynamoDB Local ${stack.dynamoDb.endpoint}, table ${stack.tableName}`,
    '',
  ].join('\n'),
);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
