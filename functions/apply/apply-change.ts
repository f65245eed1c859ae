import { type BatchChange, CustomerBatches } from '#adapters/store/customer-batches.ts';
import { type Compute, CustomerRecords } from '#adapters/store/customers.ts';
import { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { ShopRegistry } from '#adapters/store/shops.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import {
  clockChange,
  consentChange,
  customerChange,
  orderChange,
  refundChange,
  tagsChange,
  withOtherOrders,
} from '#domain/apply.ts';
import type { ShopifyChange } from '#domain/change.ts';
import { assertUnreachable } from '#domain/conditions.ts';
import {
  type ContributionOptions,
  type OrderFacts,
  type RefundFacts,
  refundContribution,
} from '#domain/order.ts';
import { selectorKeys, withCounted } from '#domain/reindex.ts';
import { UnusableChange } from '#domain/unusable.ts';
import { type TimedDefinitions, wakeTimeOf } from '#domain/wake.ts';

/**
 * What applying a change did. `duplicate`: this very change was applied before; `stale`: a newer
 * state is stored; `unchanged`: it changes nothing; `parked`: a refund waits for its order.
 */
export type Applied = {
  /** `redacted`: the customer was erased (customers/redact) and is not brought back. */
  status: 'applied' | 'duplicate' | 'stale' | 'unchanged' | 'parked' | 'redacted';
  customerId?: string;
  orderId?: string;
  reason?: string;
};

export type ApplyOptions = { silent?: boolean };

/** Whether a customer with this record (null: none) was redacted and must not be brought back. */
type RedactedCheck = (customerId: string, current: CustomerAggregate | null) => Promise<boolean>;

/** A change to the customer alone (no order) as the domain computes it from the current aggregate. */
const customerUpdate =
  (
    shop: string,
    change: Extract<ShopifyChange, { type: 'consent' | 'customer-tags' | 'customer' | 'clock' }>,
  ) =>
  (current: CustomerAggregate | null): CustomerAggregate | null => {
    switch (change.type) {
      case 'clock':
        // Time passes for customers that exist; it creates no one.
        return current ? clockChange(current, change.at) : null;
      case 'consent':
        return consentChange(shop, change.customerId, current, change.consent, change.consent.updatedAt);
      case 'customer-tags':
        return tagsChange(shop, change.customerId, current, change.tags, change.tags.at);
      case 'customer':
        return customerChange(shop, change.customerId, current, change.update, change.update.at);
      default:
        return assertUnreachable(change);
    }
  };

/**
 * The one apply path: a normalised change (see `ShopifyChange`) becomes its effect on the table,
 * idempotently and in any arrival order. Webhooks and the unsubscribe link use it today; backfill
 * and reconciliation will too. Nothing else writes an order, a customer or a compliance request.
 */
export class ApplyPath {
  private readonly customers: CustomerRecords;
  private readonly batches: CustomerBatches;
  private readonly privacy: PrivacyRequests;
  private readonly shops: ShopRegistry;
  private readonly options: ContributionOptions;
  /** The selector keys the configuration counts (see `CustomerAggregate.counted`). */
  private readonly counted: string[];

  /**
   * `options`: what orders count (selectors) and, when given, the journeys and segments whose
   * time conditions the sweep watches (each write records when time next moves the customer).
   * `pepper`: the secret of customer pseudonyms, under which redactions are recorded and found.
   */
  constructor(
    table: StoreTable,
    options: ContributionOptions & Partial<TimedDefinitions>,
    pepper: () => Promise<string>,
  ) {
    this.options = options;
    this.counted = selectorKeys(options.selectors);
    this.customers = new CustomerRecords(table, { wakeAt: wakeTimeOf(options) });
    this.batches = new CustomerBatches(table, this.customers);
    this.privacy = new PrivacyRequests(table, pepper);
    this.shops = new ShopRegistry(table);
  }

