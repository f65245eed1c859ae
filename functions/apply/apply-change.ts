import { CustomerRecords } from '#adapters/store/customers.ts';
import { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { ShopRegistry } from '#adapters/store/shops.ts';
import type { StoreTable } from '#adapters/store/table.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import {
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

/**
 * The one apply path: a normalised change (see `ShopifyChange`) becomes its effect on the table,
 * idempotently and in any arrival order. Webhooks and the unsubscribe link use it today; backfill
 * and reconciliation will too. Nothing else writes an order, a customer or a compliance request.
 */
export class ApplyPath {
  private readonly customers: CustomerRecords;
  private readonly privacy: PrivacyRequests;
  private readonly shops: ShopRegistry;
  private readonly options: ContributionOptions;

  /** `pepper`: the secret of customer pseudonyms, under which redactions are recorded and found. */
  constructor(table: StoreTable, options: ContributionOptions, pepper: () => Promise<string>) {
    this.options = options;
    this.customers = new CustomerRecords(table);
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
        return this.customer(shop, change.customerId, silent, (current) =>
          consentChange(shop, change.customerId, current, change.consent, change.consent.updatedAt),
        );
      case 'customer-tags':
        return this.customer(shop, change.customerId, silent, (current) =>
          tagsChange(shop, change.customerId, current, change.tags, change.tags.at),
        );
      case 'customer':
        return this.customer(shop, change.customerId, silent, (current) =>
          customerChange(shop, change.customerId, current, change.update, change.update.at),
        );
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

  /** An order version, evaluated at its own time (its `updated_at`), not at processing time. */
  private async order(shop: string, facts: OrderFacts, silent: boolean): Promise<Applied> {
    const status = await this.customers.apply({
      shop,
      silent,
      customerId: facts.customerId,
      orderId: facts.orderId,
      compute: async ({ current, stored, parkedRefunds, otherOrders }) => {
        if (await this.redacted(shop, facts.customerId, current)) return 'redacted';
        const change = await withOtherOrders(
          (others) =>
            orderChange(
              { shop, current, stored, facts, options: this.options, now: facts.updatedAt, parkedRefunds },
              others,
            ),
          otherOrders,
        );
        // The same version again is a redelivery; an older one arriving late is stale.
        return change === 'stale' && stored?.updatedAt === facts.updatedAt ? 'duplicate' : change;
      },
    });
    return { status, customerId: facts.customerId, orderId: facts.orderId };
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
      compute: async ({ current, stored, otherOrders }) =>
        (await this.redacted(shop, customerId, current))
          ? 'redacted'
          : withOtherOrders(
              (others) => refundChange(current, stored, [refund], facts.createdAt, others),
              otherOrders,
            ),
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
      compute: async ({ current }) => {
        if (await this.redacted(shop, customerId, current)) return 'redacted';
        const aggregate = compute(current);
        return aggregate ? { aggregate } : null;
      },
    });
    return { status, customerId };
  }
}
