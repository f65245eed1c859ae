import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { z } from 'zod';
import { buildApp, STACK_NAME } from '../lib/build-app.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { AsyncInvoker } from './async-invoker.ts';
import { AwsEmulator } from './aws-emulator.ts';
import { LocalClock } from './clock.ts';
import { DeadLetters } from './dead-letters.ts';
import { DynamoDbLocal, LOCAL_CREDENTIALS } from './dynamodb.ts';
import { CapacityMeter, startDynamoDbProxy } from './dynamodb-proxy.ts';
import { LocalEventBus } from './event-bus.ts';
import { type FaultOptions, Faults } from './faults.ts';
import {
  BodyTooLarge,
  fromProxyResult,
  MAX_REQUEST_BYTES,
  readBody,
  routeMatcher,
  toProxyEvent,
} from './http-gateway.ts';
import { LocalFunction } from './lambda-runtime.ts';
import { SesLocal, sesFeedbackEntry } from './ses.ts';
import { ShopifyAdminLocal } from './shopify-admin.ts';
import { StreamPoller } from './stream-poller.ts';
import { LOCAL_REGION, readWiring } from './template.ts';

export type LocalStackOptions = {
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** @default 'local-dev-secret' */
  webhookSecret?: string;
  /** Also accepted while rotating secrets (Shopify may sign with it for up to an hour). */
  previousWebhookSecret?: string;
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

const AdvanceTime = z
  .object({
    seconds: z
      .number()
      .positive()
      .max(10 * 365 * 24 * 3600),
  })
  .strict();

const SesFeedbackInput = z
  .object({
    type: z.enum(['Bounce', 'Complaint']),
    to: z.string().min(3).max(320),
    shop: z.string().min(1).max(255),
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).default('Permanent'),
  })
  .strict();

const shopifyAdminTokens = (options: LocalStackOptions) =>
  options.shopifyAdminTokens ?? { 'bakery-demo.myshopify.com': 'shpat_local' };

/** Which local setting stands in for each secret, by the variable through which functions read it. */
const secretValues = (options: LocalStackOptions): Record<string, string> => {
  const current = options.webhookSecret ?? 'local-dev-secret';
  return {
    WEBHOOK_SECRET_ARN: options.previousWebhookSecret
      ? JSON.stringify({ current, previous: options.previousWebhookSecret })
      : current,
    ADMIN_API_KEY_SECRET_ARN: options.adminApiKey ?? 'local-admin-key',
    SHOPIFY_ADMIN_TOKENS_SECRET_ARN: JSON.stringify(shopifyAdminTokens(options)),
  };
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    ...headers,
    'content-length': String(payload.length),
  });
  res.end(payload);
};

