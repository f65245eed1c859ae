import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { aggregatePut, orderFactPut } from '#adapters/store/customers.ts';
import { type FeedTally, readFeed } from '#adapters/store/feed.ts';
import { FEED_INDEX, FEED_SHARDS, feedPk } from '#adapters/store/keys.ts';
import { SendLedger } from '#adapters/store/send-ledger.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import { type ChangeTransitions, TransitionFacts } from '#adapters/store/transition-facts.ts';
import { customerSnapshotRows, type MembershipRow } from '#domain/analytics/snapshot-rows.ts';
import { journeyConfig } from '#journeys/index.ts';
import { createCustomerTable } from '../../local/customer-table.ts';
import { DynamoDbLocal } from '../../local/dynamodb.ts';
import { median } from '../stats.ts';
import { GeneratedFeed } from './generated-feed.ts';
import { ResourceSampler } from './memory.ts';

/** The feed's item kinds, as the refresh reads them. */
const KINDS = ['aggregate', 'fact', 'transition', 'send', 'suppression'] as const;
type Kind = (typeof KINDS)[number];
type PerKind = Record<Kind, number>;
const perKind = (): PerKind => ({ aggregate: 0, fact: 0, transition: 0, send: 0, suppression: 0 });

/** An item's kind in the feed: an order fact (`fact`) or a stage or segment move (`transition`), or its own. */
const kindOf = (item: Record<string, AttributeValue>): Kind => {
  const kind = item.kind?.S;
  if (kind === 'fact') return item.fact?.S === 'stage' || item.fact?.S === 'segment' ? 'transition' : 'fact';
  if (kind === 'aggregate' || kind === 'send' || kind === 'suppression') return kind;
  throw new Error(`an item of kind ${kind} in the feed`);
};

/** A Query's read units: eventually consistent, half a unit per 4 KB of the page's items, rounded up. */
export const queryReadUnits = (pageBytes: number): number => Math.ceil(pageBytes / 4096) * 0.5;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: one byte per two significant digits (leading and trailing zeros trimmed), plus one. */
const numberBytes = (text: string): number => {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
};

/**
 * An attribute value's size as DynamoDB bills it: strings by their UTF-8 bytes, numbers about one
 * byte per two significant digits plus one, binaries by their bytes, booleans and nulls one byte,
 * lists and maps three bytes plus one per element (and, for maps, each key's bytes).
 */
export const attributeBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, item) => sum + 1 + attributeBytes(item), 0);
  if (value.M !== undefined)
    return (
      3 + Object.entries(value.M).reduce((sum, [key, item]) => sum + 1 + utf8(key) + attributeBytes(item), 0)
    );
  if (value.SS !== undefined) return value.SS.reduce((sum, item) => sum + utf8(item), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, item) => sum + numberBytes(item), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, item) => sum + item.length, 0);
  return 0;
};

/** An item's size: its attribute names and values. */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + attributeBytes(value), 0);

export type FeedReadInput = { shop: string; customers: number; meanOrders: number; reads: number };

export type FeedReadResult = {
  customers: number;
  items: PerKind & { total: number };
  /** Mean item size per kind, bytes (as DynamoDB bills them, see `itemBytes`). */
  bytesPerItem: PerKind & { all: number };
  bytes: number;
  pages: number;
  /** Read units of the whole feed: the page sizes summed by `queryReadUnits`. */
  readUnits: number;
  /** What DynamoDB Local reported as consumed, when it did (null otherwise). */
  localConsumedReadUnits: number | null;
  loadSeconds: number;
  /** Each full read of the feed by `readFeed`, ms. */
  readsMs: number[];
  itemsPerSecond: number;
  customersPerSecond: number;
  /** The machine's highest one-minute load average during the reads (see `ResourceUse`). */
  maxLoadAverage: number;
};

const BATCH = 25;
const WRITERS = 4;

