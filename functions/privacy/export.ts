import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import type { Quarantine } from '#adapters/store/quarantine.ts';
import type { PrivacyRequest } from '#domain/change.ts';
import { needlesFor } from './identify.ts';

/** Exports stay in one DynamoDB item; a larger history is summarised (order ids only). */
const MAX_EXPORT_BYTES = 300 * 1024;

export type ExportStores = { customers: CustomerRecords; privacy: PrivacyRequests; quarantine: Quarantine };

/** customers/data_request: everything held about the customer, as one JSON document. */
export const exportCustomer = async (
  stores: ExportStores,
  shop: string,
  request: Extract<PrivacyRequest, { type: 'data-request' }>,
): Promise<string> => {
  const { customerId } = request;
  const [ledger, { aggregate, orders }] = await Promise.all([
    stores.privacy.sendLedgerItems(shop, customerId),
    stores.customers.withOrders(shop, customerId),
  ]);
  const email = aggregate?.email ?? request.email;
  const emailsSent = ledger.map(({ journeyId, stageId, entryId, status, claimedAt, failedAt }) => ({
    journeyId,
    stageId,
    entryId,
    status,
    claimedAt,
    failedAt,
  }));
  const quarantined = (await stores.quarantine.mentioning(shop, needlesFor(customerId, email))).map((q) => ({
    receivedAt: q.receivedAt,
    topic: q.topic,
    copy: q.copy,
  }));
  const document = {
    shop,
    customerId,
    generatedAt: new Date().toISOString(),
    aggregate,
    orders,
    emailsSent,
    quarantined,
  };
  const full = JSON.stringify(document);
  if (Buffer.byteLength(full) <= MAX_EXPORT_BYTES) return full;
  const orderIds = orders.map((o) => o.orderId);
  return JSON.stringify({
    ...document,
    orders: { count: orders.length, orderIds, note: 'history too large to embed' },
    quarantined: quarantined.length,
  });
};
