/**
 * The shops' webhook subscriptions as `webhookSubscriptionCreate` / `webhookSubscriptionDelete` /
 * `webhookSubscriptions` manage them. The `uri` (since 2025-10; `callbackUrl` before) is an HTTPS URL, an
 * Amazon EventBridge event-source ARN or a Pub/Sub URI; a second subscription to the same topic and
 * address is refused with "Address for this topic has already been taken". `removeTopic` plays
 * Shopify deleting a subscription after its deliveries kept failing.
 */

export type WebhookSubscription = {
  __typename: 'WebhookSubscription';
  id: string;
  topic: string;
  uri: string;
  format: string;
  includeFields: string[];
  metafieldNamespaces: string[];
  filter: string | null;
  createdAt: string;
  updatedAt: string;
  apiVersion: { handle: string };
  endpoint: Record<string, unknown>;
};

export type UserError = { field: string[] | null; message: string };

const TOPIC = /^[A-Z][A-Z0-9_]*$/;
const EVENTBRIDGE_ARN =
  /^arn:aws:events:[a-z0-9-]+::event-source\/aws\.partner\/shopify\.com(\.test)?\/\d+\/.+$/;
const PUBSUB = /^pubsub:\/\/[^:]+:.+$/;

/** The `endpoint` union member for an address (kept for clients still reading it). */
const endpointOf = (uri: string): Record<string, unknown> => {
  if (uri.startsWith('arn:')) return { __typename: 'WebhookEventBridgeEndpoint', arn: uri };
  if (uri.startsWith('pubsub://')) {
    const [project = '', topic = ''] = uri.slice('pubsub://'.length).split(':');
    return { __typename: 'WebhookPubSubEndpoint', pubSubProject: project, pubSubTopic: topic };
  }
  return { __typename: 'WebhookHttpEndpoint', callbackUrl: uri };
};

const addressError = (uri: string, allowHttp: boolean): string | null => {
  if (EVENTBRIDGE_ARN.test(uri) || PUBSUB.test(uri)) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'Address is invalid';
  }
  if (url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) return null;
  return `Address protocol ${url.protocol}// is not supported`;
};

export class WebhookSubscriptions {
  private readonly byShop = new Map<string, WebhookSubscription[]>();
  private nextId = 1_000_000_001;

  private readonly now: () => number;
  /** Accept `http://` addresses (Shopify does not; the local stack may want to). */
  private readonly allowHttp: boolean;

  constructor(now: () => number, allowHttp = false) {
    this.now = now;
    this.allowHttp = allowHttp;
  }

  private of(shop: string): WebhookSubscription[] {
    let list = this.byShop.get(shop);
    if (!list) {
      list = [];
      this.byShop.set(shop, list);
    }
    return list;
  }

  /** The shop's subscriptions, oldest first, optionally only these topics. */
  list(shop: string, topics?: readonly string[]): WebhookSubscription[] {
    const all = this.of(shop);
    return topics?.length ? all.filter((s) => topics.includes(s.topic)) : [...all];
  }

  find(shop: string, id: string): WebhookSubscription | null {
    return this.of(shop).find((s) => s.id === id) ?? null;
  }

  create(
    shop: string,
    topic: unknown,
    input: Record<string, unknown>,
    apiVersion: string,
  ): { webhookSubscription: WebhookSubscription | null; userErrors: UserError[] } {
    const refuse = (field: string[] | null, message: string) => ({
      webhookSubscription: null,
      userErrors: [{ field, message }],
    });
    if (typeof topic !== 'string' || !TOPIC.test(topic)) return refuse(['topic'], 'Topic is invalid');
    const addressField = input.uri !== undefined ? 'uri' : 'callbackUrl';
    const uri = input.uri ?? input.callbackUrl;
    if (typeof uri !== 'string' || !uri)
      return refuse(['webhookSubscription', addressField], "Address can't be blank");
    const invalid = addressError(uri, this.allowHttp);
    if (invalid) return refuse(['webhookSubscription', addressField], invalid);
    const list = this.of(shop);
    if (list.some((s) => s.topic === topic && s.uri === uri))
      return refuse(['webhookSubscription', addressField], 'Address for this topic has already been taken');
    const at = new Date(this.now()).toISOString();
    const subscription: WebhookSubscription = {
      __typename: 'WebhookSubscription',
      id: `gid://shopify/WebhookSubscription/${this.nextId++}`,
      topic,
      uri,
      format: typeof input.format === 'string' ? input.format : 'JSON',
      includeFields: Array.isArray(input.includeFields) ? input.includeFields.map(String) : [],
      metafieldNamespaces: Array.isArray(input.metafieldNamespaces)
        ? input.metafieldNamespaces.map(String)
        : [],
      filter: typeof input.filter === 'string' ? input.filter : null,
      createdAt: at,
      updatedAt: at,
      apiVersion: { handle: apiVersion },
      endpoint: endpointOf(uri),
    };
    list.push(subscription);
    return { webhookSubscription: subscription, userErrors: [] };
  }

  delete(
    shop: string,
    id: unknown,
  ): { deletedWebhookSubscriptionId: string | null; userErrors: UserError[] } {
    const list = this.of(shop);
    const index = list.findIndex((s) => s.id === id);
    if (index === -1)
      return {
        deletedWebhookSubscriptionId: null,
        userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }],
      };
    list.splice(index, 1);
    return { deletedWebhookSubscriptionId: String(id), userErrors: [] };
  }

  /** Removes every subscription of the shop to `topic` (as Shopify does after failed deliveries). */
  removeTopic(shop: string, topic: string): number {
    const list = this.of(shop);
    const kept = list.filter((s) => s.topic !== topic);
    this.byShop.set(shop, kept);
    return list.length - kept.length;
  }
}
