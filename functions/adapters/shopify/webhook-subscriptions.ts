import { z } from 'zod';
import { ShopifyAccessError, ShopifyQueryError } from './admin-errors.ts';
import type { AdminSession } from './admin-session.ts';
import { CustomerPayload } from './payloads.ts';

/**
 * A shop's webhook subscriptions made through the Admin API (GraphQL 2026-10: `uri` is an HTTPS
 * URL or an EventBridge event-source ARN): which of the topics we handle are subscribed at our
 * address, and the missing ones created. These are shop-scoped subscriptions; the ones an app's
 * `shopify.app.toml` declares are app-scoped, and `webhookSubscriptions` does not list them (use
 * one way or the other, see docs/shopify.app.toml).
 */

/**
 * The mandatory compliance topics: an app configures them in its configuration
 * (`compliance_topics` in shopify.app.toml, or the Dev Dashboard), never through the Admin API,
 * whose `WebhookSubscriptionTopic` has no value for them.
 */
export const COMPLIANCE_TOPICS: readonly string[] = [
  'customers/data_request',
  'customers/redact',
  'shop/redact',
];

/**
 * The dotted paths (`default_address.country_code`) a zod object schema reads, arrays and
 * optional fields seen through: the fields an `includeFields` list must keep for it.
 */
export const fieldPaths = (schema: z.ZodType, prefix = ''): string[] => {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault)
    return fieldPaths(schema.unwrap() as z.ZodType, prefix);
  if (schema instanceof z.ZodPipe) return fieldPaths(schema.in as z.ZodType, prefix);
  if (schema instanceof z.ZodArray) return fieldPaths(schema.element as z.ZodType, prefix);
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape).flatMap(([name, field]) => {
    const nested = fieldPaths(field as z.ZodType, `${prefix}${name}.`);
    return nested.length > 0 ? nested : [`${prefix}${name}`];
  });
};

/** How one topic is subscribed: its `WebhookSubscriptionTopic` value, and the fields kept (none: the full payload). */
export type TopicSubscription = { graphqlTopic: string; includeFields?: readonly string[] };

/**
 * The customer topics carry names, phones, every address and notes, none of which is read: they
 * keep only what `CustomerPayload` reads. Every other topic gets its full payload (Shopify's
 * default): the order schema reads three levels into arrays (`refunds.refund_line_items.line_item`)
 * and several of its fields default when absent (`refunds`, `test`), so a path Shopify did not keep
 * would be applied wrong rather than quarantined; the consent, tags, deletion and uninstall bodies
 * are small already.
 */
const CUSTOMER_FIELDS = fieldPaths(CustomerPayload);

/**
 * The Admin API's `WebhookSubscriptionTopic` value of each topic the ingest function may handle
 * (checked on shopify.dev). A Map, so that a topic named `__proto__` finds nothing.
 */
export const SUBSCRIBABLE_TOPICS: ReadonlyMap<string, TopicSubscription> = new Map([
  ['orders/create', { graphqlTopic: 'ORDERS_CREATE' }],
  ['orders/updated', { graphqlTopic: 'ORDERS_UPDATED' }],
  ['orders/cancelled', { graphqlTopic: 'ORDERS_CANCELLED' }],
  ['refunds/create', { graphqlTopic: 'REFUNDS_CREATE' }],
  // Shopify's topic list spells this `customers_email_marketing_consent/update`; one value for both.
  ['customers/email_marketing_consent_update', { graphqlTopic: 'CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE' }],
  ['customers_email_marketing_consent/update', { graphqlTopic: 'CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE' }],
  ['customer.tags_added', { graphqlTopic: 'CUSTOMER_TAGS_ADDED' }],
  ['customer.tags_removed', { graphqlTopic: 'CUSTOMER_TAGS_REMOVED' }],
  ['customers/create', { graphqlTopic: 'CUSTOMERS_CREATE', includeFields: CUSTOMER_FIELDS }],
  ['customers/update', { graphqlTopic: 'CUSTOMERS_UPDATE', includeFields: CUSTOMER_FIELDS }],
  ['customers/delete', { graphqlTopic: 'CUSTOMERS_DELETE' }],
  ['app/uninstalled', { graphqlTopic: 'APP_UNINSTALLED' }],
]);

