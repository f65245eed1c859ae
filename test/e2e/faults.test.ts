import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { LocalEmail } from '../../local/ses.ts';
import {
  listDeadLetters,
  listQuarantine,
  localTarget,
  redriveDeadLetters,
  redriveQuarantine,
} from '../../scripts/redrive.ts';
import {
  catalogLine,
  consentPayload,
  deliver,
  deliverAll,
  orderPayload,
  seededRandom,
  sign,
} from '../../scripts/shopify-sim.ts';
import { useLocalStack } from '../support/local-stack.ts';
import {
  customerStory,
  expectedTemplates,
  keptSpend,
  templateOfSubject,
  toDelivery,
} from '../support/stories.ts';

// 10 % of evaluate and action invocations fail (half before running, half after finishing) and
// 10 % of every function's DynamoDB requests fail (half unapplied, half applied with the answer lost).
const local = useLocalStack({ faults: { rate: 0.1, functions: ['evaluate', 'action'] } });
const SHOP = 'faulty.myshopify.com';
const CUSTOMERS = 100;
/** Shopify retries a webhook that was not answered 2xx (19 times over 48 hours). */
const SHOPIFY_ATTEMPTS = 19;

const settle = async () =>
  expect((await fetch(`${local.stack.url}/_local/settle`, { method: 'POST' })).status).toBe(200);

describe('faults: 10 % failures in the evaluate and action functions and in DynamoDB calls', () => {
  it('after retries, loses no order and sends every expected email exactly once', {
    timeout: 600_000,
  }, async () => {
    const random = seededRandom(7);
    const start = Date.now() - 60 * 86_400_000;
    const stories = Array.from({ length: CUSTOMERS }, (_, i) => customerStory(random, i, start));
    const consent = stories.map((_, i) => ({
      shop: SHOP,
      topic: 'customers/email_marketing_consent_update',
      payload: consentPayload(30_000 + i, 'subscribed', new Date(start).toISOString()),
    }));
    expect(
      (await deliverAll(local.stack.url, consent, 8, SHOPIFY_ATTEMPTS)).every((r) => r.status === 200),
    ).toBe(true);
    await settle();
    let retried = 0;
    for (let r = 0; r < Math.max(...stories.map((s) => s.length)); r++) {
      const round = stories.flatMap((s, i) => {
        const v = s[r];
        return v ? [toDelivery(SHOP, 30_000 + i, v)] : [];
      });
      const results = await deliverAll(local.stack.url, round, 8, SHOPIFY_ATTEMPTS);
      expect(results.filter((x) => x.status !== 200)).toEqual([]);
      retried += results.filter((x) => x.attempts > 1).length;
      await settle();
    }

    const health = (await (await fetch(`${local.stack.url}/_local/health`)).json()) as {
      faultsInjected: Record<string, number>;
    };
    // Every kind of fault happened, many times.
    for (const count of Object.values(health.faultsInjected)) expect(count).toBeGreaterThan(10);
    // An event whose three attempts all failed (about 1 in 1,000) waits in a DLQ: the operator redrives it.
    const deadLettered = ((await (await fetch(`${local.stack.url}/_local/dead-letters`)).json()) as unknown[])
      .length;
    if (local.stack.faults)
      local.stack.faults.options = { ...local.stack.faults.options, rate: 0, dynamoDbRate: 0 };
    const redrive = await redriveDeadLetters(await localTarget(local.stack.url));
    expect(redrive).toEqual({ redriven: deadLettered, failed: [] });
    await settle();
    expect(await (await fetch(`${local.stack.url}/_local/dead-letters`)).json()).toEqual([]);

    for (let i = 0; i < CUSTOMERS; i++) {
      const response = await fetch(`${local.stack.url}/api/shops/${SHOP}/customers/${30_000 + i}`, {
        headers: { authorization: 'Bearer local-admin-key' },
      });
      const customer = (await response.json()) as { totalSpent: { amount: number } | null };
      expect(customer.totalSpent?.amount ?? 0).toBe(keptSpend(stories[i] ?? []));
    }
    const emails = ((await (await fetch(`${local.stack.url}/_local/emails`)).json()) as LocalEmail[]).map(
      (e) => `${e.to[0]} ${templateOfSubject.get(e.subject)}`,
    );
    const expected = stories.flatMap((story, i) =>
      expectedTemplates(story, start).map((template) => `customer${30_000 + i}@example.com ${template}`),
    );
    expect(emails.sort()).toEqual(expected.sort());
    console.info(
      `faults: ${JSON.stringify(health.faultsInjected)}; ${retried} webhooks retried by "Shopify"; ${deadLettered} dead letters redriven; ` +
        `${emails.length} emails = expected, none twice`,
    );
  });
});

