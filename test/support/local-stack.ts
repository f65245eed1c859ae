import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import type { EnvelopedEvent } from '../../local/event-bus.ts';
import type { LocalEmail } from '../../local/ses.ts';
import type { AdminCall } from '../../local/shopify-admin/server.ts';
import { DEMO_SHOP, type Delivery, deliver, deliverAll } from '../../local/shopify-webhooks.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';

/** The admin API key the local stack accepts unless told otherwise (`startLocalStack`). */
export const LOCAL_ADMIN_KEY = 'local-admin-key';

/** An event as the local bus kept it (`GET /_local/events`), its detail of the shape a test expects. */
export type StackEvent<Detail = Record<string, unknown>> = Omit<EnvelopedEvent, 'detail'> & {
  detail: Detail;
};

/** An answer of the stack's HTTP API: its status and its JSON body (the text when it is not JSON). */
export type Answer<Body> = { status: number; body: Body };

const answerOf = async <Body>(response: Response): Promise<Answer<Body>> => {
  const text = await response.text();
  const body = (() => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  })();
  return { status: response.status, body: body as Body };
};

/**
 * A test file's client of its local stack, over HTTP as a merchant, Shopify or an operator would
 * reach it: the `/_local` endpoints of the local contract, the admin API and signed webhooks.
 */
export class LocalStackClient {
  private readonly options: LocalStackOptions;
  private started: LocalStack | undefined;

  constructor(options: LocalStackOptions) {
    this.options = options;
  }

  get stack(): LocalStack {
    if (!this.started) throw new Error('the local stack has not started');
    return this.started;
  }

  get url(): string {
    return this.stack.url;
  }

  async start(): Promise<void> {
    // Tests use shops of their own: every shop is served unless a test lists some. Emails go out as
    // soon as they are due — no settle window, no frequency cap, no quiet hours — unless a test of
    // timing asks for them.
    const context = {
      'loyaltyLoop:shops': '*',
      'loyaltyLoop:settleMinutes': 0,
      'loyaltyLoop:timing': { frequencyCap: false, quietHours: false },
      ...this.options.context,
    };
    this.started = await startLocalStack({ port: 0, logLevel: 'ERROR', ...this.options, context });
  }

  async stop(): Promise<void> {
    await this.started?.stop();
  }

  /** Waits until every stream, bus event and async invocation is processed (`POST /_local/settle`). */
  async settle(): Promise<void> {
    const response = await fetch(`${this.url}/_local/settle`, { method: 'POST' });
    expect(response.status).toBe(200);
  }

  /** Moves the stack's clock forward; answers its new time (epoch milliseconds). */
  async advanceTime(seconds: number): Promise<number> {
    const response = await fetch(`${this.url}/_local/advance-time`, {
      method: 'POST',
      body: JSON.stringify({ seconds }),
    });
    expect(response.status).toBe(200);
    const { now } = (await response.json()) as { now: string };
    return Date.parse(now);
  }

  /** Every email the stack's SES sent, in order. */
  async emails(): Promise<LocalEmail[]> {
    return (await (await fetch(`${this.url}/_local/emails`)).json()) as LocalEmail[];
  }

  /** The emails sent to one address, in order. */
  async emailsTo(address: string): Promise<LocalEmail[]> {
    const response = await fetch(`${this.url}/_local/emails?to=${encodeURIComponent(address)}`);
    return (await response.json()) as LocalEmail[];
  }

  /** Every event put on the stack's buses, in order (their detail of the shape a test expects). */
  async busEvents<Detail = Record<string, unknown>>(): Promise<StackEvent<Detail>[]> {
    return (await (await fetch(`${this.url}/_local/events`)).json()) as StackEvent<Detail>[];
  }

  /** The messages waiting in the stack's dead-letter queues. */
  async deadLetters(): Promise<unknown[]> {
    return (await (await fetch(`${this.url}/_local/dead-letters`)).json()) as unknown[];
  }

  /** The calls the Shopify Admin API stand-in received, their variables of the shape a test expects. */
  async shopifyAdminCalls<Variables = unknown>(): Promise<(AdminCall & { variables: Variables })[]> {
    const response = await fetch(`${this.url}/_local/shopify-admin`);
    return (await response.json()) as (AdminCall & { variables: Variables })[];
  }

  /** The stack's health report (`GET /_local/health`). */
  async health<Body = Record<string, unknown>>(): Promise<Answer<Body>> {
    return answerOf<Body>(await fetch(`${this.url}/_local/health`));
  }

  /** A GET of the merchant's admin API with a bearer key (null: none). */
  async admin<Body = Record<string, unknown>>(path: string, key: string | null = LOCAL_ADMIN_KEY) {
    const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
    return answerOf<Body>(await fetch(`${this.url}${path}`, { headers }));
  }

  /** The admin API's view of a customer (`GET /api/shops/{shop}/customers/{customerId}`). */
  async customer<Body = Record<string, unknown>>(
    customerId: number,
    options: { shop?: string; key?: string | null } = {},
  ): Promise<Answer<Body>> {
    return this.admin<Body>(`/api/shops/${options.shop ?? DEMO_SHOP}/customers/${customerId}`, options.key);
  }

  /** Posts one webhook to the stack as Shopify does: signed, with the X-Shopify-* headers. */
  deliver(delivery: Delivery): Promise<{ status: number; body: string }> {
    return deliver(this.url, delivery);
  }

  /** Posts webhooks with at most `concurrency` in flight, each sent up to `attempts` times until answered 2xx. */
  deliverAll(deliveries: readonly Delivery[], concurrency: number, attempts = 1) {
    return deliverAll(this.url, deliveries, concurrency, attempts);
  }

  /** How many items the stack's table holds. */
  async itemCount(): Promise<number> {
    const { Count } = await this.stack.dynamoDb.client.send(
      new ScanCommand({ TableName: this.stack.tableName, Select: 'COUNT' }),
    );
    return Count ?? 0;
  }
}

/** Starts a local stack (free port, quiet functions) for the current test file and stops it after. */
export const useLocalStack = (options: LocalStackOptions = {}): LocalStackClient => {
  const client = new LocalStackClient(options);
  beforeAll(() => client.start());
  afterAll(() => client.stop());
  return client;
};
