import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { ItemKind } from '../functions/adapters/store/item-kinds.ts';
import { shopOfCustomerPk } from '../functions/adapters/store/keys.ts';
import { buildApp } from '../lib/build-app.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import type { AsyncInvoker } from './async-invoker.ts';
import type { LocalClock } from './clock.ts';
import type { DeadLetters } from './dead-letters.ts';
import { type DynamoDbLocal, LOCAL_CREDENTIALS } from './dynamodb.ts';
import { send } from './http-answers.ts';
import {
  BodyTooLarge,
  fromProxyResult,
  MAX_REQUEST_BYTES,
  readBody,
  routeMatcher,
  toProxyEvent,
} from './http-gateway.ts';
import { LocalFunction } from './lambda-runtime.ts';
import { LocalScheduler } from './scheduler.ts';
import { StreamPoller } from './stream-poller.ts';
import { LOCAL_REGION, type LocalWiring, type RouteSpec, readWiring } from './template.ts';

/**
 * The steps `startLocalStack` takes, in order: template → tables → functions → routes → stream
 * mappings → rules → schedules. Each reads what it wires from the synthesized template.
 */

export type Stops = (() => Promise<void> | void)[];

/** Step 1: synthesizes the CDK app (cdk.json's context, then `context`) and reads its wiring. */
export const synthesizeTemplate = (context: Record<string, unknown>, apiBaseUrl: string, stops: Stops) => {
  const assemblyDir = mkdtempSync(join(tmpdir(), 'loyalty-loop-cdk-'));
  stops.push(() => rmSync(assemblyDir, { recursive: true, force: true }));
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  // The local stack is a demo stack (its emails stay in the SES emulator) unless told otherwise.
  const { app, stack } = buildApp({
    outdir: assemblyDir,
    context: { ...cdkJson.context, 'loyaltyLoop:demo': true, ...context },
  });
  app.synth();
  return readWiring(assemblyDir, stack.artifactId, apiBaseUrl);
};

/** Step 2: creates the template's tables in DynamoDB Local; their stream ARNs, by table. */
export const createTables = async (dynamoDb: DynamoDbLocal, wiring: LocalWiring) => {
  const streamArns = new Map<string, string | null>();
  for (const table of wiring.tables) streamArns.set(table.logicalId, await dynamoDb.createTable(table));
  return streamArns;
};

/** The ARN of the secret the functions read through `variable` ('' when no function does). */
export const secretArnOf = (wiring: LocalWiring, variable: string): string =>
  [...wiring.functions.values()].map((fn) => fn.environment[variable]).find((arn) => arn !== undefined) ?? '';

/** The local value of each secret: a local setting for the variables that name one, else random. */
export const secretsFor = (wiring: LocalWiring, byVariable: Record<string, string>) => {
  const secrets = new Map<string, string>();
  for (const secret of wiring.secrets) {
    const variable = [...wiring.functions.values()]
      .flatMap((fn) => Object.entries(fn.environment))
      .find(([, value]) => value === secret.arn)?.[0];
    secrets.set(secret.arn, (variable && byVariable[variable]) || randomBytes(24).toString('hex'));
  }
  return secrets;
};

/** Step 3: runs each function of the template from its bundled asset, in a worker of its own. */
export const startFunctions = async (input: {
  wiring: LocalWiring;
  functions: Map<string, LocalFunction>;
  /** The environment every function gets over the template's (endpoints, credentials, logging). */
  environment: (spec: LocalFunction['spec']) => Record<string, string>;
  fault: (serviceName: string) => LocalFunction['fault'];
  clock: LocalClock;
  stops: Stops;
}) => {
  for (const spec of input.wiring.functions.values()) {
    const { NODE_OPTIONS: _ignored, ...templateEnvironment } = spec.environment;
    const fn = new LocalFunction(spec, { ...templateEnvironment, ...input.environment(spec) }, input.clock);
    fn.fault = input.fault(
      String(spec.environment.POWERTOOLS_SERVICE_NAME ?? '').replace(/^loyalty-loop-/, ''),
    );
    input.functions.set(spec.logicalId, fn);
    input.stops.push(() => fn.stop());
  }
  await Promise.all([...input.functions.values()].map((fn) => fn.ready));
};

