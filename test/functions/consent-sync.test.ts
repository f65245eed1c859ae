import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOPIFY_API_VERSION } from '#adapters/shopify/payloads.ts';
import { ShopifyAdminLocal } from '../../local/shopify-admin/server.ts';
import { busEvent, useHandlerEnvironment } from '../support/lambda.ts';

let admin: ShopifyAdminLocal;
// Before the handler is imported: the Admin API stand-in's origin is part of its environment.
beforeAll(async () => {
  // The Admin API accepts `right` for good.myshopify.com; the secret holds a stale token for stale.myshopify.com.
  const started = await ShopifyAdminLocal.start({
    'good.myshopify.com': 'right',
    'stale.myshopify.com': 'new',
  });
  admin = started.admin;
  process.env.SHOPIFY_ADMIN_ORIGIN = started.origin;
});
afterAll(() => admin?.stop());
const consentSync = useHandlerEnvironment({
  secrets: {
    SHOPIFY_ADMIN_TOKENS_SECRET_ARN: JSON.stringify({
      'good.myshopify.com': 'right',
      'stale.myshopify.com': 'old',
    }),
  },
  load: () => import('../../functions/consent-sync/handler.ts'),
});
const handler = (event: EventBridgeEvent<string, unknown>) => consentSync.handler(event);

const unsubscribed = (shop: string, customerId = '7001') =>
  busEvent(
    'Customer Unsubscribed',
    { eventId: 'x', shop, customerId, occurredAt: '2026-11-24T00:00:00.000Z' },
    { id: 'e', time: '2026-11-24T00:00:00Z' },
  );

describe('consent-sync handler', () => {
  it('sets the consent to UNSUBSCRIBED in Shopify with the shop token', async () => {
    expect(await handler(unsubscribed('good.myshopify.com'))).toEqual({ status: 'written' });
    expect(admin.calls.at(-1)).toMatchObject({
      shop: 'good.myshopify.com',
      apiVersion: SHOPIFY_API_VERSION,
      variables: {
        input: {
          customerId: 'gid://shopify/Customer/7001',
          emailMarketingConsent: {
            marketingState: 'UNSUBSCRIBED',
            consentUpdatedAt: '2026-11-24T00:00:00.000Z',
          },
        },
      },
    });
  });

  it('writes nothing for a shop without a token', async () => {
    const before = admin.calls.length;
    expect(await handler(unsubscribed('other.myshopify.com'))).toEqual({
      status: 'not-configured',
    });
    expect(admin.calls).toHaveLength(before);
  });

  it('reports a refusal (a revoked token) without retrying', async () => {
    expect(await handler(unsubscribed('stale.myshopify.com'))).toEqual({
      status: 'rejected',
      errors: [
        expect.stringMatching(
          /^Shopify Admin API answered 401 for stale\.myshopify\.com: the access token is invalid/,
        ),
      ],
    });
  });

  it('rejects an event that is not a Customer Unsubscribed detail', async () => {
    await expect(handler(unsubscribed('good.myshopify.com', 'gid://x'))).rejects.toThrow();
  });
});
