import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  backfillKey,
  customerPk,
  DUE_INDEX,
  duePk,
  FEED_INDEX,
  feedPk,
  intervalsKey,
  orderPk,
  privacyPk,
  quarantinePk,
  reconciliationKey,
  redactedPk,
  reindexKey,
  shopStatusKey,
  suppressionKey,
} from '../../functions/adapters/store/keys.ts';

/** A DynamoDB action on the table, by its IAM name without the `dynamodb:` prefix. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem';

export type TableAccess = {
  /** What the function does with the table, for a reviewer to check the actions against. */
  readonly why: string;
  /**
   * The actions its code issues. A transaction needs the action of each of its items
   * (TransactWriteItems and TransactGetItems are no IAM actions).
   */
  readonly actions: readonly TableAction[];
  /**
   * The partitions it may touch, as `pk` patterns (`*`: any characters), enforced with
   * `dynamodb:LeadingKeys`.
   * @default every partition
   */
  readonly leadingKeys?: readonly string[];
  /**
   * The table's indexes it reads instead of the table itself: the actions are granted on these
   * indexes only (and `leadingKeys` are then their partition keys).
   * @default the table
   */
  readonly indexes?: readonly string[];
  /** An index it queries besides the table, limited to these partitions of the index. */
  readonly indexQueries?: { readonly index: string; readonly leadingKeys: readonly string[] };
};

const ANY = '*';

/** `pk` patterns of the key families (functions/adapters/store/keys.ts), built by its own key builders. */
export const PARTITION = {
  /** aggregate, orders, send ledger */
  customer: customerPk(ANY, ANY),
  /** order link, parked refunds */
  order: orderPk(ANY, ANY),
  /** `SHOP#{shop}`: every shop is a *.myshopify.com domain (SHOP_DOMAIN), no other partition ends in one. */
  shopStatus: shopStatusKey(`${ANY}.myshopify.com`).pk,
  privacy: privacyPk(ANY),
  suppressed: suppressionKey(ANY, ANY).pk,
  quarantine: quarantinePk(ANY),
  /** A shop's backfill progress. */
  backfill: backfillKey(ANY).pk,
  /** A shop's reconciliation watermark and last report. */
  reconciliation: reconciliationKey(ANY).pk,
  /** A shop's reindex progress. */
  reindex: reindexKey(ANY).pk,
  /** A customer's redaction, kept under their pseudonym (`SHOP#{shop}#REDACTED#{pseudonym}`). */
  redacted: redactedPk(ANY, ANY),
  /** A shop's repurchase intervals, for percentile delays. */
  timing: intervalsKey(ANY).pk,
  /** The due index's partitions of pending sends (every shop's). */
  dueSends: duePk('SEND', 0).replace(/\d+$/, ANY),
  /** The due index's partitions of customers whose time conditions flip (every shop's). */
  dueWakes: duePk('WAKE', 0).replace(/\d+$/, ANY),
  /** A shop's analytics feed partitions (the `FEED_INDEX` index's partition key). */
  feed: feedPk(ANY, 0).replace(/\d+$/, ANY),
} as const;

/**
 * Every function's access to the table, in one place: exactly the actions its code issues, on the
 * table itself (or, for the analytics refresh, on its feed index alone), limited to the partitions
 * it serves where that is narrower than the table. Functions not listed get no table action: consent-sync does not touch the table.
 */
