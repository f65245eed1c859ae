import type { CustomerRecords } from '#adapters/store/customers.ts';
import type { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import type { Quarantine } from '#adapters/store/quarantine.ts';
import type { SuppressionList } from '#adapters/store/suppression.ts';
import type { PrivacyRequest } from '#domain/change.ts';
import { needlesFor } from './identify.ts';

export type RedactStores = {
  customers: CustomerRecords;
  privacy: PrivacyRequests;
  quarantine: Quarantine;
  suppressed: SuppressionList;
};

/**
 * customers/redact: keeps only what honours an opt-out (a peppered hash of the address, if the
 * customer had unsubscribed) and the request itself under the customer's pseudonym (so nothing
 * brings them back), then deletes the customer's items (aggregate, orders, send ledger), their
 * orders' links and parked refunds, their data requests and exports, and the quarantined payloads
 * naming them under any shop (the unknown shop's too). Returns how many items were deleted.
 */
export const redactCustomer = async (
  stores: RedactStores,
  shop: string,
  request: Extract<PrivacyRequest, { type: 'customer-redact' }>,
): Promise<number> => {
  const customer = await stores.customers.getAggregate(shop, request.customerId);
  const email = customer?.email ?? request.email;
  if (email && customer && ['unsubscribed', 'not_subscribed'].includes(customer.emailMarketing.state)) {
    await stores.suppressed.suppress(shop, email, new Date().toISOString());
  }
  const [items, orders, dataRequests, quarantined] = await Promise.all([
    stores.privacy.customerItems(shop, request.customerId),
    stores.customers.listOrders(shop, request.customerId),
    stores.privacy.dataRequestItems(shop, request.customerId),
    stores.quarantine.mentioning('every shop', needlesFor(request.customerId, email)),
  ]);
  return stores.privacy.deleteItems([
    ...items,
    // Every order's link, a pending order's (counted, its own item not yet written) too.
    ...(await stores.privacy.orderLinkItems(
      shop,
      orders.map((o) => o.orderId),
    )),
    ...dataRequests,
    ...quarantined,
  ]);
};
