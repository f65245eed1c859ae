import { z } from 'zod';
import { describeIssues } from '#commons/validation.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { UnusableChange } from '#domain/unusable.ts';
import type { AdminSession } from './admin-session.ts';
import {
  BulkCustomer,
  BulkLineItem,
  BulkOrder,
  bulkCustomerChanges,
  bulkOrderChange,
} from './bulk-payloads.ts';

/**
 * Orders and customers a shop changed since a time, page by page (GraphQL Admin API, `sortKey:
 * UPDATED_AT`), as the changes the apply path takes: what reconciliation reads. Pages are small
 * enough to stay under the cost bucket (an order's lines in one page; more in a query of their own).
 */

const LINE = 'id quantity title sku vendor product { id } variant { id }';
const ORDER = `id email createdAt updatedAt processedAt cancelledAt test tags discountCodes sourceName
  totalPriceSet { shopMoney { amount currencyCode } } customer { id }
  refunds { id createdAt
    refundLineItems(first: 5) { edges { node { quantity lineItem { title sku vendor product { id } variant { id } } } } }
    transactions(first: 5) { edges { node { kind status amountSet { shopMoney { amount currencyCode } } } } } }`;
const ORDERS_PAGE = 5;
const LINES_PAGE = 30;

const ordersQuery = `query changed($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { node { ${ORDER} lineItems(first: ${LINES_PAGE}) { edges { node { ${LINE} } } pageInfo { hasNextPage } } } }
    pageInfo { hasNextPage endCursor } } }`;
const orderQuery = `query one($id: ID!) { order(id: $id) { ${ORDER} lineItems(first: 250) { edges { node { ${LINE} } } } } }`;
const customersQuery = `query changed($first: Int!, $after: String, $query: String!) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { node { id email updatedAt tags defaultAddress { countryCodeV2 provinceCode }
      emailMarketingConsent { marketingState consentUpdatedAt } } }
    pageInfo { hasNextPage endCursor } } }`;

const Page = z.object({
  edges: z.array(z.object({ node: z.record(z.string(), z.unknown()) })),
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
});
const LineItems = z.object({
  edges: z.array(z.object({ node: z.record(z.string(), z.unknown()) })),
  pageInfo: z.object({ hasNextPage: z.boolean() }).optional(),
});

/** What one record came to: its changes, or why it could not be used (its id, when it has one). */
export type ChangedRecord = { changes: ShopifyChange[] } | { problem: string };

const toOrderRecord = (node: Record<string, unknown>): ChangedRecord => {
  const order = BulkOrder.safeParse(node);
  const lines = LineItems.safeParse(node.lineItems);
  if (!order.success) return { problem: `order ${String(node.id)}: ${describeIssues(order.error)}` };
  if (!lines.success) return { problem: `order ${String(node.id)}: unreadable line items` };
  const items = [];
  for (const { node: line } of lines.data.edges) {
    const item = BulkLineItem.safeParse({ ...line, __parentId: node.id });
    if (!item.success) return { problem: `order ${String(node.id)}: ${describeIssues(item.error)}` };
    items.push(item.data);
  }
  try {
    const change = bulkOrderChange(order.data, items);
    return { changes: change ? [change] : [] };
  } catch (error) {
    if (error instanceof UnusableChange) return { problem: `order ${String(node.id)}: ${error.message}` };
    throw error;
  }
};

/** Shopify's search syntax for "changed after": `updated_at:>'2026-12-02T10:00:00Z'`. */
const since = (time: string) => `updated_at:>'${new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z')}'`;

async function* pages(
  session: AdminSession,
  query: string,
  field: 'orders' | 'customers',
  from: string,
  first: number,
) {
  let after: string | null = null;
  do {
    const { data } = await session.request(query, { first, after, query: since(from) });
    const page = Page.safeParse((data as Record<string, unknown> | null)?.[field]);
    if (!page.success) throw new Error(`${field} answered in an unknown shape`);
    yield page.data.edges.map((e) => e.node);
    after = page.data.pageInfo.hasNextPage ? (page.data.pageInfo.endCursor ?? null) : null;
  } while (after);
}

/** Orders changed after `from`, each as its change (an order with many lines is read again whole). */
export async function* ordersChangedSince(session: AdminSession, from: string): AsyncIterable<ChangedRecord> {
  for await (const nodes of pages(session, ordersQuery, 'orders', from, ORDERS_PAGE))
    for (const node of nodes) {
      const more = LineItems.safeParse(node.lineItems).data?.pageInfo?.hasNextPage === true;
      if (!more) {
        yield toOrderRecord(node);
        continue;
      }
      const { data } = await session.request(orderQuery, { id: node.id });
      const whole = (data as { order?: Record<string, unknown> | null } | null)?.order;
      yield whole ? toOrderRecord(whole) : { problem: `order ${String(node.id)} vanished while read` };
    }
}

/** Customers changed after `from`: profile, consent and tags. */
export async function* customersChangedSince(
  session: AdminSession,
  from: string,
): AsyncIterable<ChangedRecord> {
  for await (const nodes of pages(session, customersQuery, 'customers', from, 50))
    for (const node of nodes) {
      const customer = BulkCustomer.safeParse(node);
      yield customer.success
        ? { changes: bulkCustomerChanges(customer.data) }
        : { problem: `customer ${String(node.id)}: ${describeIssues(customer.error)}` };
    }
}