  /**
   * Whether a customer with no record is one that was redacted: then no later event (an old webhook
   * redelivered or redriven, an unsubscribe click) may create them again. One read, only when the
   * customer has no record.
   */
  private async redacted(shop: string, customerId: string, current: CustomerAggregate | null) {
    return current === null && (await this.privacy.isRedacted(shop, customerId));
  }

  /**
   * Applies one change. `silent`: it comes from history (backfill, reindex) — stages it enters are
   * recorded but announced as `backfill` and never emailed.
   */
  async apply(shop: string, change: ShopifyChange, { silent = false }: ApplyOptions = {}): Promise<Applied> {
    switch (change.type) {
      case 'order':
        return this.order(shop, change.order, silent);
      case 'refund':
        return this.refund(shop, change.refund, silent);
      case 'consent':
      case 'customer-tags':
      case 'customer':
      case 'clock':
        return this.customer(shop, change.customerId, silent, customerUpdate(shop, change));
      case 'privacy': {
        const status = await this.privacy.record(shop, change.request, change.at);
        return change.request.type === 'shop-redact'
          ? { status }
          : { status, customerId: change.request.customerId };
      }
      case 'uninstall':
        return { status: await this.shops.markUninstalled(shop, change.at) };
      default:
        return assertUnreachable(change);
    }
  }

  /**
   * Applies many changes — history, silently — ending in the table state `apply` leaves applying
   * them one by one in this order (each customer's keep their order). Orders and customer changes
   * go through `CustomerBatches`: read together, computed by the same domain functions, written
   * under `apply`'s conditions, customers without a record checked for a redaction together; other
   * changes (refunds, compliance requests, uninstalls) through `apply`, where they stand. A change
   * that can never be applied answers its `UnusableChange`; the others are applied.
   */
  async applyMany(
    shop: string,
    changes: readonly ShopifyChange[],
    { silent = false }: ApplyOptions = {},
  ): Promise<(Applied | UnusableChange)[]> {
    const results = new Array<Applied | UnusableChange>(changes.length);
    // Redactions found for customers without a record, read once per call for all of them.
    const checked = new Map<string, boolean>();
    const redacted: RedactedCheck = async (customerId, current) =>
      current === null && (checked.get(customerId) ?? (await this.privacy.isRedacted(shop, customerId)));
    const beforeCompute = async (absent: readonly string[]) => {
      const unknown = absent.filter((customerId) => !checked.has(customerId));
      const found = await this.privacy.redactedAmong(shop, unknown);
      for (const customerId of unknown) checked.set(customerId, found.has(customerId));
    };
    let run: { index: number; change: BatchChange }[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      const batch = run;
      run = [];
      const outcomes = await this.batches.applyMany({
        shop,
        silent,
        changes: batch.map(({ change }) => change),
        beforeCompute,
      });
      for (const [k, { index, change }] of batch.entries()) {
        const status = outcomes[k];
        if (status === undefined) throw new Error(`change ${index} of the batch was left without an outcome`);
        results[index] =
          status instanceof UnusableChange
            ? status
            : {
                status,
                customerId: change.customerId,
                ...(change.orderId === null ? {} : { orderId: change.orderId }),
              };
      }
    };
    for (const [index, change] of changes.entries()) {
      const batched = this.batchChangeOf(shop, change, redacted);
      if (batched) {
        run.push({ index, change: batched });
        continue;
      }
      await flush();
      try {
        results[index] = await this.apply(shop, change, { silent });
      } catch (error) {
        if (!(error instanceof UnusableChange)) throw error;
        results[index] = error;
      }
    }
    await flush();
    return results;
  }

  /** An order version, evaluated at its own time (its `updated_at`), not at processing time. */
  private async order(shop: string, facts: OrderFacts, silent: boolean): Promise<Applied> {
    const status = await this.customers.apply({
      shop,
      silent,
      customerId: facts.customerId,
      orderId: facts.orderId,
      compute: this.orderCompute(shop, facts, (customerId, current) =>
        this.redacted(shop, customerId, current),
      ),
    });
    return { status, customerId: facts.customerId, orderId: facts.orderId };
  }

