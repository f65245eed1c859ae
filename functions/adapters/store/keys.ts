/**
 * The table's key layout, in one place: every item is `{ pk, sk }` under its shop's prefix
 * `SHOP#{shop}`. Store modules, the privacy function, tools, benchmarks and tests build and read
 * keys only through this module.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | aggregate | `SHOP#{shop}#CUSTOMER#{customerId}` | `AGGREGATE` |
 * | order | `SHOP#{shop}#CUSTOMER#{customerId}` | `ORDER#{orderId}` |
 * | send ledger entry (pending, sent, cancelled, skipped) | `SHOP#{shop}#CUSTOMER#{customerId}` | `SEND#{journeyId}#{stageId}#{entryId}` |
 * | order link | `SHOP#{shop}#ORDER#{orderId}` | `REF` |
 * | parked refund | `SHOP#{shop}#ORDER#{orderId}` | `REFUND#{refundId}` |
 * | shop status | `SHOP#{shop}` | `STATUS` |
 * | privacy request | `SHOP#{shop}#PRIVACY` | `data-request#{id}`, `shop-redact` |
 * | customer redaction (kept: the customer must not come back) | `SHOP#{shop}#REDACTED#{pseudonym}` | `customer-redact` |
 * | suppressed address | `SHOP#{shop}#SUPPRESSED#{hmac}` | `SUPPRESSED` |
 * | quarantined webhook | `SHOP#{shop}#QUARANTINE` | `{receivedAt}#{eventId}` |
 * | history backfill | `SHOP#{shop}#BACKFILL` | `RUN` |
 * | reconciliation | `SHOP#{shop}#RECONCILE` | `STATE` |
 * | reindex | `SHOP#{shop}#REINDEX` | `RUN` |
 * | repurchase intervals (percentile delays) | `SHOP#{shop}#TIMING` | `INTERVALS` |
 * | order fact (one per applied version of an order) | `SHOP#{shop}#CUSTOMER#{customerId}` | `FACT#ORDER#{orderId}#{version}` |
 * | stage / segment fact (one per move, by the version that caused it) | `SHOP#{shop}#CUSTOMER#{customerId}` | `FACT#STAGE#{journeyId}#{version}`, `FACT#SEGMENT#{segmentId}#{version}` |
 *
 * The analytics feed (`FEED_INDEX`), a sparse index over the items analytics reads — aggregates,
 * order facts, send ledger entries, suppressions — keyed `feedPk` = `SHOP#{shop}#FEED#{shard}` (the
 * shard of the customer, or address hash) and `feedSk` = `{customerId}#{event time}`: a shop's
 * whole feed is `FEED_SHARDS` queries, never a scan, and each answers a customer's items together,
 * so a refresh holds one customer at a time.
 *
 * The due index (`DUE_INDEX`), a sparse index over what must happen at a time: pending sends
 * (`duePk` = `DUE#SEND#{shard}`) and aggregates whose time conditions next flip then
 * (`DUE#WAKE#{shard}`), keyed `dueSk` = the due time (ISO 8601). The dispatcher and the sweep read
 * their `DUE_SHARDS` partitions up to now, so they read only what is due, never a scan. An item
 * leaves the index when its attributes are removed (sent, cancelled, skipped; an aggregate that
 * time no longer moves).
 */

export type Key = { pk: string; sk: string };

const shopPk = (shop: string) => `SHOP#${shop}`;

/** Everything of one shop: its own status item and every partition under its prefix. */
export const shopScope = (shop: string) => ({ pk: shopPk(shop), prefix: `${shopPk(shop)}#` });

export const customerPk = (shop: string, customerId: string) => `${shopPk(shop)}#CUSTOMER#${customerId}`;
/** The prefix of every customer partition of a shop. */
export const customerPkPrefix = (shop: string) => `${shopPk(shop)}#CUSTOMER#`;
/** The shop and customer of a customer partition key (ids hold no `#`); null for another key. */
export const customerOfPk = (pk: string): { shop: string; customerId: string } | null => {
  const match = /^SHOP#([^#]+)#CUSTOMER#([^#]+)$/.exec(pk);
  return match?.[1] && match[2] ? { shop: match[1], customerId: match[2] } : null;
};
/** The shop of a customer partition key; null for another key. */
export const shopOfCustomerPk = (pk: string): string | null => customerOfPk(pk)?.shop ?? null;

