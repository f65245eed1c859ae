import { SHOPIFY_API_VERSION } from './payloads.ts';

/** A failure Shopify may not repeat (network, 429, 5xx): the caller throws so Lambda retries. */
export class ShopifyUnavailable extends Error {
  override name = 'ShopifyUnavailable';
}

const CONSENT_UPDATE = `mutation consent($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field message code }
  }
}`;

/**
 * The shop's Admin API access tokens: JSON `{ "<shop>.myshopify.com": "<token>" }` (custom apps
 * give one token per store, `write_customers` scope). A shop without a token is not written back.
 */
export const adminToken = (tokensJson: string, shop: string): string | null => {
  const parsed: unknown = JSON.parse(tokensJson);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('Shopify admin tokens secret must be a JSON object of shop → token');
  const token = (parsed as Record<string, unknown>)[shop];
  return typeof token === 'string' && token.length > 0 ? token : null;
};

/**
 * Sets a customer's email marketing consent to UNSUBSCRIBED in Shopify
 * (`customerEmailMarketingConsentUpdate`), so the merchant's other tools honour it too.
 * Resolves to Shopify's user errors (permanent: retrying changes nothing); throws
 * `ShopifyUnavailable` when a retry may succeed.
 */
export const unsubscribeInShopify = async (request: {
  /** `https://{shop}`, or a stand-in for tests; `{shop}` is replaced. */
  origin: string;
  shop: string;
  token: string;
  customerId: string;
  at: string;
}): Promise<string[]> => {
  const url = `${request.origin.replace('{shop}', request.shop)}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': request.token },
      body: JSON.stringify({
        query: CONSENT_UPDATE,
        variables: {
          input: {
            customerId: `gid://shopify/Customer/${request.customerId}`,
            emailMarketingConsent: { marketingState: 'UNSUBSCRIBED', consentUpdatedAt: request.at },
          },
        },
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new ShopifyUnavailable(`Shopify Admin API unreachable: ${(error as Error).message}`);
  }
  if (response.status === 429 || response.status >= 500)
    throw new ShopifyUnavailable(`Shopify Admin API answered ${response.status}`);
  const body = (await response.json().catch(() => null)) as {
    data?: { customerEmailMarketingConsentUpdate?: { userErrors?: { message: string }[] } };
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  if (!response.ok) return [`Shopify Admin API answered ${response.status}`];
  if (body?.errors?.some((e) => e.extensions?.code === 'THROTTLED'))
    throw new ShopifyUnavailable('Shopify Admin API throttled the request');
  if (body?.errors?.length) return body.errors.map((e) => e.message);
  return (body?.data?.customerEmailMarketingConsentUpdate?.userErrors ?? []).map((e) => e.message);
};
