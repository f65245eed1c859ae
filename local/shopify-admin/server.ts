import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from '../http-answers.ts';
import { BodyTooLarge, readBody } from '../http-gateway.ts';
import { type BulkErrorCode, type BulkFinishPayload, BulkOperations } from './bulk.ts';
import type { CatalogFile } from './catalog.ts';
import { execute, prepareRequest, requestedCost } from './graphql.ts';
import type { AdminContext } from './operations.ts';
import { type JsonObject, type LoadCounts, ShopStore } from './store.ts';
import { CostBuckets, DEFAULT_RATE_LIMIT, type RateLimit } from './throttle.ts';
import { AccessTokens, type AppCredentials } from './token.ts';
import { type WebhookSubscription, WebhookSubscriptions } from './webhook-subscriptions.ts';

/** One Admin API GraphQL call as the stand-in received it (`GET /_local/shopify-admin`). */
export type AdminCall = {
  shop: string;
  apiVersion: string;
  token: string;
  query: string;
  variables: unknown;
};

export type ShopifyAdminOptions = {
  /** Dev Dashboard apps per shop whose client-credentials grant the stand-in answers. */
  apps?: Record<string, AppCredentials>;
  /** The clock tokens, the cost bucket and bulk operations follow (ms). @default Date.now */
  now?: () => number;
  /** The cost bucket per shop. @default { maximumAvailable: 1000, restoreRate: 50 } */
  rateLimit?: RateLimit;
  /** Clock time a bulk operation takes per step (CREATED → RUNNING → finished) when not polled. @default 1000 */
  bulkStepMs?: number;
  /** Accept `http://` webhook subscription addresses (Shopify requires HTTPS). @default false */
  allowHttpWebhookUris?: boolean;
};

const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';
const TOO_MANY_REQUESTS =
  'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.';
const BODY_LIMIT = 1024 * 1024;

/** An HTTP answer: status, a JSON body (or bytes) and extra headers. */
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const TOKEN_ROUTE = /^\/([^/]+)\/admin\/oauth\/access_token$/;
const GRAPHQL_ROUTE = /^\/([^/]+)\/admin\/api\/([^/]+)\/graphql\.json$/;
const BULK_FILE_ROUTE = /^\/bulk\/(\d+)(\.partial)?\.jsonl$/;

