import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import demoCatalog from '../journeys/bakery-catalog.json' with { type: 'json' };
import { STACK_NAME } from '../lib/build-app.ts';
import { AsyncInvoker } from './async-invoker.ts';
import { AwsEmulator } from './aws-emulator.ts';
import { LocalClock } from './clock.ts';
import { DeadLetters } from './dead-letters.ts';
import { DynamoDbLocal, LOCAL_CREDENTIALS } from './dynamodb.ts';
import { CapacityMeter, startDynamoDbProxy } from './dynamodb-proxy.ts';
import { LocalEventBus } from './event-bus.ts';
import { type FaultOptions, Faults } from './faults.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { localEndpoints } from './local-endpoints.ts';
import { LocalServer } from './local-server.ts';
import { S3Local } from './s3.ts';
import { SesLocal } from './ses.ts';
import { ShopifyAdminLocal } from './shopify-admin/server.ts';
import { DEMO_SHOP } from './shopify-webhooks.ts';
import {
  createTables,
  refreshAnalytics,
  type Stops,
  secretArnOf,
  secretsFor,
  serveRoutes,
  settleWhenCalm,
  startExtraFunctions,
  startFunctions,
  startSchedules,
  startStreamMappings,
  synthesizeTemplate,
} from './stack-steps.ts';
import { LOCAL_REGION } from './template.ts';

export type LocalStackOptions = {
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** @default 'local-dev-secret' */
  webhookSecret?: string;
  /** Also accepted while rotating secrets (Shopify may sign with it for up to an hour). */
  previousWebhookSecret?: string;
  /** Per-shop webhook secrets (custom apps, one per store): these shops verify with their own only. */
  shopWebhookSecrets?: Record<string, string>;
  /** @default 'local-admin-key' */
  adminApiKey?: string;
  /** Powertools log level inside the functions. @default 'WARN' */
  logLevel?: string;
  /**
   * Admin API tokens per shop (the ShopifyAdminTokens secret); the local Admin API stand-in accepts them.
   * @default { 'bakery-demo.myshopify.com': 'shpat_local' }
   */
  shopifyAdminTokens?: Record<string, string>;
  /** Inject failures into functions and DynamoDB calls (tests of the delivery guarantees). */
  faults?: FaultOptions;
  /** Meter the DynamoDB capacity the functions consume (benchmarks). */
  meterCapacity?: boolean;
  /**
   * More HTTP routes, not part of the CDK app, served exactly like the app's own: the same
   * gateway, a function worker of their own running `modulePath`'s `handler`, with the spec and
   * environment of the app function whose service `environmentOf` names (e.g. 'ingest'). The
   * benchmarks serve their floor function this way, beside the real webhook route.
   */
  extraRoutes?: ExtraRoute[];
  /** CDK context over cdk.json's, e.g. `{ 'loyaltyLoop:emailSentEvents': true }`. */
  context?: Record<string, unknown>;
};

export type ExtraRoute = { method: string; path: string; modulePath: string; environmentOf: string };

export type LocalStack = {
  url: string;
  clock: LocalClock;
  bus: LocalEventBus;
  deadLetters: DeadLetters;
  ses: SesLocal;
  dynamoDb: DynamoDbLocal;
  tableName: string;
  /** The injected faults (when asked for): counts, and the options, which a test may change. */
  faults: Faults | null;
  /** DynamoDB capacity consumed by the functions, when `meterCapacity` was asked for. */
  capacity: CapacityMeter | null;
  functions: Map<string, LocalFunction>;
  /** Waits until every stream is drained and no asynchronous invocation is in flight. */
  settle: (timeoutMs?: number) => Promise<boolean>;
  stop: () => Promise<void>;
};

const shopifyAdminTokens = (options: LocalStackOptions) =>
  options.shopifyAdminTokens ?? { 'bakery-demo.myshopify.com': 'shpat_local' };

/** Which local setting stands in for each secret, by the variable through which functions read it. */
const secretValues = (options: LocalStackOptions): Record<string, string> => {
  const current = options.webhookSecret ?? 'local-dev-secret';
  const { previousWebhookSecret: previous, shopWebhookSecrets: shops } = options;
  return {
    WEBHOOK_SECRET_ARN: previous || shops ? JSON.stringify({ current, previous, shops }) : current,
    ADMIN_API_KEY_SECRET_ARN: options.adminApiKey ?? 'local-admin-key',
    SHOPIFY_ADMIN_TOKENS_SECRET_ARN: JSON.stringify(shopifyAdminTokens(options)),
  };
};