/** Step 4: the template's HTTP routes as API Gateway v2 would serve them (payload format 2.0). */
export const serveRoutes = (
  routes: readonly RouteSpec[],
  functionFor: (id: string) => LocalFunction | undefined,
  clock: LocalClock,
) => {
  const matchers = routes.map((route) => ({ route, match: routeMatcher(route) }));
  return async (method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const { route, match } of matchers) {
      const params = match(method, path);
      if (!params) continue;
      let body: Buffer;
      try {
        body = await readBody(req, MAX_REQUEST_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        // The rest of the body is still arriving: close rather than reuse this connection.
        send(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
        return;
      }
      const fn = functionFor(route.functionId);
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
};

/** Step 5: polls each stream event source mapping the way Lambda's event source mapping does. */
export const startStreamMappings = (input: {
  wiring: LocalWiring;
  dynamoDb: DynamoDbLocal;
  streamArns: Map<string, string | null>;
  functions: Map<string, LocalFunction>;
  deadLetters: DeadLetters;
  clock: LocalClock;
  stops: Stops;
}): StreamPoller[] => {
  const client = new DynamoDBStreamsClient({
    endpoint: input.dynamoDb.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const pollers = input.wiring.streamMappings.map((mapping) => {
    const streamArn = input.streamArns.get(mapping.tableId);
    const fn = input.functions.get(mapping.functionId);
    if (!streamArn || !fn)
      throw new Error(
        `mapping ${mapping.logicalId}: table ${mapping.tableId} has no stream or function is missing`,
      );
    const { endpoint } = input.dynamoDb;
    return new StreamPoller({
      mapping,
      streamArn,
      fn,
      client,
      endpoint,
      deadLetters: input.deadLetters,
      clock: input.clock,
    });
  });
  for (const poller of pollers) poller.start();
  input.stops.push(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
    client.destroy();
  });
  return pollers;
};

/**
 * Step 7: schedules. Each rate schedule fires its targets on the local clock: in real time, and at
 * once when `POST /_local/advance-time` passes it.
 */
export const startSchedules = (input: {
  wiring: LocalWiring;
  functions: Map<string, LocalFunction>;
  invoker: AsyncInvoker;
  clock: LocalClock;
  stops: Stops;
}): LocalScheduler => {
  const scheduler = new LocalScheduler(input.wiring.schedules, input.functions, input.invoker, input.clock);
  scheduler.start();
  input.stops.push(async () => scheduler.stop());
  return scheduler;
};

/** Waits until every stream is drained and no asynchronous invocation is in flight (twice in a row). */
export const settleWhenCalm =
  (pollers: readonly StreamPoller[], invoker: AsyncInvoker) =>
  async (timeoutMs = 30_000): Promise<boolean> => {
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

/** Functions outside the app (benchmarks' floor): each like an app function, running another module. */
export const startExtraFunctions = async (input: {
  extras: readonly { method: string; path: string; modulePath: string; environmentOf: string }[];
  functions: Map<string, LocalFunction>;
  clock: LocalClock;
  stops: Stops;
}) => {
  // Kept out of the app's functions: no rule, stream or health report of the app ever sees them.
  const extraFunctions = new Map<string, LocalFunction>();
  const routes: RouteSpec[] = input.extras.map((extra, i) => {
    const like = [...input.functions.values()].find(
      (fn) => fn.environment.POWERTOOLS_SERVICE_NAME === `loyalty-loop-${extra.environmentOf}`,
    );
    if (!like) throw new Error(`extra route ${extra.path}: no function ${extra.environmentOf} to take after`);
    const logicalId = `ExtraRoute${i}`;
    const spec = { ...like.spec, logicalId, modulePath: extra.modulePath, exportName: 'handler' };
    const fn = new LocalFunction(
      spec,
      { ...like.environment, AWS_LAMBDA_FUNCTION_NAME: logicalId },
      input.clock,
    );
    extraFunctions.set(logicalId, fn);
    input.stops.push(() => fn.stop());
    return { method: extra.method, path: extra.path, functionId: logicalId };
  });
  await Promise.all([...extraFunctions.values()].map((fn) => fn.ready));
  return { extraFunctions, routes };
};

/** The service name of the function built from `functions/analytics-refresh` (LoyaltyFunction names it by its folder). */
const ANALYTICS_REFRESH_SERVICE = 'loyalty-loop-analytics-refresh';

/** The shops the table holds customers of (a scan: the local stack's own tooling, never a report). */
const shopsInTable = async (dynamoDb: DynamoDbLocal, tableName: string): Promise<string[]> => {
  const shops = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamoDb.client.send(
      new ScanCommand({
        TableName: tableName,
        // One aggregate per customer; its key names the shop (functions/adapters/store/keys.ts).
        FilterExpression: 'kind = :aggregate',
        ExpressionAttributeValues: { ':aggregate': { S: ItemKind.Aggregate } },
        ProjectionExpression: 'pk',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const shop = shopOfCustomerPk(String(item.pk?.S));
      if (shop) shops.add(shop);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...shops].sort();
};

/**
 * `POST /_local/analytics/refresh`: once the pipeline is calm, the analytics refresh function runs
 * (as its schedule would run it) for the shop asked for, or for every shop the table holds, and
 * answers what each refresh did.
 */
export const refreshAnalytics = async (input: {
  functions: Map<string, LocalFunction>;
  dynamoDb: DynamoDbLocal;
  tableName: string;
  settle: () => Promise<boolean>;
  shop?: string | undefined;
}): Promise<{ shops: string[]; results: unknown[] }> => {
  await input.settle();
  const refresh = [...input.functions.values()].find(
    (fn) => fn.environment.POWERTOOLS_SERVICE_NAME === ANALYTICS_REFRESH_SERVICE,
  );
  if (!refresh) throw new Error('the template has no analytics refresh function');
  const shops = input.shop ? [input.shop] : await shopsInTable(input.dynamoDb, input.tableName);
  const results: unknown[] = [];
  for (const shop of shops) results.push(await refresh.invoke({ shop }));
  return { shops, results };
};
