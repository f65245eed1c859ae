import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { shopTag } from '#adapters/ses-mail.ts';
import { suppressionKey } from '#adapters/store/keys.ts';
import { addressHash, legacyAddressHash } from '#adapters/store/suppression.ts';
import { busEvent, useHandlerEnvironment } from '../support/lambda.ts';

const SHOP = 'bakery-demo.myshopify.com';
const feedback = useHandlerEnvironment({
  env: { TABLE_NAME: 'customers' },
  secrets: { SUPPRESSION_PEPPER_SECRET_ARN: 'pepper' },
  load: () => import('../../functions/feedback/handler.ts'),
});
const dynamo = mockClient(DynamoDBDocumentClient);

/** An SES bounce as event publishing puts it on the default bus. */
const permanentBounce = (emailAddress: string) =>
  busEvent('Email Bounced', {
    eventType: 'Bounce',
    mail: { timestamp: '2026-11-02T00:00:00.000Z', tags: { shop: [shopTag(SHOP)] } },
    bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress }] },
  });

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

describe('feedback handler', () => {
  it('suppresses a bounced address under its peppered hash, never the address or its unkeyed hash', async () => {
    await feedback.handler(permanentBounce('Ann@Example.com'));

    const item = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject(suppressionKey(SHOP, addressHash(SHOP, 'ann@example.com', 'pepper')));
    expect(JSON.stringify(item)).not.toMatch(/ann@example\.com/i);
    expect(JSON.stringify(item)).not.toContain(legacyAddressHash(SHOP, 'ann@example.com'));
  });
});
