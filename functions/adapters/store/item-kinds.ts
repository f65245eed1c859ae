/**
 * The `kind` attribute every item of the table carries. A small module of constants only, so the
 * CDK app can import it for the stream filters without pulling in any SDK code.
 */
export const ItemKind = {
  /** A customer's aggregate: the only kind the segment engine's stream filter lets through. */
  Aggregate: 'aggregate',
  Order: 'order',
  Send: 'send',
  Quarantine: 'quarantine',
  Shop: 'shop',
  /** A compliance request: the privacy function's stream filter selects pending ones. */
  Privacy: 'privacy',
  Suppression: 'suppression',
  /** Which customer an order belongs to, and how many refunds were parked for it (stored as `order-ref`). */
  OrderLink: 'order-ref',
  /** A refund received before its order's customer was known. */
  Refund: 'refund',
  /** A shop's history backfill: where it stands, so a stopped run resumes. */
  Backfill: 'backfill',
  /** A shop's reconciliation: its watermark and what its last run repaired. */
  Reconciliation: 'reconciliation',
  /** A shop's reindex: which selectors it counts for, and where it stands. */
  Reindex: 'reindex',
  /** A shop's repurchase intervals, for percentile delays (see `ShopIntervalsStore`). */
  Timing: 'timing',
  /**
   * A fact for analytics (its `fact`: `order`, one applied version of an order; `stage` or
   * `segment`, a move the evaluator saw). See `orderFactKey`, `transitionFactKey`.
   */
  Fact: 'fact',
} as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/** The privacy request status the privacy function's stream filter selects. */
export const PENDING = 'pending';
