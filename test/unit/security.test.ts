import { describe, expect, it } from 'vitest';
import { webhookSecrets } from '#adapters/secrets.ts';
import { signShopifyBody, verifyShopifyHmac } from '#adapters/shopify/hmac.ts';
import { rawBody } from '#commons/http.ts';
import { createUnsubscribeToken, verifyUnsubscribeToken } from '#commons/unsubscribe-token.ts';

const body = Buffer.from('{"id":9001,"note":"日本語"}');

describe('Shopify HMAC', () => {
  it('accepts the signature of the raw bytes', () => {
    expect(verifyShopifyHmac(body, signShopifyBody(body, 's3cret'), ['s3cret'])).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['wrong secret', signShopifyBody(body, 'other')],
    ['not base64 of 32 bytes', 'abc'],
    [
      'signature of re-serialised JSON',
      signShopifyBody(JSON.stringify(JSON.parse(body.toString()), null, 1), 's3cret'),
    ],
  ])('rejects a %s signature', (_name, signature) => {
    expect(verifyShopifyHmac(body, signature, ['s3cret'])).toBe(false);
  });

  it('accepts the previous secret during rotation', () => {
    expect(verifyShopifyHmac(body, signShopifyBody(body, 'old'), ['new', 'old'])).toBe(true);
  });

  it('hashes the decoded bytes of a base64-encoded API Gateway body', () => {
    const decoded = rawBody({ body: body.toString('base64'), isBase64Encoded: true });
    expect(verifyShopifyHmac(decoded, signShopifyBody(body, 's3cret'), ['s3cret'])).toBe(true);
  });

  it('reads rotation secrets from JSON or a plain string', () => {
    expect(webhookSecrets('plain')).toEqual(['plain']);
    expect(webhookSecrets('{"current":"a","previous":"b"}')).toEqual(['a', 'b']);
    expect(webhookSecrets('{"current":"a"}')).toEqual(['a']);
    expect(() => webhookSecrets('{"previous":"b"}')).toThrow(/needs "current"/);
  });
});

describe('unsubscribe tokens', () => {
  const claim = { shop: 'bakery-demo.myshopify.com', customerId: '7001', expiresAt: 2_000 };

  it('round-trips a valid token', () => {
    expect(verifyUnsubscribeToken(createUnsubscribeToken(claim, 'k'), 'k', 1_000)).toEqual(claim);
  });

  it('rejects expired, tampered and foreign tokens', () => {
    const token = createUnsubscribeToken(claim, 'k');
    expect(verifyUnsubscribeToken(token, 'k', 2_001)).toBeNull();
    expect(verifyUnsubscribeToken(token, 'other', 1_000)).toBeNull();
    const forged = `${Buffer.from(JSON.stringify([claim.shop, '7002', 2_000])).toString('base64url')}.${token.split('.')[1]}`;
    expect(verifyUnsubscribeToken(forged, 'k', 1_000)).toBeNull();
    expect(verifyUnsubscribeToken('garbage', 'k', 1_000)).toBeNull();
  });
});