const AGGREGATE_SK = 'AGGREGATE';
export const aggregateKey = (shop: string, customerId: string): Key => ({
  pk: customerPk(shop, customerId),
  sk: AGGREGATE_SK,
});

export const ORDER_SK_PREFIX = 'ORDER#';
export const orderKey = (shop: string, customerId: string, orderId: string): Key => ({
  pk: customerPk(shop, customerId),
  sk: `${ORDER_SK_PREFIX}${orderId}`,
});
export const SEND_SK_PREFIX = 'SEND#';
export type SendKey = {
  shop: string;
  customerId: string;
  journeyId: string;
  stageId: string;
  entryId: number;
};
/** The send an item's keys name (a send ledger entry's), or null for another item. */
export const sendOfKey = (key: Key): SendKey | null => {
  const customer = customerOfPk(key.pk);
  const send = /^SEND#([^#]+)#([^#]+)#(\d+)$/.exec(key.sk);
  if (!customer || !send?.[1] || !send[2] || !send[3]) return null;
  return { ...customer, journeyId: send[1], stageId: send[2], entryId: Number(send[3]) };
};
/** The sort-key prefix of every entry of one journey stage, for a customer. */
export const stageSendPrefix = (journeyId: string, stageId: string) =>
  `${SEND_SK_PREFIX}${journeyId}#${stageId}#`;
export const sendKey = ({ shop, customerId, journeyId, stageId, entryId }: SendKey): Key => ({
  pk: customerPk(shop, customerId),
  sk: `${SEND_SK_PREFIX}${journeyId}#${stageId}#${entryId}`,
});

/** An order's own partition: refunds carry an order id but no customer, so they meet the order here. */
export const orderPk = (shop: string, orderId: string) => `${shopPk(shop)}#ORDER#${orderId}`;
export const ORDER_LINK_SK = 'REF';
export const orderLinkKey = (shop: string, orderId: string): Key => ({
  pk: orderPk(shop, orderId),
  sk: ORDER_LINK_SK,
});
export const REFUND_SK_PREFIX = 'REFUND#';
export const parkedRefundKey = (shop: string, orderId: string, refundId: string): Key => ({
  pk: orderPk(shop, orderId),
  sk: `${REFUND_SK_PREFIX}${refundId}`,
});

export const shopStatusKey = (shop: string): Key => ({ pk: shopPk(shop), sk: 'STATUS' });

export const privacyPk = (shop: string) => `${shopPk(shop)}#PRIVACY`;
/** A customer redaction's partition: apart from data requests, so a reader of one needs no access to the other. */
export const redactedPk = (shop: string, pseudonym: string) => `${shopPk(shop)}#REDACTED#${pseudonym}`;
export const privacyKey = (
  shop: string,
  request: /** A redaction is keyed by the customer's pseudonym (see `customerPseudonym`), never their id. */
    | { type: 'customer-redact'; pseudonym: string }
    | { type: 'data-request'; requestId: string }
    | { type: 'shop-redact' },
): Key =>
  request.type === 'customer-redact'
    ? { pk: redactedPk(shop, request.pseudonym), sk: 'customer-redact' }
    : {
        pk: privacyPk(shop),
        sk: request.type === 'data-request' ? `data-request#${request.requestId}` : 'shop-redact',
      };

export const suppressionKey = (shop: string, addressHash: string): Key => ({
  pk: `${shopPk(shop)}#SUPPRESSED#${addressHash}`,
  sk: 'SUPPRESSED',
});

/** Quarantined webhooks of a shop whose domain header was unusable are kept under this shop name. */
export const UNKNOWN_SHOP = 'unknown';
export const quarantinePk = (shop: string) => `${shopPk(shop)}#QUARANTINE`;
export const quarantineKey = (shop: string, receivedAt: string, eventId: string): Key => ({
  pk: quarantinePk(shop),
  sk: `${receivedAt}#${eventId}`,
});

