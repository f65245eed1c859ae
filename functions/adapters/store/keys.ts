/**
 * The table's key layout, in one place: every item is `{ pk, sk }` under its shop's prefix
 * `SHOP#{shop}`. Store modules, the privacy function, tools, benchmarks and tests build and read
 * keys only through this module.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | aggregate | `SHOP#{shop}#CUSTOMER#{customerId}` | `AGGREGATE` |
 * | order | `SHOP#{shop}#CUSTOMER#{customerId}` | `ORDER#{orderId}` |
 * | send ledger entry | `SHOP#{shop}#CUSTOMER#{customerId}` | `SEND#{journeyId}#{stageId}#{entryId}` |
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
 */

export type Key = { pk: string; sk: string };

const shopPk = (shop: string) => `SHOP#${shop}`;

/** Everything of one shop: its own status item and every partition under its prefix. */
export const shopScope = (shop: string) => ({ pk: shopPk(shop), prefix: `${shopPk(shop)}#` });

export const customerPk = (shop: string, customerId: string) => `${shopPk(shop)}#CUSTOMER#${customerId}`;
/** The prefix of every customer partition of a shop. */
export const customerPkPrefix = (shop: string) => `${shopPk(shop)}#CUSTOMER#`;

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