const batchWrite = async (table: StoreTable, items: readonly Record<string, unknown>[]) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let at = next; at < items.length; at = next) {
        next += BATCH;
        let requests = items.slice(at, at + BATCH).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const { UnprocessedItems } = await table.doc.send(
            new BatchWriteCommand({ RequestItems: { [table.name]: requests } }),
          );
          requests = (UnprocessedItems?.[table.name] ?? []) as typeof requests;
        }
      }
    }),
  );
};

type Transition = Omit<ChangeTransitions, 'shop' | 'customerId' | 'version' | 'silent'>;

/**
 * The moves the evaluator would have recorded for a customer's membership spells: a stage entered
 * (from the stage left at that instant, if any), a stage left for none; a segment entered, and left.
 */
export const spellTransitions = (spells: readonly MembershipRow[]): Transition[] => {
  const moves: Transition[] = [];
  for (const spell of spells) {
    if (spell.kind === 'segment') {
      const move = (entered: boolean, at: string) => ({
        stages: [],
        segments: [{ segmentId: spell.scope, entered, entryId: 0, occurredAt: at }],
      });
      moves.push(move(true, spell.entered_at));
      if (spell.exited_at) moves.push(move(false, spell.exited_at));
      continue;
    }
    const sameJourney = spells.filter((other) => other.kind === 'stage' && other.scope === spell.scope);
    const left = sameJourney.find((other) => other.exited_at === spell.entered_at);
    const stage = (from: string | null, to: string | null, at: string) => ({
      stages: [{ journeyId: spell.scope, from, to, entryId: 0, occurredAt: at }],
      segments: [],
    });
    moves.push(stage(left?.member ?? null, spell.member, spell.entered_at));
    const exitedAt = spell.exited_at;
    if (exitedAt && !sameJourney.some((other) => other.entered_at === exitedAt))
      moves.push(stage(spell.member, null, exitedAt));
  }
  return moves;
};

/**
 * A sample of the generated feed in DynamoDB Local, written as the store writes it: each
 * customer's aggregate item (`aggregatePut`) and order facts (`orderFactPut`), a transition fact
 * for each move of their membership spells (`TransitionFacts`), a send ledger claim for each stage
 * entry with an email to a subscribed customer (`SendLedger`), and a suppression for one customer
 * in a hundred (`SuppressionList`).
 */
const loadSample = async (table: StoreTable, feed: GeneratedFeed) => {
  const sends = new SendLedger(table);
  const transitions = new TransitionFacts(table);
  const suppressions = new SuppressionList(table, async () => 'bench-pepper');
  const emailStages = new Set(
    journeyConfig.journeys.flatMap((journey) =>
      journey.stages
        .filter((stage) => stage.action?.type === 'email')
        .map((stage) => `${journey.id}\n${stage.id}`),
    ),
  );
  const items: Record<string, unknown>[] = [];
  const writes: (() => Promise<unknown>)[] = [];
  for await (const { feed: customer, state } of feed.generate()) {
    const { shop } = feed;
    const { customerId } = customer;
    items.push(aggregatePut(shop, customerId, state, null, false).item);
    for (const fact of customer.facts) items.push(orderFactPut(shop, customerId, fact).item);
    const { memberships } = customerSnapshotRows(customer, journeyConfig, feed.asOf);
    // Versions of their own: a transition's key needs one, and none of them is read back.
    for (const [k, move] of spellTransitions(memberships).entries())
      writes.push(() => transitions.record({ shop, customerId, version: k + 1, silent: false, ...move }));
    const email = customer.aggregate?.email;
    if (!email) continue;
    if (customer.aggregate?.emailMarketing.state === 'subscribed') {
      const emailed = memberships.filter(
        (spell) => spell.kind === 'stage' && emailStages.has(`${spell.scope}\n${spell.member}`),
      );
      for (const [entry, spell] of emailed.entries()) {
        const send = { shop, customerId, journeyId: spell.scope, stageId: spell.member, entryId: entry + 1 };
        writes.push(() => sends.claim(send, 'bench', spell.entered_at));
      }
    }
    if (Number(customerId) % 100 === 0) writes.push(() => suppressions.suppress(shop, email, feed.asOf));
  }
  await batchWrite(table, items);
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let at = next++; at < writes.length; at = next++) await writes[at]?.();
    }),
  );
};

