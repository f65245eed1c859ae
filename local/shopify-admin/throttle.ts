/**
 * Shopify's cost-based rate limit for the GraphQL Admin API: a leaky bucket per app and shop that
 * must hold a query's requested cost before it runs, is refunded the difference to its actual cost
 * afterwards, and refills at `restoreRate` points a second. A query that finds the bucket short is
 * answered HTTP 200 with a `THROTTLED` error (Shopify's GraphQL answer); one whose cost exceeds the
 * bucket's size can never run (`MAX_COST_EXCEEDED`). Tests can also force throttled answers or
 * HTTP 429s with `Retry-After` for the next requests.
 */

export type RateLimit = {
  /** Bucket size in points. */
  maximumAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
};

/** `extensions.cost.throttleStatus` as Shopify reports it. */
export type ThrottleStatus = RateLimit & { currentlyAvailable: number };

/** What the bucket says to a request's requested cost. */
export type Admission = 'run' | 'throttled' | 'max-cost-exceeded';

type Bucket = {
  available: number;
  at: number;
  forcedThrottles: number;
  forced429s: number;
  retryAfter: number;
};

/** The limits the stand-in uses unless told otherwise (as the brief for the local stack asks). */
export const DEFAULT_RATE_LIMIT: RateLimit = { maximumAvailable: 1000, restoreRate: 50 };

export class CostBuckets {
  private readonly buckets = new Map<string, Bucket>();

  private readonly limit: RateLimit;
  private readonly now: () => number;

  constructor(limit: RateLimit, now: () => number) {
    this.limit = limit;
    this.now = now;
  }

  private bucket(shop: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(shop);
    if (!bucket) {
      bucket = {
        available: this.limit.maximumAvailable,
        at: now,
        forcedThrottles: 0,
        forced429s: 0,
        retryAfter: 1,
      };
      this.buckets.set(shop, bucket);
    }
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    bucket.available = Math.min(
      this.limit.maximumAvailable,
      bucket.available + elapsedSeconds * this.limit.restoreRate,
    );
    bucket.at = now;
    return bucket;
  }

  status(shop: string): ThrottleStatus {
    const { available } = this.bucket(shop);
    return {
      maximumAvailable: this.limit.maximumAvailable,
      currentlyAvailable: Math.floor(available),
      restoreRate: this.limit.restoreRate,
    };
  }

  /** Takes a request's requested cost from the bucket when it can run. */
  admit(shop: string, requestedCost: number): Admission {
    const bucket = this.bucket(shop);
    if (requestedCost > this.limit.maximumAvailable) return 'max-cost-exceeded';
    if (bucket.forcedThrottles > 0) {
      bucket.forcedThrottles--;
      return 'throttled';
    }
    if (requestedCost > bucket.available) return 'throttled';
    bucket.available -= requestedCost;
    return 'run';
  }

  /** Gives back what a query did not use (requested − actual). */
  refund(shop: string, points: number): void {
    const bucket = this.bucket(shop);
    bucket.available = Math.min(this.limit.maximumAvailable, bucket.available + Math.max(0, points));
  }

  /** Empties the bucket (as if other requests had just spent it); it refills from now. */
  drain(shop: string): void {
    this.bucket(shop).available = 0;
  }

  /** The next `count` GraphQL requests of the shop are answered THROTTLED whatever the bucket holds. */
  throttleNext(shop: string, count: number): void {
    this.bucket(shop).forcedThrottles += count;
  }

  /** The next `count` requests of the shop are answered HTTP 429 with `Retry-After: seconds`. */
  tooManyRequestsNext(shop: string, count: number, retryAfterSeconds = 1): void {
    const bucket = this.bucket(shop);
    bucket.forced429s += count;
    bucket.retryAfter = retryAfterSeconds;
  }

  /** Whether this request gets a forced 429, and the Retry-After seconds to send with it. */
  takeTooManyRequests(shop: string): number | null {
    const bucket = this.bucket(shop);
    if (bucket.forced429s === 0) return null;
    bucket.forced429s--;
    return bucket.retryAfter;
  }
}