  /** What an order version does to its customer, computed from what is stored (see `CustomerRecords`). */
  private orderCompute(shop: string, facts: OrderFacts, redacted: RedactedCheck): Compute {
    return async ({ current, stored, parkedRefunds, otherOrders }) => {
      if (await redacted(facts.customerId, current)) return 'redacted';
      const change = await withOtherOrders(
        (others) =>
          orderChange(
            { shop, current, stored, facts, options: this.options, now: facts.updatedAt, parkedRefunds },
            others,
          ),
        otherOrders,
      );
      // The same version again is a redelivery; an older one arriving late is stale.
      if (change === 'stale') return stored?.updatedAt === facts.updatedAt ? 'duplicate' : change;
      return { ...change, aggregate: withCounted(change.aggregate, current === null, this.counted) };
    };
  }

  /**
   * A refund names its order, not the customer: it is parked with the order and, once the order's
   * customer is known, taken off that order's contribution (once, whatever the delivery order).
   */
  private async refund(shop: string, facts: RefundFacts, silent: boolean): Promise<Applied> {
    const refund = refundContribution(facts, this.options);
    const customerId = await this.customers.parkRefund(shop, facts.orderId, refund);
    if (customerId === null)
      return {
        status: 'parked',
        reason: 'order not seen yet; applied when it arrives',
        orderId: facts.orderId,
      };
    const status = await this.customers.apply({
      shop,
      silent,
      customerId,
      orderId: facts.orderId,
      compute: async ({ current, stored, otherOrders }) => {
        if (await this.redacted(shop, customerId, current)) return 'redacted';
        const change = await withOtherOrders(
          (others) => refundChange(current, stored, [refund], facts.createdAt, others),
          otherOrders,
        );
        return change === 'stale'
          ? change
          : { ...change, aggregate: withCounted(change.aggregate, false, this.counted) };
      },
    });
    return { status, customerId, orderId: facts.orderId };
  }

  /** A change to the customer alone (no order): consent, tags, email and address. */
  private async customer(
    shop: string,
    customerId: string,
    silent: boolean,
    compute: (current: CustomerAggregate | null) => CustomerAggregate | null,
  ): Promise<Applied> {
    const status = await this.customers.apply({
      shop,
      silent,
      customerId,
      orderId: null,
      compute: this.customerCompute(customerId, compute, (id, current) => this.redacted(shop, id, current)),
    });
    return { status, customerId };
  }

  /** What a change to the customer alone does, computed from their stored aggregate. */
  private customerCompute(
    customerId: string,
    compute: (current: CustomerAggregate | null) => CustomerAggregate | null,
    redacted: RedactedCheck,
  ): Compute {
    return async ({ current }) => {
      if (await redacted(customerId, current)) return 'redacted';
      const aggregate = compute(current);
      return aggregate ? { aggregate: withCounted(aggregate, current === null, this.counted) } : null;
    };
  }

  /** The change to one customer a change is, as `applyMany` batches it; null for another kind. */
  private batchChangeOf(shop: string, change: ShopifyChange, redacted: RedactedCheck): BatchChange | null {
    switch (change.type) {
      case 'order':
        return {
          customerId: change.order.customerId,
          orderId: change.order.orderId,
          compute: this.orderCompute(shop, change.order, redacted),
        };
      case 'consent':
      case 'customer-tags':
      case 'customer':
      case 'clock':
        return {
          customerId: change.customerId,
          orderId: null,
          compute: this.customerCompute(change.customerId, customerUpdate(shop, change), redacted),
        };
      case 'refund':
      case 'privacy':
      case 'uninstall':
        return null;
      default:
        return assertUnreachable(change);
    }
  }
}