/** Every page of the feed index, raw, with the read units DynamoDB Local says it consumed. */
const measureFeed = async (db: DynamoDbLocal, table: StoreTable, shop: string) => {
  const items = perKind();
  const bytes = perKind();
  let pages = 0;
  let readUnits = 0;
  let consumed: number | null = null;
  for (let shard = 0; shard < FEED_SHARDS; shard++) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await db.client.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: FEED_INDEX,
          KeyConditionExpression: 'feedPk = :pk',
          ExpressionAttributeValues: { ':pk': { S: feedPk(shop, shard) } },
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      pages++;
      let pageBytes = 0;
      for (const item of page.Items ?? []) {
        const kind = kindOf(item);
        const size = itemBytes(item);
        items[kind]++;
        bytes[kind] += size;
        pageBytes += size;
      }
      readUnits += queryReadUnits(pageBytes);
      const units = page.ConsumedCapacity?.CapacityUnits;
      if (units !== undefined) consumed = (consumed ?? 0) + units;
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return { items, bytes, pages, readUnits, consumed };
};

/**
 * The refresh's read of the feed, on DynamoDB Local: a sample of the generated feed loaded, then
 * read whole by `readFeed` (the refresh's own reader: every shard, page by page, customer by
 * customer) `reads` times — items per second — and once more raw, for item sizes and read units.
 */
export const measureFeedRead = async (input: FeedReadInput): Promise<FeedReadResult> => {
  const feed = new GeneratedFeed(input.shop, {
    customers: input.customers,
    orders: Math.round(input.customers * input.meanOrders),
  });
  const db = await DynamoDbLocal.start();
  try {
    const table = await createCustomerTable(db, 'analytics-feed', { stream: false });
    const loading = performance.now();
    await loadSample(table, feed);
    const loadSeconds = (performance.now() - loading) / 1000;
    const readsMs: number[] = [];
    let customers = 0;
    const sampler = new ResourceSampler();
    // One read more than asked, first: DynamoDB Local's JIT is cold.
    for (let read = 0; read <= input.reads; read++) {
      const tally: FeedTally = { items: 0, suppressions: 0, pages: 0 };
      customers = 0;
      const started = performance.now();
      for await (const _ of readFeed(table, input.shop, tally)) customers++;
      if (read > 0) readsMs.push(performance.now() - started);
    }
    const { maxLoadAverage } = sampler.stop();
    const measured = await measureFeed(db, table, input.shop);
    const total = KINDS.reduce((sum, kind) => sum + measured.items[kind], 0);
    const bytes = KINDS.reduce((sum, kind) => sum + measured.bytes[kind], 0);
    const mean = (kind: Kind) => (measured.items[kind] > 0 ? measured.bytes[kind] / measured.items[kind] : 0);
    const readMs = median(readsMs);
    return {
      customers,
      items: { ...measured.items, total },
      bytesPerItem: {
        aggregate: mean('aggregate'),
        fact: mean('fact'),
        transition: mean('transition'),
        send: mean('send'),
        suppression: mean('suppression'),
        all: bytes / total,
      },
      bytes,
      pages: measured.pages,
      readUnits: measured.readUnits,
      localConsumedReadUnits: measured.consumed,
      loadSeconds,
      readsMs,
      itemsPerSecond: total / (readMs / 1000),
      customersPerSecond: customers / (readMs / 1000),
      maxLoadAverage,
    };
  } finally {
    db.stop();
  }
};