describe('the redrive command against the local stack', () => {
  const SHOP2 = 'redrive.myshopify.com';
  const order = (id: number, customerId: number) =>
    deliver(local.stack.url, {
      shop: SHOP2,
      topic: 'orders/create',
      payload: orderPayload({
        id,
        customerId,
        createdAt: new Date().toISOString(),
        lines: [catalogLine(8001000000001)],
      }),
    });
  const emailsTo = async (address: string) =>
    ((await (await fetch(`${local.stack.url}/_local/emails`)).json()) as LocalEmail[]).filter((e) =>
      e.to.includes(address),
    );

  it('redrives a dead-lettered stream batch and a failed email, and lists and redrives quarantined webhooks', {
    timeout: 120_000,
  }, async () => {
    const faults = local.stack.faults;
    if (!faults) throw new Error('faults are off');
    for (const id of [40_001, 40_002])
      await deliver(local.stack.url, {
        shop: SHOP2,
        topic: 'customers/email_marketing_consent_update',
        payload: consentPayload(id, 'subscribed', new Date().toISOString()),
      });
    await settle();
    // Every evaluation fails before it runs: the stream batch ends in the DLQ after its retries.
    faults.options = { rate: 1, functions: ['evaluate'], dynamoDbRate: 0, when: 'before' };
    await order(41_001, 40_001);
    await settle();
    // Every email send fails: the stage event ends in the action function's DLQ.
    faults.options = { rate: 1, functions: ['action'], dynamoDbRate: 0, when: 'before' };
    await order(41_002, 40_002);
    await settle();
    // A webhook quarantined as unusable, and one quarantined by an earlier (buggy) version.
    await deliver(local.stack.url, { shop: SHOP2, topic: 'orders/create', payload: { id: 'broken' } });
    faults.options = { rate: 0, functions: [], dynamoDbRate: 0 };

    const target = await localTarget(local.stack.url);
    const listed = await listDeadLetters(target);
    expect(listed.map((l) => l.failure.kind).sort()).toEqual(['async', 'stream']);
    expect(await emailsTo('customer40001@example.com')).toEqual([]);
    expect(await emailsTo('customer40002@example.com')).toEqual([]);
    const good = JSON.stringify(
      orderPayload({
        id: 41_003,
        customerId: 40_003,
        createdAt: new Date().toISOString(),
        lines: [catalogLine(8001000000001)],
      }),
    );
    await target.doc.send(
      new PutCommand({
        TableName: target.tableName,
        Item: {
          pk: `SHOP#${SHOP2}#QUARANTINE`,
          sk: '2026-01-01T00:00:00.000Z#old',
          kind: 'quarantine',
          topic: 'orders/create',
          eventId: 'old',
          reason: 'a bug since fixed',
          headers: {
            'content-type': 'application/json',
            'x-shopify-topic': 'orders/create',
            'x-shopify-shop-domain': SHOP2,
            'x-shopify-event-id': 'old',
            'x-shopify-hmac-sha256': sign(good, 'local-dev-secret'),
          },
          bodyBase64: Buffer.from(good).toString('base64'),
          bodyBytes: Buffer.byteLength(good),
          receivedAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    expect((await listQuarantine(target, SHOP2)).map((q) => q.eventId).sort()).toHaveLength(2);

    expect(await redriveDeadLetters(target)).toEqual({ redriven: 2, failed: [] });
    expect(await redriveQuarantine(target, SHOP2)).toEqual({ redriven: 1, requarantined: 1, failed: [] });
    await settle();
    expect(await emailsTo('customer40001@example.com')).toHaveLength(1);
    expect(await emailsTo('customer40002@example.com')).toHaveLength(1);
    expect(await (await fetch(`${local.stack.url}/_local/dead-letters`)).json()).toEqual([]);
    const customer = await fetch(`${local.stack.url}/api/shops/${SHOP2}/customers/40003`, {
      headers: { authorization: 'Bearer local-admin-key' },
    });
    expect(await customer.json()).toMatchObject({ ordersCount: 1 });
    // The unusable one is quarantined again, once.
    expect(await listQuarantine(target, SHOP2)).toHaveLength(1);
  });
});