export const LIST_SUBSCRIPTIONS = `query subscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri format includeFields }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const CREATE_SUBSCRIPTION = `mutation subscribe($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`;

const Subscription = z.object({
  id: z.string(),
  topic: z.string(),
  uri: z.string(),
  format: z.string().nullish(),
  includeFields: z.array(z.string()).nullish(),
});
export type ListedSubscription = z.infer<typeof Subscription>;

const Listed = z.object({
  webhookSubscriptions: z.object({
    nodes: z.array(Subscription),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
  }),
});

const Created = z.object({
  webhookSubscriptionCreate: z.object({
    webhookSubscription: z.object({ id: z.string() }).nullable(),
    userErrors: z.array(z.object({ field: z.array(z.string()).nullish(), message: z.string() })),
  }),
});

/** Shopify answered in a shape this module does not know. */
export class WebhookSubscriptionError extends Error {
  override name = 'WebhookSubscriptionError';
}

/**
 * Where one topic stands. `present` with `outdated` names what differs from what we would create
 * (`includeFields`, `format`): it is reported, not changed.
 */
export type TopicReport = { topic: string; graphqlTopic: string | null } & (
  | { status: 'present'; id: string; outdated: string[] }
  | { status: 'created'; id: string }
  | { status: 'missing' }
  | { status: 'failed'; errors: string[] }
  | { status: 'configured-in-app' }
);

/** A subscription of the shop that is not ours at `address`: the same topic elsewhere, or a topic not handled. */
export type OtherSubscription = ListedSubscription & { reason: 'another-address' | 'unhandled-topic' };

export type SubscriptionsReport = {
  shop: string;
  address: string;
  topics: TopicReport[];
  others: OtherSubscription[];
};

/** True when every topic is subscribed as we would subscribe it, or configured in the app. */
export const isComplete = (report: SubscriptionsReport): boolean =>
  report.topics.every(
    (t) =>
      t.status === 'created' ||
      t.status === 'configured-in-app' ||
      (t.status === 'present' && t.outdated.length === 0),
  );

/** Every shop-scoped subscription of the app on the shop, page after page. */
export const listSubscriptions = async (session: AdminSession): Promise<ListedSubscription[]> => {
  const all: ListedSubscription[] = [];
  let after: string | null = null;
  for (;;) {
    const { data } = await session.request(LIST_SUBSCRIPTIONS, { after });
    const page = Listed.safeParse(data);
    if (!page.success)
      throw new WebhookSubscriptionError(`webhookSubscriptions answered ${session.shop} in an unknown shape`);
    all.push(...page.data.webhookSubscriptions.nodes);
    const { hasNextPage, endCursor } = page.data.webhookSubscriptions.pageInfo;
    if (!hasNextPage || !endCursor) return all;
    after = endCursor;
  }
};

const sameFields = (listed: readonly string[] | null | undefined, wanted: readonly string[] = []) => {
  const a = [...(listed ?? [])].sort();
  const b = [...wanted].sort();
  return a.length === b.length && a.every((field, i) => field === b[i]);
};

const outdatedOf = (listed: ListedSubscription, wanted: TopicSubscription): string[] => [
  ...(sameFields(listed.includeFields, wanted.includeFields) ? [] : ['includeFields']),
  ...((listed.format ?? 'JSON') === 'JSON' ? [] : ['format']),
];

/** Creates one subscription: a refusal (userErrors, a topic the API version lacks, a scope) is the topic's, not thrown. */
const create = async (
  session: AdminSession,
  address: string,
  topic: string,
  wanted: TopicSubscription,
): Promise<TopicReport> => {
  const base = { topic, graphqlTopic: wanted.graphqlTopic };
  let data: unknown;
  try {
    ({ data } = await session.request(CREATE_SUBSCRIPTION, {
      topic: wanted.graphqlTopic,
      subscription: {
        uri: address,
        format: 'JSON',
        ...(wanted.includeFields ? { includeFields: [...wanted.includeFields] } : {}),
      },
    }));
  } catch (error) {
    if (error instanceof ShopifyQueryError) return { ...base, status: 'failed', errors: error.messages };
    if (error instanceof ShopifyAccessError && error.reason === 'scope-missing')
      return { ...base, status: 'failed', errors: [error.message] };
    throw error;
  }
  const created = Created.safeParse(data);
  if (!created.success)
    throw new WebhookSubscriptionError(
      `webhookSubscriptionCreate answered ${session.shop} in an unknown shape`,
    );
  const { webhookSubscription, userErrors } = created.data.webhookSubscriptionCreate;
  if (!webhookSubscription || userErrors.length > 0)
    return {
      ...base,
      status: 'failed',
      errors:
        userErrors.length > 0 ? userErrors.map((e) => e.message) : ['no subscription and no reason given'],
    };
  return { ...base, status: 'created', id: webhookSubscription.id };
};

const reconcile = async (
  session: AdminSession,
  address: string,
  topics: readonly string[],
  createMissing: boolean,
): Promise<SubscriptionsReport> => {
  const listed = await listSubscriptions(session);
  const wantedTopics = new Set(topics.flatMap((topic) => SUBSCRIBABLE_TOPICS.get(topic)?.graphqlTopic ?? []));
  const report: TopicReport[] = [];
  // One at a time: a mutation costs 10 points, and a dozen stays far below any bucket.
  for (const topic of new Set(topics)) {
    if (COMPLIANCE_TOPICS.includes(topic)) {
      report.push({ topic, graphqlTopic: null, status: 'configured-in-app' });
      continue;
    }
    const wanted = SUBSCRIBABLE_TOPICS.get(topic);
    if (!wanted) {
      report.push({
        topic,
        graphqlTopic: null,
        status: 'failed',
        errors: [`no Admin API topic is known for "${topic}": add it to SUBSCRIBABLE_TOPICS`],
      });
      continue;
    }
    const present = listed.find((s) => s.topic === wanted.graphqlTopic && s.uri === address);
    if (present)
      report.push({
        topic,
        graphqlTopic: wanted.graphqlTopic,
        status: 'present',
        id: present.id,
        outdated: outdatedOf(present, wanted),
      });
    else if (!createMissing) report.push({ topic, graphqlTopic: wanted.graphqlTopic, status: 'missing' });
    else report.push(await create(session, address, topic, wanted));
  }
  const others = listed.flatMap((s): OtherSubscription[] => {
    if (!wantedTopics.has(s.topic)) return [{ ...s, reason: 'unhandled-topic' }];
    return s.uri === address ? [] : [{ ...s, reason: 'another-address' }];
  });
  return { shop: session.shop, address, topics: report, others };
};

/**
 * Subscribes the shop to each of `topics` at `address` where it is not yet (compliance topics are
 * reported as configured in the app). Nothing is deleted or changed: subscriptions elsewhere or
 * with other fields are reported. Safe to run again; a scheduled job may call it.
 */
export const ensureSubscriptions = (
  session: AdminSession,
  address: string,
  topics: readonly string[],
): Promise<SubscriptionsReport> => reconcile(session, address, topics, true);

/** The same report as `ensureSubscriptions` without creating anything: missing topics say `missing`. */
export const checkSubscriptions = (
  session: AdminSession,
  address: string,
  topics: readonly string[],
): Promise<SubscriptionsReport> => reconcile(session, address, topics, false);
