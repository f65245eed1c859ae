import type { z } from 'zod';
import { describeIssues } from '#commons/validation.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { UnusableChange } from '#domain/unusable.ts';
import {
  BulkCustomer,
  BulkLineItem,
  type BulkOrder,
  BulkOrder as BulkOrderSchema,
  bulkCustomerChanges,
  bulkOrderChange,
} from './bulk-payloads.ts';
import { parseJsonLossless } from './lossless-json.ts';

/** A line that could not be read, by its number (1-based) in the JSONL. */
export type HistoryProblem = { line: number; reason: string };

/** What reading some lines gave: changes complete enough to apply, and lines that were unusable. */
export type HistoryBatch = { changes: ShopifyChange[]; problems: HistoryProblem[] };

/**
 * How many orders wait for their line items. Shopify lists a child after its parent, but not
 * necessarily right after: an order is complete once this many later orders have begun (a child
 * arriving later still is reported as a problem, never applied to half an order).
 */
export const ORDER_WINDOW = 1_000;

type PendingOrder = { order: BulkOrder; items: z.infer<typeof BulkLineItem>[]; line: number };

const typeOf = (gid: unknown): string | null =>
  typeof gid === 'string' ? (/^gid:\/\/shopify\/(\w+)\//.exec(gid)?.[1] ?? null) : null;

/**
 * Reads a Bulk Operation's JSONL line by line (customers; orders with refunds inline and their
 * line items as `__parentId` children) into the changes the apply path takes, in memory bounded by
 * ORDER_WINDOW. `resumeLine` says from where a stopped run must read again to lose nothing.
 */
export class HistoryReader {
  private readonly pending = new Map<string, PendingOrder>();
  private readonly completed = new Set<string>();
  private readonly window: number;
  private lastLine = 0;

  /** `window`: how many orders wait for their line items (ORDER_WINDOW). */
  constructor(window = ORDER_WINDOW) {
    this.window = window;
  }

  /** Reads one line (its 1-based number); returns what became complete. */
  push(text: string, line: number): HistoryBatch {
    this.lastLine = line;
    const batch: HistoryBatch = { changes: [], problems: [] };
    if (text.trim() === '') return batch;
    let value: unknown;
    try {
      value = parseJsonLossless(text);
    } catch (error) {
      batch.problems.push({ line, reason: `not JSON: ${(error as Error).name}` });
      return batch;
    }
    const id = (value as { id?: unknown } | null)?.id;
    const parent = (value as { __parentId?: unknown } | null)?.__parentId;
    const type = typeOf(id);
    if (parent !== undefined) return this.child(value, parent, line, batch);
    if (type === 'Customer')
      return this.read(BulkCustomer, value, line, batch, (c) => bulkCustomerChanges(c));
    if (type === 'Order')
      return this.read(BulkOrderSchema, value, line, batch, (order) => {
        this.pending.set(order.id, { order, items: [], line });
        if (this.pending.size > this.window) this.complete(1, batch);
        return [];
      });
    batch.problems.push({ line, reason: `not a customer, an order or a line item (${type ?? 'no gid'})` });
    return batch;
  }

  /** The end of the file: every order still waiting is complete. */
  end(): HistoryBatch {
    const batch: HistoryBatch = { changes: [], problems: [] };
    this.complete(this.pending.size, batch);
    return batch;
  }

  /** The first line a new run must read so that nothing read but not yet complete is lost. */
  resumeLine(): number {
    let first = this.lastLine + 1;
    for (const { line } of this.pending.values()) first = Math.min(first, line);
    return first;
  }

  private read<T>(
    schema: z.ZodType<T>,
    value: unknown,
    line: number,
    batch: HistoryBatch,
    then: (record: T) => ShopifyChange[],
  ): HistoryBatch {
    const parsed = schema.safeParse(value);
    if (!parsed.success) batch.problems.push({ line, reason: describeIssues(parsed.error) });
    else batch.changes.push(...then(parsed.data));
    return batch;
  }

  private child(value: unknown, parent: unknown, line: number, batch: HistoryBatch): HistoryBatch {
    const item = BulkLineItem.safeParse(value);
    if (!item.success) {
      batch.problems.push({ line, reason: describeIssues(item.error) });
      return batch;
    }
    const order = this.pending.get(item.data.__parentId);
    if (order) order.items.push(item.data);
    else
      batch.problems.push({
        line,
        reason: this.completed.has(item.data.__parentId)
          ? `line item of order ${item.data.__parentId} came more than ${this.window} orders after it`
          : `line item of an order not in the file (${String(parent).slice(0, 60)})`,
      });
    return batch;
  }

  /** Completes the `count` oldest waiting orders (a Map keeps insertion order) into `batch`. */
  private complete(count: number, batch: HistoryBatch): void {
    const oldest = this.pending.entries();
    for (let n = 0; n < count; n++) {
      const next = oldest.next();
      if (next.done) return;
      const [id, { order, items, line }] = next.value;
      this.pending.delete(id);
      this.remember(id);
      try {
        const change = bulkOrderChange(order, items);
        if (change) batch.changes.push(change);
      } catch (error) {
        if (!(error instanceof UnusableChange)) throw error;
        batch.problems.push({ line, reason: error.message });
      }
    }
  }

  /** Completed orders are remembered a while, to tell a late line item from a stray one. */
  private remember(id: string): void {
    this.completed.add(id);
    if (this.completed.size > this.window * 10) {
      const [oldest] = this.completed;
      if (oldest !== undefined) this.completed.delete(oldest);
    }
  }
}
