import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeState, isSilent } from '#adapters/store/aggregate-item.ts';
import { type BackfillPhase, BackfillRuns } from '#adapters/store/backfills.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { ApplyPath } from '#apply/apply-change.ts';
import { journeyConfig } from '#journeys/index.ts';
import { type BulkSource, type BulkStatus, runBackfill } from '../../functions/backfill/run.ts';
import { TEST_PEPPER, useDynamoDbLocal } from '../support/local-table.ts';

const SHOP = 'bakery-demo.myshopify.com';
const local = useDynamoDbLocal();
const RUM_BABA = 'gid://shopify/Product/8001000000001';

/** A small history: 40 customers, 3 orders each (Rum Baba), one refund, one unusable line. */
const history = () => {
  const customers: string[] = [];
  const orders: string[] = [];
  for (let c = 1; c <= 40; c++) {
    customers.push(
      JSON.stringify({
        id: `gid://shopify/Customer/${c}`,
        email: `c${c}@example.com`,
        updatedAt: '2025-01-01T00:00:00Z',
        emailMarketingConsent: { marketingState: 'SUBSCRIBED', consentUpdatedAt: '2025-01-01T00:00:00Z' },
      }),
    );
    for (let n = 1; n <= 3; n++) {
      const id = c * 10 + n;
      const at = `2025-0${n + 1}-01T00:00:00Z`;
      orders.push(
        JSON.stringify({
          id: `gid://shopify/Order/${id}`,
          createdAt: at,
          updatedAt: at,
          totalPriceSet: { shopMoney: { amount: '480.00', currencyCode: 'JPY' } },
          customer: { id: `gid://shopify/Customer/${c}` },
          refunds:
            id === 11
              ? [
                  {
                    id: 'gid://shopify/Refund/1',
                    createdAt: at,
                    transactions: [
                      {
                        kind: 'REFUND',
                        status: 'SUCCESS',
                        amountSet: { shopMoney: { amount: '480.00', currencyCode: 'JPY' } },
                      },
                    ],
                    refundLineItems: [
                      { quantity: 1, lineItem: { title: 'Rum Baba', product: { id: RUM_BABA } } },
                    ],
                  },
                ]
              : [],
        }),
        JSON.stringify({
          id: `gid://shopify/LineItem/${id}0`,
          quantity: 1,
          title: 'Rum Baba',
          product: { id: RUM_BABA },
          __parentId: `gid://shopify/Order/${id}`,
        }),
      );
    }
  }
  orders.splice(5, 0, '{"id":"gid://shopify/Order/999","totalPriceSet":"free"}');
  return { customers, orders };
};

/** Bulk Operations served from memory: each completes on its second poll; failures can be planned. */
class MemorySource implements BulkSource {
  readonly files: Record<BackfillPhase, string[]>;
  started = 0;
  failNext: string | null = null;
  /** Throws (a killed run) when this line is about to be read, once. */
  killAtLine: number | null = null;
  private polls = new Map<string, number>();

  constructor(files: Record<BackfillPhase, string[]>) {
    this.files = files;
  }

  async start(_shop: string, phase: BackfillPhase) {
    this.started++;
    return `gid://shopify/BulkOperation/${phase}-${this.started}`;
  }

  async poll(_shop: string, id: string): Promise<BulkStatus> {
    const polls = (this.polls.get(id) ?? 0) + 1;
    this.polls.set(id, polls);
    if (polls < 2) return { status: 'RUNNING', errorCode: null, url: null, objectCount: null };
    if (this.failNext) {
      const errorCode = this.failNext;
      this.failNext = null;
      return { status: 'FAILED', errorCode, url: null, objectCount: null };
    }
    const phase = id.includes('customers') ? 'customers' : 'orders';
    return { status: 'COMPLETED', errorCode: null, url: phase, objectCount: this.files[phase].length };
  }

  async *lines(url: string, fromLine: number) {
    const lines = this.files[url as BackfillPhase];
    for (let line = fromLine; line <= lines.length; line++) {
      if (this.killAtLine === line) {
        this.killAtLine = null;
        throw new Error('killed');
      }
      yield { text: lines[line - 1] ?? '', line };
    }
  }
}

const setUp = async (source: BulkSource) => {
  const table = await local.freshTable();
  const applyPath = new ApplyPath(table, journeyConfig, async () => TEST_PEPPER);
  const deps = {
    source,
    applyPath,
    quarantine: new Quarantine(table),
    runs: new BackfillRuns(table),
    sleep: async () => {},
    // Small, so a file of a few hundred lines has checkpoints to resume from.
    checkpointLines: 50,
    orderWindow: 10,
  };
  return { table, applyPath, deps };
};

