import { describe, expect, it } from 'vitest';
import type { SubscriptionsReport } from '#adapters/shopify/webhook-subscriptions.ts';
import { formatReport, parseSubscriptionsCommand } from '../../scripts/subscriptions.ts';

const SHOP = 'bakery-demo.myshopify.com';

describe('parseSubscriptionsCommand', () => {
  it.each([
    [
      'the local stack on PORT',
      ['--shop', SHOP],
      { local: 'http://127.0.0.1:3000', aws: null, address: null },
    ],
    [
      'another local stack and address',
      ['--shop', SHOP, '--local', 'http://127.0.0.1:4000', '--address', 'https://x.example/hooks'],
      { local: 'http://127.0.0.1:4000', aws: null, address: 'https://x.example/hooks' },
    ],
    [
      'AWS',
      [
        '--shop',
        SHOP,
        '--admin-tokens-secret',
        'arn:tokens',
        '--address',
        'https://api.example/webhooks/shopify',
      ],
      {
        local: null,
        aws: { adminTokensSecretArn: 'arn:tokens' },
        address: 'https://api.example/webhooks/shopify',
      },
    ],
  ])('targets %s', (_name, args, expected) => {
    // Arrange
    const port = process.env.PORT;
    delete process.env.PORT;

    // Act
    const command = parseSubscriptionsCommand(args);

    // Assess
    process.env.PORT = port;
    expect(command).toEqual({ shop: SHOP, check: false, ...expected });
  });

  it.each([
    ['no shop', ['--check'], /--shop/],
    ['a shop that is not a myshopify domain', ['--shop', 'example.com'], /--shop/],
    ['AWS without the webhook address', ['--shop', SHOP, '--admin-tokens-secret', 'arn:tokens'], /--address/],
  ])('refuses %s', (_name, args, message) => {
    expect(() => parseSubscriptionsCommand(args)).toThrow(message);
  });
});

describe('formatReport', () => {
  it('says per topic what it found or did, and notes the subscriptions that are not ours', () => {
    // Arrange
    const report: SubscriptionsReport = {
      shop: SHOP,
      address: 'https://api.example/webhooks/shopify',
      topics: [
        { topic: 'orders/create', graphqlTopic: 'ORDERS_CREATE', status: 'present', id: 'g1', outdated: [] },
        {
          topic: 'customers/update',
          graphqlTopic: 'CUSTOMERS_UPDATE',
          status: 'present',
          id: 'g2',
          outdated: ['includeFields'],
        },
        { topic: 'refunds/create', graphqlTopic: 'REFUNDS_CREATE', status: 'created', id: 'g3' },
        {
          topic: 'orders/updated',
          graphqlTopic: 'ORDERS_UPDATED',
          status: 'failed',
          errors: ['Address is invalid'],
        },
        { topic: 'shop/redact', graphqlTopic: null, status: 'configured-in-app' },
      ],
      others: [
        { id: 'g9', topic: 'ORDERS_CREATE', uri: 'https://old.example/hooks', reason: 'another-address' },
      ],
    };

    // Act
    const text = formatReport(report);

    // Assess
    expect(text.split('\n')).toEqual([
      `webhook subscriptions of ${SHOP} at https://api.example/webhooks/shopify:`,
      '  orders/create     present',
      '  customers/update  present, but its includeFields differ from ours (not changed)',
      '  refunds/create    created',
      '  orders/updated    failed: Address is invalid',
      '  shop/redact       configured in the app (compliance_topics), not by API',
      '  note: ORDERS_CREATE is also subscribed at https://old.example/hooks (g9; not deleted)',
      '',
    ]);
  });
});
