import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SHOP_DOMAIN } from '../functions/adapters/shopify/shop-domain.ts';
import type { AsyncInvoker } from './async-invoker.ts';
import type { LocalClock } from './clock.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { LocalEventBus } from './event-bus.ts';
import type { Faults } from './faults.ts';
import { readJson, send } from './http-answers.ts';
import { readBody } from './http-gateway.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import type { LocalScheduler } from './scheduler.ts';
import { type SesLocal, sesFeedbackEntry } from './ses.ts';
import type { StreamPoller } from './stream-poller.ts';
import type { LocalWiring } from './template.ts';

const AdvanceTime = z
  .object({
    seconds: z
      .number()
      .positive()
      .max(10 * 365 * 24 * 3600),
  })
  .strict();

/** A shop's history posted to the Admin stand-in (a year of a busy shop is tens of MB). */
const MAX_HISTORY_BYTES = 256 * 1024 * 1024;

const SesFeedbackInput = z
  .object({
    type: z.enum(['Bounce', 'Complaint']),
    to: z.string().min(3).max(320),
    shop: z.string().min(1).max(255),
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).default('Permanent'),
  })
  .strict();

/** What the `/_local` endpoints look into and drive. */
export type LocalParts = {
  wiring: LocalWiring;
  functions: Map<string, LocalFunction>;
  pollers: StreamPoller[];
  invoker: AsyncInvoker;
  bus: LocalEventBus;
  deadLetters: DeadLetters;
  ses: SesLocal;
  clock: LocalClock;
  scheduler: LocalScheduler;
  faults: Faults | null;
  shopifyAdminCalls: () => unknown[];
  /** Loads a Bulk Operation's JSONL into the Admin stand-in as the shop's past; how many of each it held. */
  shopifyHistory: (shop: string, jsonl: string) => unknown;
  /** Loads a catalog file (the shape `npm run catalog` writes) as the shop's products; how many it held. */
  shopifyCatalog: (shop: string, catalog: unknown) => unknown;
  settle: () => Promise<boolean>;
  /** Refreshes the analytics of one shop (or every shop with customers) once the pipeline is calm. */
  refreshAnalytics: (shop?: string) => Promise<{ shops: string[]; results: unknown[] }>;
  /** For operator commands run against the local stack (npm run redrive -- --local URL). */
  operator: {
    stackName: string;
    tableName: string;
    pepperSecretArn: string;
    adminTokensSecretArn: string;
    /** The Admin API stand-in (`{shop}` stands for the shop's domain). */
    adminOrigin: string;
    endpoints: { aws: string; dynamoDb: string };
  };
};

/** The `/_local/*` endpoints of DESIGN.md's local contract (README: "The local stack"). */
export const localEndpoints =
  (parts: LocalParts) =>
  async (method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /_local/health':
        send(res, 200, {
          status: 'ok',
          functions: [...parts.functions.values()].map((fn) => ({
            id: fn.spec.logicalId,
            invocations: fn.invocations,
            errors: fn.errors,
            recentErrors: fn.recentErrors,
          })),
          streams: parts.pollers.map((p) => p.describe()),
          rules: parts.wiring.rules.length,
          asyncFailures: parts.invoker.failures.length,
          ...(parts.faults ? { faultsInjected: parts.faults.counts } : {}),
          ...parts.operator,
        });
        return;
      case 'GET /_local/emails': {
        const to = new URL(req.url ?? '/', 'http://local').searchParams.get('to');
        const emails = await parts.ses.emails();
        send(res, 200, to ? emails.filter((e) => e.to.includes(to)) : emails);
        return;
      }
      case 'GET /_local/events':
        send(res, 200, parts.bus.events);
        return;
      case 'GET /_local/shopify-admin':
        send(res, 200, parts.shopifyAdminCalls());
        return;
      case 'POST /_local/shopify/history': {
        const shop = new URL(req.url ?? '/', 'http://local').searchParams.get('shop') ?? '';
        if (!SHOP_DOMAIN.test(shop)) {
          send(res, 400, { message: 'pass ?shop=<shop>.myshopify.com' });
          return;
        }
        let jsonl: string;
        try {
          jsonl = (await readBody(req, MAX_HISTORY_BYTES)).toString('utf8');
        } catch {
          send(res, 413, { message: `history over ${MAX_HISTORY_BYTES} bytes` });
          return;
        }
        try {
          send(res, 200, { shop, loaded: parts.shopifyHistory(shop, jsonl) });
        } catch (error) {
          send(res, 400, {
            message: `not a Bulk Operation JSONL: ${(error as Error).message.slice(0, 300)}`,
          });
        }
        return;
      }
      case 'POST /_local/shopify/catalog': {
        const shop = new URL(req.url ?? '/', 'http://local').searchParams.get('shop') ?? '';
        if (!SHOP_DOMAIN.test(shop)) {
          send(res, 400, { message: 'pass ?shop=<shop>.myshopify.com' });
          return;
        }
        try {
          const catalog = JSON.parse((await readBody(req, MAX_HISTORY_BYTES)).toString('utf8')) as unknown;
          send(res, 200, { shop, loaded: parts.shopifyCatalog(shop, catalog) });
        } catch (error) {
          send(res, 400, { message: `not a catalog file: ${(error as Error).message.slice(0, 300)}` });
        }
        return;
      }
      case 'GET /_local/dead-letters':
        send(res, 200, parts.deadLetters.list());
        return;
      case 'POST /_local/settle': {
        const settled = await parts.settle();
        send(res, settled ? 200 : 504, { settled });
        return;
      }
      case 'POST /_local/analytics/refresh': {
        // Brings every report up to date with what the stack holds now, then answers.
        const shop = new URL(req.url ?? '/', 'http://local').searchParams.get('shop') ?? undefined;
        if (shop !== undefined && !SHOP_DOMAIN.test(shop)) {
          send(res, 400, { message: 'shop: expected a *.myshopify.com domain' });
          return;
        }
        send(res, 200, await parts.refreshAnalytics(shop));
        return;
      }
      case 'POST /_local/advance-time': {
        const input = await readJson(req, res, AdvanceTime, '{"seconds": N}');
        if (!input) return;
        parts.clock.advance(input.seconds);
        // Schedules due by the new time are handed over (invoked asynchronously) before answering.
        const fired = parts.scheduler.fireDue();
        send(res, 200, { now: new Date(parts.clock.now()).toISOString(), schedulesFired: fired });
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
        const published = parts.wiring.sesEventDestinations.filter((d) =>
          d.events.includes(input.type.toLowerCase()),
        );
        parts.bus.putEvents(
          published.map((d) => sesFeedbackEntry({ ...input, ...d, at: new Date(parts.clock.now()) })),
        );
        send(res, 202, { published: published.length });
        return;
      }
      default:
        send(res, 404, { message: `no local endpoint ${key}` });
    }
  };