export const TABLE_ACCESS: Readonly<Record<string, TableAccess>> = {
  ingest: {
    why:
      'Applies webhooks: reads the customer and order (get, query), writes them with conditional puts, ' +
      'parks a refund in a put + update transaction; records privacy requests and uninstalls (put), ' +
      'quarantines unusable payloads (put), notes reinstalls (get, update the shop status) and checks ' +
      'whether a customer without a record was redacted (get under REDACTED).',
    actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
    leadingKeys: [
      PARTITION.customer,
      PARTITION.order,
      PARTITION.shopStatus,
      PARTITION.privacy,
      PARTITION.quarantine,
      PARTITION.redacted,
    ],
  },
  evaluate: {
    why:
      "Records each stage move and segment entry or exit it finds as a fact in the customer's partition " +
      "(put), and cancels the customer's pending sends of a stage they left or ordered in (query, update).",
    actions: ['PutItem', 'Query', 'UpdateItem'],
    leadingKeys: [PARTITION.customer],
  },
  sweep: {
    why:
      'Reads the customers due by now from the due index (query), and re-evaluates each through the ' +
      'apply path: reads the aggregate (get), writes it back (conditional put); a customer without ' +
      'a record is not created (the redaction check reads under REDACTED).',
    actions: ['GetItem', 'PutItem'],
    leadingKeys: [PARTITION.customer, PARTITION.redacted],
    indexQueries: { index: DUE_INDEX, leadingKeys: [PARTITION.dueWakes] },
  },
  admin: {
    why:
      "Reads one aggregate (and the customer's send records: a query of their partition), data-request " +
      "export, backfill's or reindex's progress or reconciliation report per request.",
    actions: ['GetItem', 'Query'],
    leadingKeys: [
      PARTITION.customer,
      PARTITION.privacy,
      PARTITION.backfill,
      PARTITION.reindex,
      PARTITION.reconciliation,
    ],
  },
  action: {
    why:
      "Schedules a stage entry's send (conditional put) with the shop's repurchase intervals (get), " +
      'reads the sends due by now from the due index (query), re-reads the send, the aggregate, the ' +
      "shop status and the suppression item (get), reads the customer's earlier sends for the " +
      'frequency cap and the re-entry policy (query of their partition), claims the send ledger ' +
      'entry or records a control (conditional put), releases it when the send failed, holds it ' +
      'and closes a send the re-check refused (update).',
    actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
    leadingKeys: [PARTITION.customer, PARTITION.shopStatus, PARTITION.suppressed, PARTITION.timing],
    indexQueries: { index: DUE_INDEX, leadingKeys: [PARTITION.dueSends] },
  },
  unsubscribe: {
    why:
      'Checks whether the customer was redacted (get: their redaction under REDACTED; no access to ' +
      'data-request exports), then applies the consent to the aggregate (get, conditional put).',
    actions: ['GetItem', 'PutItem'],
    leadingKeys: [PARTITION.customer, PARTITION.redacted],
  },
  reconcile: {
    why:
      'Applies the orders and customers Shopify changed (the apply path, as ingest: get, query, ' +
      "conditional puts, the refund transaction) and keeps each shop's watermark (get, put).",
    actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
    leadingKeys: [PARTITION.customer, PARTITION.order, PARTITION.redacted, PARTITION.reconciliation],
  },
  reindex: {
    why:
      "Pages through the table for a shop's customers (scan), counts each again from their orders " +
      '(get, query) and writes them back (conditional puts, in transactions), and keeps its progress (get, put).',
    actions: ['GetItem', 'Query', 'Scan', 'PutItem'],
  },
  backfill: {
    why:
      "Applies a shop's history (the apply path, as ingest: get, query, conditional puts, the refund " +
      'transaction; in batches: batch gets and transactions of conditional puts), checkpoints its ' +
      'progress (put) and quarantines unusable lines (put).',
    actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
    leadingKeys: [
      PARTITION.customer,
      PARTITION.order,
      PARTITION.redacted,
      PARTITION.backfill,
      PARTITION.quarantine,
    ],
  },
  feedback: {
    why: 'Puts a suppression item per bounced or complaining address.',
    actions: ['PutItem'],
    leadingKeys: [PARTITION.suppressed],
  },
  'analytics-refresh': {
    why:
      "Reads a shop's analytics feed (aggregates, order facts, sends, suppressions) for a snapshot: " +
      "queries of the feed index, by partition; never a scan. Writes the shop's repurchase " +
      'intervals (put), its only access to the table itself.',
    actions: ['PutItem'],
    leadingKeys: [PARTITION.timing],
    indexQueries: { index: FEED_INDEX, leadingKeys: [PARTITION.feed] },
  },
  privacy: {
    // No leading keys: shop/redact deletes every partition of a shop, its status item too.
    why:
      'Carries out compliance requests: reads a customer (get, query), deletes items in batches, scans ' +
      "for a shop's items (shop/redact) and every shop's quarantine, puts suppression items and " +
      'records progress on the request (update).',
    actions: ['GetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
  },
};

/**
 * The policy statements that grant `name` its `TABLE_ACCESS` on the table (and the index it
 * queries besides, if any). Fails synth for a function without an entry, and for leading keys with
 * Scan: a Scan names no partition, so the `ForAllValues` condition would hold for it vacuously.
 */
export const tableAccessStatements = (
  name: string,
  tableArn: string,
  entries: Readonly<Record<string, TableAccess>> = TABLE_ACCESS,
): PolicyStatement[] => {
  const access = entries[name];
  if (!access)
    throw new Error(`LoyaltyFunction ${name}: no TABLE_ACCESS entry (lib/constructs/table-access.ts)`);
  if (access.leadingKeys && access.actions.includes('Scan'))
    throw new Error(`TABLE_ACCESS.${name}: leading keys cannot limit a Scan; drop one of them`);
  const inPartitions = (keys: readonly string[] | undefined) =>
    keys ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keys] } } } : {};
  const statements = [
    new PolicyStatement({
      actions: access.actions.map((action) => `dynamodb:${action}`),
      resources: access.indexes ? access.indexes.map((index) => `${tableArn}/index/${index}`) : [tableArn],
      ...inPartitions(access.leadingKeys),
    }),
  ];
  if (access.indexQueries)
    statements.push(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${tableArn}/index/${access.indexQueries.index}`],
        ...inPartitions(access.indexQueries.leadingKeys),
      }),
    );
  return statements;
};
