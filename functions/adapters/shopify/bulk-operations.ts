import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { BackfillPhase } from '#adapters/store/backfills.ts';
import type { AdminSessions } from './admin-session.ts';

/**
 * The bulk queries of history (GraphQL Admin API 2026-10): every customer with their consent, tags
 * and default address; every order with its refunds and line items. `HistoryReader` reads what
 * they return. Orders older than 60 days need the `read_all_orders` scope.
 */
export const HISTORY_QUERIES: Record<BackfillPhase, string> = {
  customers: `{ customers { edges { node {
    id email updatedAt tags
    defaultAddress { countryCodeV2 provinceCode }
    emailMarketingConsent { marketingState consentUpdatedAt }
  } } } }`,
  orders: `{ orders { edges { node {
    id email createdAt updatedAt processedAt cancelledAt test tags discountCodes sourceName
    totalPriceSet { shopMoney { amount currencyCode } }
    customer { id }
    refunds { id createdAt
      refundLineItems(first: 250) { edges { node { quantity lineItem { title sku vendor product { id } variant { id } } } } }
      transactions(first: 50) { edges { node { kind status amountSet { shopMoney { amount currencyCode } } } } }
    }
    lineItems { edges { node { id quantity title sku vendor product { id } variant { id } } } }
  } } } }`,
};

const Started = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: z.object({ id: z.string() }).nullable(),
    userErrors: z.array(z.object({ message: z.string() })),
  }),
});
const Polled = z.object({
  node: z
    .object({
      status: z.string(),
      errorCode: z.string().nullish(),
      url: z.string().nullish(),
      objectCount: z.union([z.string(), z.number()]).nullish(),
    })
    .nullable(),
});

/** A shop without Admin access configured, or an answer of another shape: the backfill cannot go on. */
export class BulkOperationError extends Error {
  override name = 'BulkOperationError';
}

/** Runs, polls and reads a shop's Bulk Operations through its Admin session. */
export class BulkOperations {
  private readonly sessions: AdminSessions;
  private readonly fetchFile: typeof fetch;

  constructor(sessions: AdminSessions, fetchFile: typeof fetch = fetch) {
    this.sessions = sessions;
    this.fetchFile = fetchFile;
  }

  async start(shop: string, phase: BackfillPhase): Promise<string> {
    // Grouped (each order's line items right after it): since 2026-01 Shopify writes every parent
    // first and the children after them unless asked, and the history reader holds at most
    // 1,000 orders waiting for their lines.
    const { data } = await (await this.session(shop)).request(
      'mutation run($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: true) { bulkOperation { id status } userErrors { field message } } }',
      { query: HISTORY_QUERIES[phase] },
    );
    const started = Started.safeParse(data);
    if (!started.success) throw new BulkOperationError('bulkOperationRunQuery answered in an unknown shape');
    const { bulkOperation, userErrors } = started.data.bulkOperationRunQuery;
    if (!bulkOperation)
      throw new BulkOperationError(
        `Shopify refused the ${phase} bulk query: ${userErrors.map((e) => e.message).join('; ') || 'no reason given'}`,
      );
    return bulkOperation.id;
  }

  async poll(shop: string, operationId: string) {
    const { data } = await (await this.session(shop)).request(
      'query op($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } } }',
      { id: operationId },
    );
    const polled = Polled.safeParse(data);
    if (!polled.success || !polled.data.node)
      throw new BulkOperationError(`bulk operation ${operationId} not found`);
    const { status, errorCode, url, objectCount } = polled.data.node;
    return {
      status,
      errorCode: errorCode ?? null,
      url: url ?? null,
      objectCount: objectCount == null ? null : Number(objectCount),
    };
  }

  /** The result file's lines from `fromLine` on, streamed (a file of a million orders is not held in memory). */
  async *lines(url: string, fromLine: number): AsyncIterable<{ text: string; line: number }> {
    const response = await this.fetchFile(url);
    if (!response.ok || !response.body)
      throw new BulkOperationError(`the bulk operation's file answered ${response.status}`);
    const lines = createInterface({
      input: Readable.fromWeb(response.body as never),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (line >= fromLine) yield { text, line };
    }
  }

  private async session(shop: string) {
    const session = await this.sessions.forShop(shop);
    if (!session) throw new BulkOperationError(`no Admin API access is configured for ${shop}`);
    return session;
  }
}
