import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  EventBridgeEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll } from 'vitest';
import { type Delivery, webhookHeaders } from '../../local/shopify-webhooks.ts';

/**
 * Calling the functions' handlers directly, as Lambda would: their environment, a context, and
 * the events API Gateway, EventBridge and Shopify send them.
 */

/** A Secrets Manager ARN in the tests' account. */
export const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;

export type HandlerEnvironment<Module extends { handler: unknown }> = {
  /** The function's variables, as the CDK sets them (test values). */
  env?: Record<string, string>;
  /**
   * Secret values by the variable that holds their ARN (`WEBHOOK_SECRET_ARN`): the variable is set
   * to an ARN, and Secrets Manager (mocked) answers that ARN with the value.
   */
  secrets?: Record<string, string>;
  /** Imports the handler's module, e.g. `() => import('../../functions/ingest/handler.ts')`. */
  load: () => Promise<Module>;
};

/**
 * The environment of one function for a handler test file: its variables and secrets, Powertools
 * quiet, and its handler imported after them (once, before the tests), since a handler reads its
 * environment once at init, as on a cold start. A value known only in an earlier `beforeAll` can
 * be set there: hooks run in the order they are declared.
 */
export const useHandlerEnvironment = <Module extends { handler: unknown }>(
  options: HandlerEnvironment<Module>,
): { readonly handler: Module['handler'] } => {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...options.env,
  });
  const secretsManager = mockClient(SecretsManagerClient);
  for (const [variable, value] of Object.entries(options.secrets ?? {})) {
    const arn = secretArn(variable.replace(/_SECRET_ARN$/, '').toLowerCase());
    process.env[variable] = arn;
    secretsManager.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: value });
  }
  let loaded: Module | undefined;
  beforeAll(async () => {
    loaded = await options.load();
  });
  return {
    get handler() {
      if (!loaded) throw new Error('the handler is imported before the tests, in beforeAll');
      return loaded.handler;
    },
  };
};

/** A Lambda context for calling handlers directly (middy needs getRemainingTimeInMillis). */
export const lambdaContext = (overrides: Partial<Context> = {}): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 5_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
  ...overrides,
});

export const httpEvent = (overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: 'POST /webhooks/shopify',
  rawPath: '/webhooks/shopify',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: {
    accountId: '000000000000',
    apiId: 'test',
    domainName: 'test.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'test',
    http: {
      method: 'POST',
      path: '/webhooks/shopify',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'Shopify-Captain-Hook',
    },
    requestId: 'r',
    routeKey: 'POST /webhooks/shopify',
    stage: '$default',
    time: '24/Nov/2026:00:00:00 +0000',
    timeEpoch: 0,
  },
  ...overrides,
});

/** A request to one of the HTTP API's routes (`'GET /api/shops/{shop}/customers/{customerId}'`). */
export const routeEvent = (
  routeKey: string,
  overrides: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 => {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  const base = httpEvent();
  return httpEvent({
    routeKey,
    rawPath: path,
    requestContext: { ...base.requestContext, routeKey, http: { ...base.requestContext.http, method, path } },
    ...overrides,
  });
};

/**
 * A Shopify webhook as API Gateway hands it to the ingest function: the raw body (a payload is
 * serialised, a string is sent as it is) with Shopify's headers, signed with the local secret.
 */
export const webhookEvent = (
  topic: string,
  payload: unknown,
  options: Omit<Delivery, 'topic' | 'payload'> & { base64?: boolean } = {},
): APIGatewayProxyEventV2 => {
  const { base64 = false, ...delivery } = options;
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return httpEvent({
    headers: webhookHeaders({ topic, eventId: 'evt-1', ...delivery }, body),
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  });
};

/** Calls an HTTP API handler with a Lambda context and gives its structured answer. */
export const callHttp = async (
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> =>
  (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;

/** An event of Loyalty Loop's bus, as EventBridge hands it to a rule's target. */
export const busEvent = <Detail>(
  detailType: string,
  detail: Detail,
  overrides: Partial<EventBridgeEvent<string, Detail>> = {},
): EventBridgeEvent<string, Detail> => ({
  version: '0',
  id: 'e1',
  'detail-type': detailType,
  source: 'loyalty-loop',
  account: '000000000000',
  time: '2026-11-02T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...overrides,
});
