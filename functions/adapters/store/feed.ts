import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { FactVersion } from '#domain/analytics/snapshot-rows.ts';
import type { OrderContribution } from '#domain/order.ts';
import { decodeState, inflateJson, toBuffer } from './aggregate-item.ts';
import { ItemKind } from './item-kinds.ts';
import { FEED_INDEX, FEED_SHARDS, FEED_SK, feedPk, feedSubject } from './keys.ts';
import type { StoredItem, StoreTable } from './table.ts';

/** What the analytics feed holds about one customer. */
export type FeedCustomer = {
  customerId: string;
  aggregate: CustomerAggregate | null;
  facts: FactVersion[];
  /** Stage moves and segment entries and exits the evaluator recorded (see `TransitionFacts`). */
  transitions: {
    kind: 'stage' | 'segment';
    scope: string;
    from: string | null;
    to: string | null;
    at: string;
    silent: boolean;
  }[];
  /** Send ledger entries: stage emails claimed (sent) and released (failed). */
  sends: { journeyId: string; stageId: string; entryId: number; at: string; status: string }[];
};

/** What a refresh read besides customers: for the snapshot's counts. */
export type FeedTally = { items: number; suppressions: number; pages: number };

/** An order fact's contribution: compressed JSON (see `orderFactPut`). */
const contributionOf = (stored: unknown): OrderContribution => {
  const bytes = toBuffer(stored);
  if (!bytes) throw new Error('an order fact without its contribution');
  return inflateJson(bytes) as OrderContribution;
};

const emptyCustomer = (customerId: string): FeedCustomer => ({
  customerId,
  aggregate: null,
  facts: [],
  transitions: [],
  sends: [],
});

/** Adds one feed item (an aggregate, an order or transition fact, a send) to its customer. */
const take = (customer: FeedCustomer, item: StoredItem): void => {
  switch (item.kind) {
    case ItemKind.Aggregate:
      customer.aggregate = decodeState(item)?.aggregate ?? null;
      return;
    case ItemKind.Fact:
      if (item.fact === 'stage' || item.fact === 'segment') {
        const stage = item.fact === 'stage';
        customer.transitions.push({
          kind: item.fact,
          scope: String(stage ? item.journeyId : item.segmentId),
          from: stage ? ((item.from as string | null) ?? null) : item.entered ? null : String(item.segmentId),
          to: stage ? ((item.to as string | null) ?? null) : item.entered ? String(item.segmentId) : null,
          at: String(item.at),
          silent: item.silent === true,
        });
      } else
        customer.facts.push({
          version: Number(item.version),
          contribution: contributionOf(item.contribution),
        });
      return;
    case ItemKind.Send:
      customer.sends.push({
        journeyId: String(item.journeyId),
        stageId: String(item.stageId),
        entryId: Number(item.entryId),
        at: String(item.claimedAt),
        status: String(item.status),
      });
      return;
  }
};

/**
 * The analytics feed of a shop (`FEED_INDEX`): its `FEED_SHARDS` partitions queried one after the
 * other, page by page, never a scan of the table. Each partition answers in `feedSk` order, which
 * begins with the customer id, so a customer's items arrive together and are handed over as one
 * `FeedCustomer` before the next customer is read: a refresh holds one customer at a time.
 * The index is eventually consistent: a write of the last second may be missing (see docs/analytics.md).
 */
export async function* readFeed(
  table: StoreTable,
  shop: string,
  tally: FeedTally,
): AsyncGenerator<FeedCustomer> {
  for (let shard = 0; shard < FEED_SHARDS; shard++) {
    let current: FeedCustomer | null = null;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await table.doc.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: FEED_INDEX,
          KeyConditionExpression: 'feedPk = :pk',
          ExpressionAttributeValues: { ':pk': feedPk(shop, shard) },
          ExclusiveStartKey: start,
        }),
      );
      tally.pages++;
      for (const item of (page.Items ?? []) as StoredItem[]) {
        tally.items++;
        if (item.kind === ItemKind.Suppression) {
          tally.suppressions++;
          continue;
        }
        const subject = feedSubject(String(item[FEED_SK]));
        if (current && current.customerId !== subject) {
          yield current;
          current = null;
        }
        current ??= emptyCustomer(subject);
        take(current, item);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    if (current) yield current;
  }
}