export const backfillKey = (shop: string): Key => ({ pk: `${shopPk(shop)}#BACKFILL`, sk: 'RUN' });
export const reconciliationKey = (shop: string): Key => ({ pk: `${shopPk(shop)}#RECONCILE`, sk: 'STATE' });
export const reindexKey = (shop: string): Key => ({ pk: `${shopPk(shop)}#REINDEX`, sk: 'RUN' });
/** A shop's repurchase intervals, as its last analytics refresh computed them (for percentile delays). */
export const intervalsKey = (shop: string): Key => ({ pk: `${shopPk(shop)}#TIMING`, sk: 'INTERVALS' });

/** Order facts live with their customer, so a redaction (which empties the partition) erases them too. */
export const FACT_SK_PREFIX = 'FACT#';
const ORDER_FACT_PREFIX = `${FACT_SK_PREFIX}ORDER#`;
/** `version`: the aggregate version that counted this version of the order (zero-padded: facts sort by it). */
export const orderFactKey = (shop: string, customerId: string, orderId: string, version: number): Key => ({
  pk: customerPk(shop, customerId),
  sk: `${ORDER_FACT_PREFIX}${orderId}#${String(version).padStart(12, '0')}`,
});

/** A journey's stage move, or a segment entry or exit, caused by aggregate version `version`. */
export const transitionFactKey = (
  shop: string,
  customerId: string,
  transition: { kind: 'stage' | 'segment'; scope: string; version: number },
): Key => ({
  pk: customerPk(shop, customerId),
  sk: `${FACT_SK_PREFIX}${transition.kind.toUpperCase()}#${transition.scope}#${String(transition.version).padStart(12, '0')}`,
});

/** The analytics feed index and its key attributes. */
export const FEED_INDEX = 'feed';
export const FEED_PK = 'feedPk';
export const FEED_SK = 'feedSk';
/**
 * Partitions per shop in the feed: a backfill writes a shop's history at thousands of items a
 * second, more than one index partition takes (1,000 writes/s), so items spread by customer.
 */
export const FEED_SHARDS = 16;
const FEED_PK_INFIX = '#FEED#';
export const feedPk = (shop: string, shard: number) =>
  `${shopPk(shop)}${FEED_PK_INFIX}${String(shard).padStart(2, '0')}`;
/** FNV-1a of an id: stable across runtimes, what items are sharded by. */
const fnv1a = (id: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
};
/** The feed shard of an id. */
export const feedShard = (id: string): number => fnv1a(id) % FEED_SHARDS;
/** The feed attributes of an item about `subject` (a customer id, an address hash) at `at` (ISO 8601). */
export const feedAttributes = (shop: string, subject: string, at: string) => ({
  [FEED_PK]: feedPk(shop, feedShard(subject)),
  [FEED_SK]: `${subject}#${at}`,
});
/** The subject of a feed sort key (ids and hashes hold no `#`). */
export const feedSubject = (feedSk: string): string => feedSk.slice(0, feedSk.indexOf('#'));

/** The due index and its key attributes (see the layout above). */
export const DUE_INDEX = 'due';
export const DUE_PK = 'duePk';
export const DUE_SK = 'dueSk';
/** Partitions per kind of due item: a burst of sends due at once spreads over them. */
export const DUE_SHARDS = 16;
/** `SEND`: pending sends; `WAKE`: aggregates whose time conditions flip (the sweep's). */
export type DueKind = 'SEND' | 'WAKE';
export const duePk = (kind: DueKind, shard: number) => `DUE#${kind}#${String(shard).padStart(2, '0')}`;
/** The due attributes of an item about `subject` (a customer id), due at `at` (ISO 8601). */
export const dueAttributes = (kind: DueKind, subject: string, at: string) => ({
  [DUE_PK]: duePk(kind, fnv1a(subject) % DUE_SHARDS),
  [DUE_SK]: at,
});
