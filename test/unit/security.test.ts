import { createHash, createHmac } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webhookSecrets } from '#adapters/secrets.ts';
import { signShopifyBody, verifyShopifyHmac } from '#adapters/shopify/hmac.ts';
import { addressHash, legacyAddressHash } from '#adapters/store/suppression.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { HttpError, httpErrors, rawBody } from '#commons/http.ts';
import { logger } from '#commons/logger.ts';
import {
  createUnsubscribeToken,
  unsubscribeKeys,
  verifyUnsubscribeToken,
} from '#commons/unsubscribe-token.ts';
import { httpEvent, lambdaContext } from '../support/lambda.ts';

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

  it('verifies a shop with its own secrets only when it has some (custom apps, one per store)', () => {
    const value = JSON.stringify({
      current: 'app',
      shops: { 'a.myshopify.com': 'sa', 'b.myshopify.com': { current: 'sb', previous: 'sb0' } },
    });
    expect(webhookSecrets(value, 'a.myshopify.com')).toEqual(['sa']);
    expect(webhookSecrets(value, 'b.myshopify.com')).toEqual(['sb', 'sb0']);
    expect(webhookSecrets(value, 'c.myshopify.com')).toEqual(['app']);
    expect(webhookSecrets(value, '__proto__')).toEqual(['app']);
    expect(webhookSecrets('{"shops":{"a.myshopify.com":"sa"}}', 'c.myshopify.com')).toEqual([]);
  });
});

describe('suppressed-address hashes', () => {
  const shop = 'bakery-demo.myshopify.com';
  const unkeyed = createHash('sha256').update(`${shop}\nann@example.com`).digest('hex');

  it('need the pepper: not the unkeyed SHA-256 anyone can compute from a known address', () => {
    expect(addressHash(shop, 'ann@example.com', 'pepper')).not.toBe(unkeyed);
    expect(addressHash(shop, 'ann@example.com', 'pepper')).not.toBe(
      addressHash(shop, 'ann@example.com', 'other'),
    );
  });

  it('normalise the address, and keep reading the legacy unkeyed hash', () => {
    expect(addressHash(shop, ' Ann@Example.COM', 'pepper')).toBe(
      addressHash(shop, 'ann@example.com', 'pepper'),
    );
    expect(legacyAddressHash(shop, ' Ann@Example.COM')).toBe(unkeyed);
  });
});

describe('unsubscribe tokens', () => {
  const claim = { shop: 'bakery-demo.myshopify.com', customerId: '7001', expiresAt: 2_000 };
  const oldKey = 'old-key-0123456789abcdef';
  const newKey = 'new-key-0123456789abcdef';
  const plain = unsubscribeKeys('k');
  const rotating = unsubscribeKeys(JSON.stringify({ current: 'k2', keys: { k2: newKey, '0': oldKey } }));
  const rotated = unsubscribeKeys(JSON.stringify({ current: 'k2', keys: { k2: newKey } }));
  /** A link from an email sent before key ids: base64url(JSON).HMAC, as the old code made it. */
  const linkSentBeforeKeyIds = () => {
    const payload = Buffer.from(JSON.stringify([claim.shop, claim.customerId, claim.expiresAt])).toString(
      'base64url',
    );
    return `${payload}.${createHmac('sha256', oldKey).update(payload).digest('base64url')}`;
  };

  it('round-trips a valid token', () => {
    expect(verifyUnsubscribeToken(createUnsubscribeToken(claim, plain), plain, 1_000)).toEqual(claim);
  });

  it('rejects expired, tampered and foreign tokens', () => {
    const token = createUnsubscribeToken(claim, plain);
    expect(verifyUnsubscribeToken(token, plain, 2_001)).toBeNull();
    expect(verifyUnsubscribeToken(token, unsubscribeKeys('other'), 1_000)).toBeNull();
    const forged = `${Buffer.from(JSON.stringify([claim.shop, '7002', 2_000])).toString('base64url')}.${token.split('.')[1]}`;
    expect(verifyUnsubscribeToken(forged, plain, 1_000)).toBeNull();
    expect(verifyUnsubscribeToken('garbage', plain, 1_000)).toBeNull();
  });

  it('keeps the format from before key ids while the secret is a plain string', () => {
    const token = createUnsubscribeToken(claim, unsubscribeKeys(oldKey));

    expect(token).toBe(linkSentBeforeKeyIds());
  });

  it('signs with the current key and names it in the token', () => {
    const token = createUnsubscribeToken(claim, rotating);

    expect(token.split('.')).toHaveLength(3);
    expect(token.startsWith('k2.')).toBe(true);
    expect(verifyUnsubscribeToken(token, rotating, 1_000)).toEqual(claim);
    expect(verifyUnsubscribeToken(token, rotated, 1_000)).toEqual(claim);
  });

  it('keeps links already sent working while their key is listed, and stops them when it is removed', () => {
    const sent = linkSentBeforeKeyIds();

    expect(verifyUnsubscribeToken(sent, unsubscribeKeys(oldKey), 1_000)).toEqual(claim);
    expect(verifyUnsubscribeToken(sent, rotating, 1_000)).toEqual(claim);
    expect(verifyUnsubscribeToken(sent, rotated, 1_000)).toBeNull();
  });

  it('rejects a token whose key id was changed (the signature covers it)', () => {
    const [, payload, signature] = createUnsubscribeToken(claim, rotating).split('.');
    const both = unsubscribeKeys(JSON.stringify({ current: 'k2', keys: { k2: newKey, k3: newKey } }));

    expect(verifyUnsubscribeToken(`k3.${payload}.${signature}`, both, 1_000)).toBeNull();
    expect(verifyUnsubscribeToken(`k9.${payload}.${signature}`, rotating, 1_000)).toBeNull();
  });

  it.each([
    ['not JSON', `{${newKey}`, /not JSON/],
    ['a current id not among the keys', { current: 'k3', keys: { k2: newKey } }, /current key id/],
    ['a key id with a dot', { current: 'k.2', keys: { 'k.2': newKey } }, /key ids/],
    ['a short key', { current: 'k2', keys: { k2: 'short' } }, /16 characters/],
  ])('refuses a secret with %s, without quoting it', (_name, secret, reason) => {
    const value = typeof secret === 'string' ? secret : JSON.stringify(secret);

    const read = () => unsubscribeKeys(value);

    expect(read).toThrow(reason);
    expect(read).not.toThrow(newKey);
  });
});

