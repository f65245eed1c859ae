import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack.ts';
import {
  catalogLine,
  consentDelivery,
  DEMO_SHOP,
  orderPayloadFactory,
  RUM_BABA_ID,
} from '../support/shopify-payloads.ts';

const local = useLocalStack();
const DAY = 86_400;

/** The stack's clock: orders are dated by it, as Shopify's would be. */
const now = () => local.advanceTime(1);
const subjectsTo = async (address: string) => (await local.emailsTo(address)).map((e) => e.subject);
const customer = async (id: number) =>
  (
    await local.customer<{
      journeys: Record<string, string | null>;
      segments: string[];
      customerTags: Record<string, { present: boolean }>;
    }>(id)
  ).body;
const subscribe = (id: number) => local.deliver(consentDelivery(id));
const order = async (id: number, customerId: number, at: number, productId: number) => {
  const response = await local.deliver({
    topic: 'orders/create',
    payload: orderPayloadFactory({
      id,
      customer: { id: customerId },
      created_at: new Date(at).toISOString(),
      line_items: [catalogLine(productId)],
    }),
  });
  expect(response.status).toBe(200);
  await local.settle();
};

describe('the demo journeys through the local stack', () => {
  it('Morning Regulars: a second-visit coupon after the first sandwich, a pairing offer to a weekly regular', async () => {
    await subscribe(8101);
    const t = await now();

    await order(91001, 8101, t, 8001000000002);
    await local.advanceTime(5 * DAY);
    await order(91002, 8101, t + 5 * DAY * 1000, 8001000000002);
    await local.advanceTime(6 * DAY);
    await order(91003, 8101, t + 11 * DAY * 1000, 8001000000002);

    expect(await subjectsTo('customer8101@example.com')).toEqual([
      'See you tomorrow morning? A coupon for your next sandwich',
      'For our morning regulars: a croissant with your sandwich',
    ]);
    expect((await customer(8101)).journeys).toEqual({
      'rum-baba-fans': 'not-yet',
      'morning-regulars': 'weekly-regular',
      'savarin-seconds': null,
      'win-back': 'regular',
    });
  });

  it('Lapsing regulars: 45 days after a third order, the sweep moves the customer with no webhook, and the win-back reminder goes out', async () => {
    await subscribe(8102);
    const t = await now();
    for (const [i, day] of [0, 3, 6].entries())
      await order(92001 + i, 8102, t + day * DAY * 1000, 8001000000003);
    const lastOrder = t + 6 * DAY * 1000;

    // Only the clock moves: the sweep's schedule fires, and it finds the customer due.
    await local.advanceTime(6 * DAY + 46 * DAY);
    await local.settle();

    const events = await local.busEvents<{
      customerId: string;
      segmentId?: string;
      to?: string;
      occurredAt: string;
    }>();
    const ofCustomer = events.filter((e) => e.detail.customerId === '8102');
    const flip = new Date(lastOrder + 45 * DAY * 1000 + 1).toISOString();
    expect(ofCustomer.filter((e) => e['detail-type'].startsWith('Segment'))).toEqual([
      expect.objectContaining({
        'detail-type': 'Segment Entered',
        detail: expect.objectContaining({ segmentId: 'lapsing-regulars', occurredAt: flip }),
      }),
    ]);
    expect(ofCustomer.filter((e) => e.detail.to === 'lapsing')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ occurredAt: flip }) }),
    ]);
    expect(await subjectsTo('customer8102@example.com')).toEqual(['We miss you at Demo Bakery']);
    const body = await customer(8102);
    expect(body.segments).toEqual(['lapsing-regulars']);
    expect(body.journeys['win-back']).toBe('lapsing');
  });
});

describe('SES feedback through the local stack', () => {
  const feedback = async (body: Record<string, string>) => {
    const response = await fetch(`${local.url}/_local/ses-feedback`, {
      method: 'POST',
      body: JSON.stringify({ shop: DEMO_SHOP, ...body }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ published: 1 });
    await local.settle();
  };

  it('a permanent bounce or a complaint stops every later email to that address; a transient bounce does not', async () => {
    for (const id of [8401, 8402, 8403]) await subscribe(id);
    const t = await now();
    for (const [i, id] of [8401, 8402, 8403].entries()) await order(94001 + i, id, t, RUM_BABA_ID);
    for (const id of [8401, 8402, 8403])
      expect(await subjectsTo(`customer${id}@example.com`)).toHaveLength(1);

    await feedback({ type: 'Bounce', to: 'customer8401@example.com' });
    await feedback({ type: 'Complaint', to: 'customer8402@example.com' });
    await feedback({ type: 'Bounce', bounceType: 'Transient', to: 'customer8403@example.com' });

    await local.advanceTime(10 * DAY);
    for (const [i, id] of [8401, 8402, 8403].entries())
      await order(94011 + i, id, t + 10 * DAY * 1000, RUM_BABA_ID);

    expect(await subjectsTo('customer8401@example.com')).toHaveLength(1);
    expect(await subjectsTo('customer8402@example.com')).toHaveLength(1);
    expect(await subjectsTo('customer8403@example.com')).toHaveLength(2);
    // The stage was still entered: only the email is withheld.
    expect((await customer(8401)).journeys['rum-baba-fans']).toBe('second-rum-baba');
  });
});
