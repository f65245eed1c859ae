import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { withoutPersonalFields } from '#adapters/shopify/personal-fields.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import { localTarget } from '../../scripts/operator-target.ts';
import { listDeadLetters, redriveDeadLetters } from '../../scripts/redrive/dlq-redrive.ts';
import { listQuarantine, redriveQuarantine } from '../../scripts/redrive/quarantine-redrive.ts';
import { useLocalStack } from '../support/local-stack.ts';
import {
  consentDelivery,
  LOCAL_WEBHOOK_SECRET,
  orderPayloadFactory,
  seededRandom,
  sign,
} from '../support/shopify-payloads.ts';
import {
  customerStory,
  expectedTemplates,
  inRounds,
  keptSpend,
  templateOfSubject,
} from '../support/stories.ts';

// 10 % of evaluate and action invocations fail (half before running, half after finishing) and
// 10 % of every function's DynamoDB requests fail (half unapplied, half applied with the answer lost).
const local = useLocalStack({ faults: { rate: 0.1, functions: ['evaluate', 'action'] } });
const SHOP = 'faulty.myshopify.com';
const CUSTOMERS = 100;
/** Shopify retries a webhook that was not answered 2xx (19 times over 48 hours). */
const SHOPIFY_ATTEMPTS = 19;

describe('faults: 10 % failures in the evaluate and action functions and in DynamoDB calls', () => {
  it('after retries, loses no order and sends every expected email exactly once', {
    timeout: 600_000,
  }, async () => {
    const random = seededRandom(7);
    const start = Date.now() - 60 * 86_400_000;
    const stories = Array.from({ length: CUSTOMERS }, (_, i) => customerStory(random, i, start));
    const consent = stories.map((_, i) => consentDelivery(30_000 + i, { shop: SHOP, at: new Date(start) }));
    expect((await local.deliverAll(consent, 8, SHOPIFY_ATTEMPTS)).every((r) => r.status === 200)).toBe(true);
    await local.settle();
    let retried = 0;
    for (const round of inRounds(stories, SHOP, 30_000)) {
      const results = await local.deliverAll(round, 8, SHOPIFY_ATTEMPTS);
      expect(results.filter((x) => x.status !== 200)).toEqual([]);
      retried += results.filter((x) => x.attempts > 1).length;
      await local.settle();
    }

    const { body: health } = await local.health<{ faultsInjected: Record<string, number> }>();
    // Every kind of fault happened, many times.
    for (const count of Object.values(health.faultsInjected)) expect(count).toBeGreaterThan(10);
    // An event whose three attempts all failed (about 1 in 1,000) waits in a DLQ: the operator redrives it.
    const deadLettered = (await local.deadLetters()).length;
    if (local.stack.faults)
      local.stack.faults.options = { ...local.stack.faults.options, rate: 0, dynamoDbRate: 0 };
    const redrive = await redriveDeadLetters(await localTarget(local.stack.url));
    expect(redrive).toEqual({ redriven: deadLettered, failed: [] });
    await local.settle();
    expect(await local.deadLetters()).toEqual([]);

    for (let i = 0; i < CUSTOMERS; i++) {
      const customer = await local.customer<{ totalSpent: { amount: number } | null }>(30_000 + i, {
        shop: SHOP,
      });
      expect(customer.body.totalSpent?.amount ?? 0).toBe(keptSpend(stories[i] ?? []));
    }
    const emails = (await local.emails()).map((e) => `${e.to[0]} ${templateOfSubject.get(e.subject)}`);
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
  const orderPayload = (id: number, customerId: number) =>
    orderPayloadFactory({ id, customer: { id: customerId }, created_at: new Date().toISOString() });
  const order = (id: number, customerId: number) =>
    local.deliver({ shop: SHOP2, topic: 'orders/create', payload: orderPayload(id, customerId) });

  it('redrives a dead-lettered stream batch and a failed email, and lists and redrives quarantined webhooks', {
    timeout: 120_000,
  }, async () => {
    const faults = local.stack.faults;
    if (!faults) throw new Error('faults are off');
    for (const id of [40_001, 40_002]) await local.deliver(consentDelivery(id, { shop: SHOP2 }));
    await local.settle();
    // Every evaluation fails before it runs: the stream batch ends in the DLQ after its retries.
    faults.options = { rate: 1, functions: ['evaluate'], dynamoDbRate: 0, when: 'before' };
    await order(41_001, 40_001);
    await local.settle();
    // Every email send fails: the stage event ends in the action function's DLQ.
    faults.options = { rate: 1, functions: ['action'], dynamoDbRate: 0, when: 'before' };
    await order(41_002, 40_002);
    await local.settle();
    // A webhook quarantined as unusable, and one quarantined by an earlier (buggy) version, in the
    // earlier item format (the raw body and every header, the signature among them).
    await local.deliver({ shop: SHOP2, topic: 'orders/create', payload: { id: 'broken' } });
    faults.options = { rate: 0, functions: [], dynamoDbRate: 0 };

    const target = await localTarget(local.stack.url);
    const listed = await listDeadLetters(target);
    expect(listed.map((l) => l.failure.kind).sort()).toEqual(['async', 'stream']);
    expect(await local.emailsTo('customer40001@example.com')).toEqual([]);
    expect(await local.emailsTo('customer40002@example.com')).toEqual([]);
    const good = JSON.stringify(orderPayload(41_003, 40_003));
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
            'x-shopify-hmac-sha256': sign(good, LOCAL_WEBHOOK_SECRET),
          },
          bodyBase64: Buffer.from(good).toString('base64'),
          bodyBytes: Buffer.byteLength(good),
          receivedAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    // And one in today's format: Shopify's headers without the signature, a copy without personal fields.
    const alsoGood = orderPayload(41_004, 40_004);
    await new Quarantine({ doc: target.doc, name: target.tableName }).put({
      shop: SHOP2,
      topic: 'orders/create',
      eventId: 'today',
      reason: 'a bug since fixed',
      headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': SHOP2 },
      copy: withoutPersonalFields(Buffer.from(JSON.stringify(alsoGood))),
      bodyBytes: JSON.stringify(alsoGood).length,
      bodySha256: 'not checked',
      triggeredAt: '2026-01-01T00:00:00.000Z',
      receivedAt: '2026-01-01T00:00:01.000Z',
    });
    expect((await listQuarantine(target, SHOP2)).map((q) => q.eventId).sort()).toHaveLength(3);

    expect(await redriveDeadLetters(target)).toEqual({ redriven: 2, failed: [] });
    expect(await redriveQuarantine(target, SHOP2)).toEqual({ redriven: 2, requarantined: 1, failed: [] });
    await local.settle();
    expect(await local.emailsTo('customer40001@example.com')).toHaveLength(1);
    expect(await local.emailsTo('customer40002@example.com')).toHaveLength(1);
    expect(await local.deadLetters()).toEqual([]);
    expect((await local.customer(40_003, { shop: SHOP2 })).body).toMatchObject({ ordersCount: 1 });
    expect((await local.customer(40_004, { shop: SHOP2 })).body).toMatchObject({ ordersCount: 1 });
    // The unusable one stays quarantined, once.
    expect(await listQuarantine(target, SHOP2)).toHaveLength(1);
  });
});