describe('error logs', () => {
  const email = 'ann@example.com';
  const secret = 'shpss_0123456789abcdef';
  const quoting = `Email address is not verified: ${email}; signed with ${secret}`;
  /** Everything the logger writes from now on (its JSON lines, as CloudWatch would receive them). */
  const logged = () => {
    logger.setLogLevel('INFO');
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    return () => lines.join('');
  };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('name an unexpected HTTP error and its status, never its message', async () => {
    const thrown = Object.assign(new Error(quoting), {
      name: 'MessageRejected',
      $metadata: { httpStatusCode: 400 },
    });
    const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(httpErrors())
      .handler(async () => {
        throw thrown;
      });
    const logs = logged();

    const response = await handler(httpEvent(), lambdaContext());

    expect(response).toMatchObject({ statusCode: 500, body: '{"message":"internal error"}' });
    expect(logs()).toContain('"errorName":"MessageRejected"');
    expect(logs()).toContain('"httpStatus":400');
    expect(logs()).not.toContain(email);
    expect(logs()).not.toContain(secret);
  });

  it.each([
    [
      'an AWS SDK error',
      Object.assign(new Error(quoting), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }),
      { errorName: 'ThrottlingException', httpStatus: 429 },
    ],
    [
      'a Node.js error with a code',
      Object.assign(new Error(quoting), { code: 'ECONNRESET' }),
      { errorName: 'Error', errorCode: 'ECONNRESET' },
    ],
    ['an HttpError', new HttpError(502, quoting), { errorName: 'HttpError', httpStatus: 502 }],
    [
      'a message that looks like a stack frame',
      new Error(`${quoting}\n    at ${email}`),
      { errorName: 'Error' },
    ],
    [
      'a code that is not an identifier',
      Object.assign(new Error('x'), { code: email }),
      { errorName: 'Error' },
    ],
    ['a thrown string', quoting, { errorName: 'string' }],
  ])('gives the facts of %s without its message', (_name, thrown, facts) => {
    const result = errorFacts(thrown);

    expect(result).toMatchObject(facts);
    expect(JSON.stringify(result)).not.toContain(email);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('gives the facts of a JSON.parse error, whose message quotes the input', () => {
    const thrown = (() => {
      try {
        return JSON.parse(email);
      } catch (error) {
        return error;
      }
    })();

    expect(String(thrown)).toContain(email);
    expect(errorFacts(thrown)).toMatchObject({
      errorName: 'SyntaxError',
      errorAt: expect.stringMatching(/^at /),
    });
    expect(JSON.stringify(errorFacts(thrown))).not.toContain(email);
  });
});