/** Every aggregate of the table, decoded, by customer id. */
const aggregates = async (table: StoreTable) => {
  const { Items = [] } = await table.doc.send(
    new ScanCommand({
      TableName: table.name,
      FilterExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'aggregate' },
    }),
  );
  return Object.fromEntries(
    Items.map((item) => [
      decodeState(item)?.aggregate.customerId,
      { ...decodeState(item)?.aggregate, silent: isSilent(item) },
    ]),
  );
};

describe('backfill through the apply path (DynamoDB Local)', () => {
  it('applies a shop’s history silently: customers first, then orders with their refunds; an unusable line is quarantined with its number', async () => {
    const { table, deps } = await setUp(
      new MemorySource({ customers: history().customers, orders: history().orders }),
    );

    const run = await runBackfill(deps, SHOP);

    expect(run).toMatchObject({ status: 'done', phase: 'orders', applied: 40 * 2 + 120, problems: 1 });
    const all = await aggregates(table);
    expect(Object.keys(all)).toHaveLength(40);
    expect(all['2']).toMatchObject({
      ordersCount: 3,
      totalSpent: { amount: 1_440, currency: 'JPY' },
      silent: true,
    });
    expect(all['1']).toMatchObject({ ordersCount: 3, totalSpent: { amount: 960, currency: 'JPY' } });
    expect(all['1']?.emailMarketing).toMatchObject({ state: 'subscribed' });
    const [kept] = await new Quarantine(table).list(SHOP);
    expect(kept).toMatchObject({ topic: 'backfill/orders', reason: expect.stringMatching(/^line 6: /) });
  });

  it('killed half-way and run again, ends exactly where one uninterrupted run ends', async () => {
    const files = history();
    const clean = await setUp(new MemorySource(files));
    await runBackfill(clean.deps, SHOP);

    const source = new MemorySource(files);
    source.killAtLine = 131;
    const killed = await setUp(source);
    await expect(runBackfill(killed.deps, SHOP)).rejects.toThrow('killed');
    const stopped = await killed.deps.runs.get(SHOP);
    expect(stopped).toMatchObject({ status: 'running', phase: 'orders' });
    expect(stopped?.line).toBeGreaterThan(1);
    const resumed = await runBackfill(killed.deps, SHOP);

    expect(resumed.status).toBe('done');
    expect(await aggregates(killed.table)).toEqual(await aggregates(clean.table));
  });

  it('run again after webhooks brought some of the same orders, counts nothing twice', async () => {
    const files = history();
    const { table, applyPath, deps } = await setUp(new MemorySource(files));
    // Customer 2's first order arrives as a webhook first (same facts as history).
    await applyPath.apply(SHOP, {
      type: 'order',
      order: {
        orderId: '21',
        customerId: '2',
        email: 'c2@example.com',
        placedAt: '2025-02-01T00:00:00.000Z',
        updatedAt: '2025-02-01T00:00:00.000Z',
        total: { amount: 480, currency: 'JPY' },
        lines: [
          {
            productId: '8001000000001',
            variantId: null,
            sku: null,
            vendor: null,
            title: 'Rum Baba',
            quantity: 1,
          },
        ],
        cancelled: false,
        test: false,
        tags: [],
        discountCodes: [],
        channel: null,
        address: null,
        refunds: [],
      },
    });

    await runBackfill(deps, SHOP);
    const again = await runBackfill(deps, SHOP, { restart: true });

    expect(again.status).toBe('done');
    expect((await aggregates(table))['2']).toMatchObject({ ordersCount: 3, totalSpent: { amount: 1_440 } });
  });

  it('stops at its deadline with its progress saved, and the next invocation finishes it', async () => {
    const { table, deps } = await setUp(new MemorySource(history()));

    const paused = await runBackfill(deps, SHOP, { deadline: Date.now() - 1 });
    expect(paused.status).toBe('running');
    const finished = await runBackfill(deps, SHOP);

    expect(finished).toMatchObject({ status: 'done', applied: 200, problems: 1 });
    expect(Object.keys(await aggregates(table))).toHaveLength(40);
  });

  it('stops with a clear, resumable state when a bulk operation fails, and resumes', async () => {
    const source = new MemorySource(history());
    source.failNext = 'ACCESS_DENIED';
    const { deps } = await setUp(source);

    const failed = await runBackfill(deps, SHOP);
    expect(failed).toMatchObject({
      status: 'failed',
      phase: 'customers',
      error: 'the customers bulk operation ended FAILED (ACCESS_DENIED); run the backfill again to resume',
    });

    expect(await runBackfill(deps, SHOP)).toMatchObject({ status: 'done', applied: 200 });
  });
});