/**
 * Starts the whole pipeline on this machine: synthesizes the CDK app, creates its tables in
 * DynamoDB Local, runs its bundled functions, polls its streams, routes its bus rules, and
 * serves its HTTP routes plus the `/_local` endpoints of DESIGN.md's local contract.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const clock = new LocalClock();
  let ready = false;
  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => undefined;
  const server: Server = createServer((req, res) => {
    if (!ready) {
      req.resume();
      send(res, 503, { status: 'starting' });
      return;
    }
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`[local] ${req.method} ${req.url}: ${String(error)}\n`);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const assemblyDir = mkdtempSync(join(tmpdir(), 'loyalty-loop-cdk-'));
  const stops: (() => Promise<void> | void)[] = [() => rmSync(assemblyDir, { recursive: true, force: true })];
  const stop = async () => {
    ready = false;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const fn of stops.reverse()) await fn();
  };

  try {
    const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    const [dynamoDb, ses] = await Promise.all([
      DynamoDbLocal.start(),
      SesLocal.start(),
      Promise.resolve().then(() =>
        buildApp({
          outdir: assemblyDir,
          context: { ...cdkJson.context, ...options.context },
        }).app.synth(),
      ),
    ]);
    stops.push(
      () => dynamoDb.stop(),
      () => ses.stop(),
    );

    const wiring = readWiring(assemblyDir, STACK_NAME, url);
    const streamArns = new Map<string, string | null>();
    for (const table of wiring.tables) streamArns.set(table.logicalId, await dynamoDb.createTable(table));

    const secrets = new Map<string, string>();
    const localSecretValues = secretValues(options);
    for (const secret of wiring.secrets) {
      const variable = [...wiring.functions.values()]
        .flatMap((fn) => Object.entries(fn.environment))
        .find(([, value]) => value === secret.arn)?.[0];
      secrets.set(secret.arn, (variable && localSecretValues[variable]) || randomBytes(24).toString('hex'));
    }

    const deadLetters = new DeadLetters(wiring.queues);
    // Filled below; the bus routes to functions only once they run.
    const functions = new Map<string, LocalFunction>();
    const invoker = new AsyncInvoker(wiring.invokeConfigs, deadLetters, clock);
    const bus = new LocalEventBus(wiring.busNames, wiring.rules, functions, invoker, clock);
    // The emulator listens before functions start: their environment names its URL.
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

    const shopifyAdmin = await ShopifyAdminLocal.start(shopifyAdminTokens(options));
    stops.push(() => shopifyAdmin.admin.stop());
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

    for (const spec of wiring.functions.values()) {
      const { NODE_OPTIONS: _ignored, ...templateEnvironment } = spec.environment;
      const fn = new LocalFunction(
        spec,
        {
          ...templateEnvironment,
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
          ...(templateEnvironment.SHOPIFY_ADMIN_ORIGIN ? { SHOPIFY_ADMIN_ORIGIN: shopifyAdmin.origin } : {}),
        },
        clock,
      );
      fn.fault = faults?.forFunction(
        String(spec.environment.POWERTOOLS_SERVICE_NAME ?? '').replace(/^loyalty-loop-/, ''),
      );
      functions.set(spec.logicalId, fn);
      stops.push(() => fn.stop());
    }
    await Promise.all([...functions.values()].map((fn) => fn.ready));

    // Kept out of `functions`: no rule, stream or health report of the app ever sees them.
    const extraFunctions = new Map<string, LocalFunction>();
    const extraRoutes = (options.extraRoutes ?? []).map((extra, i) => {
      const like = [...functions.values()].find(
        (fn) => fn.environment.POWERTOOLS_SERVICE_NAME === `loyalty-loop-${extra.environmentOf}`,
      );
      if (!like)
        throw new Error(`extra route ${extra.path}: no function ${extra.environmentOf} to take after`);
      const logicalId = `ExtraRoute${i}`;
      const spec = { ...like.spec, logicalId, modulePath: extra.modulePath, exportName: 'handler' };
      const fn = new LocalFunction(spec, { ...like.environment, AWS_LAMBDA_FUNCTION_NAME: logicalId }, clock);
      extraFunctions.set(logicalId, fn);
      stops.push(() => fn.stop());
      return { method: extra.method, path: extra.path, functionId: logicalId };
    });
    await Promise.all([...extraFunctions.values()].map((fn) => fn.ready));

    const streams = new DynamoDBStreamsClient({
      endpoint: dynamoDb.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const pollers = wiring.streamMappings.map((mapping) => {
      const streamArn = streamArns.get(mapping.tableId);
      const fn = functions.get(mapping.functionId);
      if (!streamArn || !fn)
        throw new Error(
          `mapping ${mapping.logicalId}: table ${mapping.tableId} has no stream or function is missing`,
        );
      return new StreamPoller({
        mapping,
        streamArn,
        fn,
        client: streams,
        endpoint: dynamoDb.endpoint,
        deadLetters,
        clock,
      });
    });
    for (const poller of pollers) poller.start();
    stops.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
      streams.destroy();
    });

    const settle = async (timeoutMs = 30_000): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      // Twice in a row: a delivery can write (and so stream) again.
      for (let calm = 0; calm < 2; ) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        const drained = (await Promise.all(pollers.map((p) => p.settled(remaining)))).every(Boolean);
        if (!drained) return false;
        if (invoker.busy) {
          calm = 0;
          await new Promise((resolve) => setTimeout(resolve, 20));
        } else calm++;
      }
      return true;
    };

    const routes = [...wiring.routes, ...extraRoutes].map((route) => ({ route, match: routeMatcher(route) }));
    handle = async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const method = req.method ?? 'GET';
      if (path.startsWith('/_local/')) {
        await handleLocal(method, path, req, res);
        return;
      }
      for (const { route, match } of routes) {
        const params = match(method, path);
        if (!params) continue;
        let body: Buffer;
        try {
          body = await readBody(req, MAX_REQUEST_BYTES);
        } catch (error) {
          if (error instanceof BodyTooLarge) {
            // The rest of the body is still arriving: close rather than reuse this connection.
            send(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
            return;
          }
          throw error;
        }
        const fn = functions.get(route.functionId) ?? extraFunctions.get(route.functionId);
        if (!fn) throw new Error(`route ${route.path} has no function`);
        try {
          const response = fromProxyResult(await fn.invoke(toProxyEvent(req, route, params, body, clock)));
          send(res, response.status, response.body, response.headers);
        } catch (error) {
          process.stderr.write(`[local] ${route.method} ${route.path}: ${String(error)}\n`);
          send(res, 500, { message: 'Internal Server Error' });
        }
        return;
      }
      req.resume(); // drain an unread body, or the client waits for us to read it
      send(res, 404, { message: 'Not Found' });
    };

    /** Reads a small JSON body against a schema; answers 400 (and returns null) when it does not fit. */
    const readJson = async <T>(
      req: IncomingMessage,
      res: ServerResponse,
      schema: z.ZodType<T>,
      shape: string,
    ) => {
      let input: unknown;
      try {
        input = JSON.parse((await readBody(req, 4096)).toString('utf8'));
      } catch {
        send(res, 400, { message: `body must be JSON ${shape}` });
        return null;
      }
      const parsed = schema.safeParse(input);
      if (parsed.success) return parsed.data;
      send(res, 400, {
        message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      });
      return null;
    };

    const handleLocal = async (method: string, path: string, req: IncomingMessage, res: ServerResponse) => {
      const key = `${method} ${path}`;
      switch (key) {
        case 'GET /_local/health':
          send(res, 200, {
            status: 'ok',
            functions: [...functions.values()].map((fn) => ({
              id: fn.spec.logicalId,
              invocations: fn.invocations,
            })),
            streams: pollers.map((p) => p.describe()),
            rules: wiring.rules.length,
            asyncFailures: invoker.failures.length,
            ...(faults ? { faultsInjected: faults.counts } : {}),
            // For operator commands run against the local stack (npm run redrive -- --local URL).
            stackName: STACK_NAME,
            tableName: wiring.tables[0]?.name ?? '',
            endpoints: { aws: awsEndpoint, dynamoDb: dynamoDb.endpoint },
          });
          return;
        case 'GET /_local/emails': {
          const to = new URL(req.url ?? '/', 'http://local').searchParams.get('to');
          const emails = await ses.emails();
          send(res, 200, to ? emails.filter((e) => e.to.includes(to)) : emails);
          return;
        }
        case 'GET /_local/events':
          send(res, 200, bus.events);
          return;
        case 'GET /_local/shopify-admin':
          send(res, 200, shopifyAdmin.admin.calls);
          return;
        case 'GET /_local/dead-letters':
          send(res, 200, deadLetters.list());
          return;
        case 'POST /_local/settle': {
          const settled = await settle();
          send(res, settled ? 200 : 504, { settled });
          return;
        }
        case 'POST /_local/advance-time': {
          const input = await readJson(req, res, AdvanceTime, '{"seconds": N}');
          if (!input) return;
          clock.advance(input.seconds);
          // Schedules due by the new time fire here once the stack creates any (roadmap: timing).
          send(res, 200, { now: new Date(clock.now()).toISOString() });
          return;
        }
        case 'POST /_local/ses-feedback': {
          // What a mailbox provider tells SES: SES publishes it where the configuration set says.
          const input = await readJson(
            req,
            res,
            SesFeedbackInput,
            '{"type": "Bounce"|"Complaint", "to", "shop"}',
          );
          if (!input) return;
          const published = wiring.sesEventDestinations.filter((d) =>
            d.events.includes(input.type.toLowerCase()),
          );
          bus.putEvents(
            published.map((d) => sesFeedbackEntry({ ...input, ...d, at: new Date(clock.now()) })),
          );
          send(res, 202, { published: published.length });
          return;
        }
        default:
          send(res, 404, { message: `no local endpoint ${key}` });
      }
    };

    ready = true;
    return {
      url,
      clock,
      bus,
      deadLetters,
      ses,
      dynamoDb,
      tableName: wiring.tables[0]?.name ?? '',
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
