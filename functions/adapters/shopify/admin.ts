import { z } from 'zod';
import { ShopifyQueryError, ShopifyUnavailable } from './admin-errors.ts';
import type { AdminSession } from './admin-session.ts';

const CONSENT_UPDATE = `mutation consent($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field message code }
  }
}`;

const ConsentUpdateAnswer = z.object({
  customerEmailMarketingConsentUpdate: z
    .object({ userErrors: z.array(z.object({ message: z.string() })).nullish() })
    .nullish(),
});

/**
 * Sets a customer's email marketing consent to UNSUBSCRIBED in Shopify
 * (`customerEmailMarketingConsentUpdate`), so the merchant's other tools honour it too.
 * Resolves to Shopify's user errors or query errors (permanent: retrying changes nothing); throws
 * `ShopifyUnavailable` when a retry may succeed and `ShopifyAccessError` when the shop's access
 * is refused (token, grant, scope).
 */
export const unsubscribeInShopify = async (
  session: AdminSession,
  request: { customerId: string; at: string },
): Promise<string[]> => {
  let data: unknown;
  try {
    ({ data } = await session.request(CONSENT_UPDATE, {
      input: {
        customerId: `gid://shopify/Customer/${request.customerId}`,
        emailMarketingConsent: { marketingState: 'UNSUBSCRIBED', consentUpdatedAt: request.at },
      },
    }));
  } catch (error) {
    if (error instanceof ShopifyQueryError) return error.messages;
    throw error;
  }
  const answer = ConsentUpdateAnswer.safeParse(data);
  if (!answer.success)
    throw new ShopifyUnavailable('Shopify Admin API answered the consent update in another shape');
  return (answer.data.customerEmailMarketingConsentUpdate?.userErrors ?? []).map((e) => e.message);
};