/** A token request's parameters, from a form or a JSON body. */
const tokenParams = (req: IncomingMessage, body: Buffer): Record<string, unknown> => {
  const text = body.toString('utf8');
  if (String(req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
};

/**
 * A stand-in for the shops' Admin API (`{origin}` = `http://127.0.0.1:PORT/{shop}`):
 * - `POST /{shop}/admin/oauth/access_token`: the client-credentials grant (`token.ts`);
 * - `POST /{shop}/admin/api/{version}/graphql.json`: GraphQL (`graphql.ts`) behind the access
 *   token check (401 like Shopify), forced 429s and the cost bucket (`throttle.ts`), every answer
 *   carrying `extensions.cost`;
 * - `GET /bulk/{n}.jsonl` (`.partial.jsonl`): bulk query results (`bulk.ts`), unauthenticated like
 *   Shopify's signed download URLs.
 * Each shop's past is loaded as Bulk Operation JSONL (`store.ts`, `demo-history.ts`).
 */
export class ShopifyAdminLocal {
  readonly calls: AdminCall[] = [];
  private readonly server: Server;
  private readonly now: () => number;
  private readonly tokens: AccessTokens;
  private readonly store = new ShopStore();
  private readonly buckets: CostBuckets;
  private readonly bulk: BulkOperations;
  private readonly webhooks: WebhookSubscriptions;
  private readonly ticker: NodeJS.Timeout;
  private baseUrl = '';

  private constructor(tokens: Record<string, string>, options: ShopifyAdminOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = new AccessTokens(tokens, options.apps ?? {}, this.now);
    this.buckets = new CostBuckets(options.rateLimit ?? DEFAULT_RATE_LIMIT, this.now);
    this.webhooks = new WebhookSubscriptions(this.now, options.allowHttpWebhookUris ?? false);
    this.bulk = new BulkOperations({
      now: this.now,
      fileUrl: (number, partial) => `${this.baseUrl}/bulk/${number}${partial ? '.partial' : ''}.jsonl`,
      ...(options.bulkStepMs ? { stepMs: options.bulkStepMs } : {}),
    });
    // Bulk operations finish with time too, so the finish hook fires without anyone polling.
    this.ticker = setInterval(() => this.bulk.refresh(), 250);
    this.ticker.unref();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { errors: `stand-in failure: ${(error as Error).message}` });
      });
    });
  }

  /** Starts the stand-in; `tokens` are static access tokens per shop (legacy custom apps). */
  static async start(
    tokens: Record<string, string>,
    options: ShopifyAdminOptions = {},
  ): Promise<{ admin: ShopifyAdminLocal; origin: string }> {
    const admin = new ShopifyAdminLocal(tokens, options);
    await new Promise<void>((resolve) => admin.server.listen(0, '127.0.0.1', resolve));
    admin.baseUrl = `http://127.0.0.1:${(admin.server.address() as AddressInfo).port}`;
    return { admin, origin: `${admin.baseUrl}/{shop}` };
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Installs (or replaces) a shop's Dev Dashboard app for the client-credentials grant. */
  installApp(shop: string, credentials: AppCredentials): void {
    this.tokens.installApp(shop, credentials);
  }

  /** Loads the shop's past from Bulk Operation JSONL (customers, orders with refunds, line items). */
  loadHistory(shop: string, jsonl: string): LoadCounts {
    return this.store.of(shop).loadHistory(jsonl);
  }

  /** Replaces the shop's products and shop fields with a catalog file's (`npm run catalog` reads them back). */
  loadCatalog(shop: string, catalog: unknown): { products: number; variants: number } {
    return this.store.of(shop).loadCatalog(catalog as CatalogFile, shop);
  }

  /** Adds (or replaces) an order and its line items, as bulk lines (text or objects). */
  addOrder(
    shop: string,
    order: string | JsonObject,
    lineItems: readonly (string | JsonObject)[] = [],
  ): JsonObject {
    return this.store.of(shop).addOrder(order, lineItems);
  }

  /** Adds (or replaces) a customer, as a bulk customer line (text or object). */
  addCustomer(shop: string, customer: string | JsonObject): JsonObject {
    return this.store.of(shop).addCustomer(customer);
  }

  /** Called with the `bulk_operations/finish` webhook payload whenever a bulk query finishes. */
  set onBulkOperationFinish(hook: ((shop: string, payload: BulkFinishPayload) => void) | undefined) {
    this.bulk.onFinish = hook;
  }

  /** The shop's next bulk query ends FAILED with `errorCode`; with `partial`, half its data stays. */
  failNextBulk(shop: string, errorCode: BulkErrorCode, partial = false): void {
    this.bulk.failNext(shop, errorCode, partial);
  }

  /** Finishes the running bulk queries (of one shop, or all) now, as if their time had come. */
  finishBulkOperations(shop?: string): void {
    this.bulk.finishAll(shop);
  }

  /** The next `count` GraphQL requests of the shop are answered THROTTLED. */
  throttleNext(shop: string, count: number): void {
    this.buckets.throttleNext(shop, count);
  }

  /** The next `count` requests of the shop are answered HTTP 429 with `Retry-After`. */
  tooManyRequestsNext(shop: string, count: number, retryAfterSeconds = 1): void {
    this.buckets.tooManyRequestsNext(shop, count, retryAfterSeconds);
  }

  /** Empties the shop's cost bucket; it refills at the restore rate from now. */
  drainBucket(shop: string): void {
    this.buckets.drain(shop);
  }

  /** The shop's webhook subscriptions, oldest first. */
  webhookSubscriptions(shop: string): WebhookSubscription[] {
    return this.webhooks.list(shop);
  }

  /** Deletes the shop's subscriptions to `topic` (`ORDERS_CREATE`), as Shopify does after failed deliveries. */
  removeSubscription(shop: string, topic: string): number {
    return this.webhooks.removeTopic(shop, topic);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = await this.replyTo(req);
    send(res, reply.status, reply.body, reply.headers);
  }

  private async replyTo(req: IncomingMessage): Promise<Reply> {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    let body: Buffer;
    try {
      body = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLarge) return { status: 413, body: { errors: 'Request body too large' } };
      throw error;
    }
    const bulkFile = BULK_FILE_ROUTE.exec(path);
    if (req.method === 'GET' && bulkFile) return this.bulkFile(Number(bulkFile[1]), !!bulkFile[2]);
    const tokenRoute = TOKEN_ROUTE.exec(path);
    if (req.method === 'POST' && tokenRoute)
      return this.tokens.grant(decodeURIComponent(tokenRoute[1] ?? ''), tokenParams(req, body));
    const graphqlRoute = GRAPHQL_ROUTE.exec(path);
    if (req.method === 'POST' && graphqlRoute) {
      const shop = decodeURIComponent(graphqlRoute[1] ?? '');
      return this.graphql(req, body, shop, graphqlRoute[2] ?? '');
    }
    return { status: 404, body: { errors: 'Not Found' } };
  }

  private bulkFile(number: number, partial: boolean): Reply {
    this.bulk.refresh();
    const file = this.bulk.file(number, partial);
    if (file === null) return { status: 404, body: { errors: 'Not Found' } };
    return { status: 200, body: Buffer.from(file), headers: { 'content-type': 'application/jsonl' } };
  }

  private graphql(req: IncomingMessage, body: Buffer, shop: string, apiVersion: string): Reply {
    const token = String(req.headers['x-shopify-access-token'] ?? '');
    if (!this.tokens.accepts(shop, token)) return { status: 401, body: { errors: INVALID_TOKEN } };
    const retryAfter = this.buckets.takeTooManyRequests(shop);
    if (retryAfter !== null)
      return {
        status: 429,
        body: { errors: TOO_MANY_REQUESTS },
        headers: { 'retry-after': String(retryAfter) },
      };
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, body: { errors: 'body is not JSON' } };
    }
    const fields =
      typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
    this.calls.push({
      shop,
      apiVersion,
      token,
      query: typeof fields.query === 'string' ? fields.query : '',
      variables: fields.variables,
    });
    const cost = (requested: number, actual: number | null) => ({
      cost: {
        requestedQueryCost: requested,
        actualQueryCost: actual,
        throttleStatus: this.buckets.status(shop),
      },
    });
    const prepared = prepareRequest(request);
    if ('errors' in prepared)
      return { status: 200, body: { errors: prepared.errors, extensions: cost(0, 0) } };
    const requested = requestedCost(prepared);
    const refused = (error: Record<string, unknown>): Reply => ({
      status: 200,
      body: { errors: [error], extensions: cost(requested, null) },
    });
    switch (this.buckets.admit(shop, requested)) {
      case 'throttled':
        return refused({
          message: 'Throttled',
          extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
        });
      case 'max-cost-exceeded': {
        const maxCost = this.buckets.status(shop).maximumAvailable;
        return refused({
          message: `Query cost is ${requested}, which exceeds the single query max cost limit (${maxCost}).`,
          extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost },
        });
      }
      case 'run':
        break;
    }
    this.bulk.refresh();
    const context: AdminContext = {
      shop,
      apiVersion,
      now: this.now,
      data: this.store.of(shop),
      bulk: this.bulk,
      webhooks: this.webhooks,
    };
    const result = execute(prepared, context);
    this.buckets.refund(shop, requested - result.actualCost);
    return {
      status: 200,
      body: {
        ...(result.data !== undefined ? { data: result.data } : {}),
        ...(result.errors.length ? { errors: result.errors } : {}),
        extensions: cost(requested, result.actualCost),
      },
    };
  }
}