/**
 * Starts the whole pipeline on this machine, in the steps of `stack-steps.ts`: synthesizes the
 * CDK app, creates its tables in DynamoDB Local, runs its bundled functions, serves its HTTP
 * routes, polls its streams, routes its bus rules and (when it has any) its schedules — plus the
 * `/_local` endpoints of DESIGN.md's local contract.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const clock = new LocalClock();
  const server = await LocalServer.listen(options.port ?? 3000);
  const stops: Stops = [];
  const stop = async () => {
    await server.close();
    for (const fn of stops.reverse()) await fn();
  };
  try {
    // 1. template, while DynamoDB Local and the SES emulator start.
    const [dynamoDb, ses, wiring] = await Promise.all([
      DynamoDbLocal.start(),
      SesLocal.start(),
      Promise.resolve().then(() => synthesizeTemplate(options.context ?? {}, server.url, stops)),
    ]);
    stops.push(
      () => dynamoDb.stop(),
      () => ses.stop(),
    );
    // 2. tables and buckets.
    const streamArns = await createTables(dynamoDb, wiring);
    const s3 = await S3Local.start(mkdtempSync(join(tmpdir(), 'loyalty-loop-s3-')), wiring.buckets);
    stops.push(() => s3.stop());

    // The services functions call: the AWS emulator (bus, secrets, queues, Lambda), Shopify's Admin
    // API stand-in, and DynamoDB (through a proxy when faults or metering are asked for).
    const deadLetters = new DeadLetters(wiring.queues);
    const functions = new Map<string, LocalFunction>();
    const invoker = new AsyncInvoker(wiring.invokeConfigs, deadLetters, clock);
    const bus = new LocalEventBus(wiring.busNames, functions, invoker, clock);
    const secrets = secretsFor(wiring, secretValues(options));
    const emulator = new AwsEmulator({
      bus,
      secrets,
      deadLetters,
      functions,
      invoker,
      stackName: STACK_NAME,
    });
    const awsEndpoint = await emulator.listen();
    stops.push(() => emulator.close());
    // The shops' Admin API, on the stack's clock (tokens expire, bulk operations run, buckets refill).
    const shopifyAdmin = await ShopifyAdminLocal.start(shopifyAdminTokens(options), {
      now: () => clock.now(),
      // The stack's own webhook address is http://127.0.0.1 (`npm run subscriptions` subscribes it).
      allowHttpWebhookUris: true,
    });
    stops.push(() => shopifyAdmin.admin.stop());
    // The demo bakery sells its catalog (journeys/bakery-catalog.json) in its Admin API too.
    shopifyAdmin.admin.loadCatalog(DEMO_SHOP, demoCatalog);
    const faults = options.faults ? new Faults(options.faults) : null;
    const capacity = options.meterCapacity ? new CapacityMeter() : null;
    let functionsDynamoDb = dynamoDb.endpoint;
    if (faults || capacity) {
      const proxy = await startDynamoDbProxy(dynamoDb.endpoint, {
        ...(faults ? { fault: faults.forDynamoDb } : {}),
        ...(capacity ? { meter: capacity } : {}),
      });
      stops.push(proxy.close);
      functionsDynamoDb = proxy.endpoint;
    }

    // 3. functions.
    await startFunctions({
      wiring,
      functions,
      clock,
      stops,
      fault: (service) => faults?.forFunction(service),
      environment: (spec) => ({
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
        // Metrics are EMF log lines: shown unless only errors are asked for (tests, benchmarks).
        POWERTOOLS_METRICS_DISABLED: String(options.logLevel === 'ERROR'),
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_LAMBDA_FUNCTION_NAME: spec.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
        AWS_ENDPOINT_URL_DYNAMODB: functionsDynamoDb,
        AWS_ENDPOINT_URL_SESV2: ses.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: awsEndpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: awsEndpoint,
        AWS_ENDPOINT_URL_LAMBDA: awsEndpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        ...(spec.environment.SHOPIFY_ADMIN_ORIGIN ? { SHOPIFY_ADMIN_ORIGIN: shopifyAdmin.origin } : {}),
      }),
    });
    // 4. routes (the app's, and any extra ones).
    const extra = await startExtraFunctions({ extras: options.extraRoutes ?? [], functions, clock, stops });
    const routes = serveRoutes(
      [...wiring.routes, ...extra.routes],
      (id) => functions.get(id) ?? extra.extraFunctions.get(id),
      clock,
    );
    // 5. stream mappings.
    const pollers = startStreamMappings({
      wiring,
      dynamoDb,
      streamArns,
      functions,
      deadLetters,
      clock,
      stops,
    });
    // 6. rules.
    bus.routeRules(wiring.rules);
    // 7. schedules.
    const scheduler = startSchedules({ wiring, functions, invoker, clock, stops });

    const settle = settleWhenCalm(pollers, invoker);
    const tableName = wiring.tables[0]?.name ?? '';
    const local = localEndpoints({
      wiring,
      functions,
      pollers,
      invoker,
      bus,
      deadLetters,
      ses,
      clock,
      scheduler,
      faults,
      shopifyAdminCalls: () => shopifyAdmin.admin.calls,
      shopifyHistory: (shop, jsonl) => shopifyAdmin.admin.loadHistory(shop, jsonl),
      shopifyCatalog: (shop, catalog) => shopifyAdmin.admin.loadCatalog(shop, catalog),
      settle: () => settle(),
      refreshAnalytics: (shop) => refreshAnalytics({ functions, dynamoDb, tableName, settle, shop }),
      operator: {
        stackName: STACK_NAME,
        tableName,
        pepperSecretArn: secretArnOf(wiring, 'SUPPRESSION_PEPPER_SECRET_ARN'),
        adminTokensSecretArn: secretArnOf(wiring, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN'),
        adminOrigin: shopifyAdmin.origin,
        endpoints: { aws: awsEndpoint, dynamoDb: dynamoDb.endpoint },
      },
    });
    server.serve(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const method = req.method ?? 'GET';
      await (path.startsWith('/_local/') ? local : routes)(method, path, req, res);
    });
    return {
      url: server.url,
      clock,
      bus,
      deadLetters,
      ses,
      dynamoDb,
      tableName,
      faults,
      capacity,
      functions,
      settle,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
