import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import type { OrderContribution } from '#domain/order.ts';
import { UnusableChange } from '#domain/unusable.ts';

/**
 * An order contribution the aggregate already counts, written with the aggregate itself: the
 * aggregate item is the one commit point of a change, and the order's own item follows it. Until
 * that item is written (or if the writer died first), this copy is the order's stored version.
 * `version` is the aggregate version that counted it.
 */
export type PendingOrder = { version: number; contribution: OrderContribution };

export type AggregateState = { aggregate: CustomerAggregate; pendingOrder: PendingOrder | null };

/**
 * The aggregate item's attribute marking a write that applied history (backfill, reindex): stages
 * it enters are recorded, with their historical time, but announced as `backfill` and not emailed.
 * A later write without it (a webhook) clears it.
 */
export const SILENT = 'silent';

/** Whether an aggregate item (as read, or unmarshalled from a stream image) was written silently. */
export const isSilent = (item: Record<string, unknown> | undefined): boolean => item?.[SILENT] === true;

/** DynamoDB items are at most 400 KB; a state beyond this (compressed) is refused rather than failing the write. */
const MAX_STATE_BYTES = 350 * 1024;

/**
 * The aggregate item keeps its state as compressed JSON (`state`, raw DEFLATE): a bakery customer's
 * aggregate and pending order are about 2 KB as JSON and about 550 bytes compressed, so a write
 * costs one write unit instead of two or three. Items written before this encoding (a plain
 * `aggregate` map) are still read.
 */
export const encodeState = (state: AggregateState): Uint8Array => {
  const encoded = deflateJson(state);
  if (encoded.length > MAX_STATE_BYTES)
    throw new UnusableChange(`customer record would be ${encoded.length} bytes (limit ${MAX_STATE_BYTES})`);
  return encoded;
};

/** A binary attribute's bytes, as read or as a stream image carries it; null for anything else. */
export const toBuffer = (value: unknown): Buffer | null => {
  if (value instanceof Uint8Array) return Buffer.from(value);
  // Lambda's DynamoDB stream events carry binary attributes as base64 strings.
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return null;
};

/** JSON as raw DEFLATE: what the aggregate's state and an order fact's contribution are stored as. */
export const deflateJson = (value: unknown): Uint8Array => deflateRawSync(Buffer.from(JSON.stringify(value)));
export const inflateJson = (bytes: Buffer): unknown => JSON.parse(inflateRawSync(bytes).toString('utf8'));

/** The state of an aggregate item (as read, or as unmarshalled from a stream image); null for any other item. */
export const decodeState = (item: Record<string, unknown> | undefined): AggregateState | null => {
  if (!item) return null;
  const bytes = toBuffer(item.state);
  if (bytes) return inflateJson(bytes) as AggregateState;
  if (item.aggregate) return { aggregate: item.aggregate as CustomerAggregate, pendingOrder: null };
  return null;
};
