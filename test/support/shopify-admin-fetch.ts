import type { Fetch } from '#adapters/shopify/admin-token.ts';

/** One request the fake Shopify received. */
export type FakeCall = {
  kind: 'grant' | 'graphql';
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
};

/** A JSON answer, as Shopify gives it. */
export const jsonAnswer = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** `extensions.cost` of an answer: a Standard plan bucket (100 points/s) unless told. */
export const costExtensions = (
  overrides: { requested?: number; available?: number; restoreRate?: number; actual?: number | null } = {},
) => ({
  cost: {
    requestedQueryCost: overrides.requested ?? 10,
    actualQueryCost: overrides.actual === undefined ? (overrides.requested ?? 10) : overrides.actual,
    throttleStatus: {
      maximumAvailable: 2000,
      currentlyAvailable: overrides.available ?? 1990,
      restoreRate: overrides.restoreRate ?? 100,
    },
  },
});

/** Shopify's answer to a query over the app's budget (HTTP 200, `THROTTLED`, no data). */
export const throttledAnswer = (cost: { requested: number; available: number; restoreRate: number }) =>
  jsonAnswer(200, {
    errors: [
      {
        message: 'Throttled',
        extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/limits' },
      },
    ],
    extensions: costExtensions({ ...cost, actual: null }),
  });

/**
 * A fetch that answers as Shopify would, without a network: the client-credentials grant
 * (`/admin/oauth/access_token`, a new `token-N` each time unless `grant` says otherwise) and the
 * Admin GraphQL endpoint, which gives the queued `answers` in order, then `data: { ok: true }`.
 */
export class FakeShopify {
  readonly calls: FakeCall[] = [];
  /** How the token endpoint answers its n-th grant (1-based). */
  grant: (n: number) => Response = (n) =>
    jsonAnswer(200, { access_token: `token-${n}`, scope: 'read_orders,write_customers', expires_in: 86_399 });
  /** The next GraphQL answers, each made for the call it answers. */
  readonly answers: ((call: FakeCall) => Response)[] = [];
  /** A fetch failure (DNS, reset) instead of any answer. */
  unreachable = false;

  get grants(): FakeCall[] {
    return this.calls.filter((c) => c.kind === 'grant');
  }

  get queries(): FakeCall[] {
    return this.calls.filter((c) => c.kind === 'graphql');
  }

  readonly fetch: Fetch = async (url, init) => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const kind = url.endsWith('/admin/oauth/access_token') ? 'grant' : 'graphql';
    const call: FakeCall = { kind, url, headers, body: String(init.body ?? '') };
    this.calls.push(call);
    if (this.unreachable) throw new TypeError('fetch failed');
    if (kind === 'grant') return this.grant(this.grants.length);
    const answer = this.answers.shift();
    return answer ? answer(call) : jsonAnswer(200, { data: { ok: true }, extensions: costExtensions() });
  };
}
