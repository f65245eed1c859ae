import { couponEmail, type EmailTemplate, html, layout, textFooter } from '#domain/email.ts';

/** The demo bakery's email templates, by the names journey actions refer to. */
export const templates: Record<string, EmailTemplate> = {
  'rum-baba-coupon': couponEmail((code, ctx) => ({
    subject: `A little thank-you from ${ctx.shopName}: your next Rum Baba`,
    heading: 'Thank you for trying our Rum Baba',
    paragraphs: [
      html`<p>Soaked in dark rum syrup and finished with vanilla cream, it is best enjoyed slightly chilled.</p>`,
      html`<p>Come back for another one: use code <strong>${code}</strong> on your next order.</p>`,
    ],
    text: `Thank you for trying our Rum Baba.\n\nUse code ${code} on your next order.`,
  })),
  'rum-baba-serving-ideas': (ctx) => ({
    subject: 'Three ways to enjoy your Rum Baba',
    html: layout(
      ctx,
      html`<h1>Your second Rum Baba deserves a ceremony</h1>` +
        html`<ol><li>Warm it for ten seconds and add a spoon of whipped cream.</li>` +
        html`<li>Pair it with Earl Grey: the bergamot meets the rum.</li>` +
        html`<li>Ask us the story of the Polish king who first soaked his cake.</li></ol>`,
    ),
    text: `Three ways to enjoy your Rum Baba: warm it, pair it with Earl Grey, learn its story.${textFooter(ctx)}`,
  }),
  'rum-baba-presale': couponEmail((code) => ({
    subject: `You're a Rum Baba fan: first look at our Savarin`,
    heading: 'An invitation for our Rum Baba fans',
    paragraphs: [
      html`<p>Before anyone else: order our new Savarin during the pre-sale this week.</p>`,
      html`<p>And with code <strong>${code}</strong>, the Rum Baba Gift Box is yours at a fan's price.</p>`,
    ],
    text: `Pre-sale invitation: our new Savarin. Gift box code: ${code}.`,
  })),
  'morning-second-visit': couponEmail((code) => ({
    subject: 'See you tomorrow morning? A coupon for your next sandwich',
    heading: 'Thanks for starting your day with us',
    paragraphs: [
      html`<p>Our Morning Sandwiches are made at 6 a.m. every day. Come back for another one:</p>`,
      html`<p>code <strong>${code}</strong> takes care of your second visit.</p>`,
    ],
    text: `Thanks for starting your day with us. Code ${code} for your next Morning Sandwich.`,
  })),
  'morning-croissant-pairing': couponEmail((code) => ({
    subject: 'For our morning regulars: a croissant with your sandwich',
    heading: 'You are one of our morning regulars',
    paragraphs: [
      html`<p>Thank you. Next time, pair your sandwich with a fresh croissant:</p>`,
      html`<p>code <strong>${code}</strong>.</p>`,
    ],
    text: `Thank you, morning regular. Croissant pairing code: ${code}.`,
  })),
  'savarin-coupon': couponEmail((code) => ({
    subject: 'Another Savarin? Here is a little something for it',
    heading: 'Thank you for choosing our Savarin',
    paragraphs: [
      html`<p>Customers who love it usually come back for another about now.</p>`,
      html`<p>Code <strong>${code}</strong> is yours for the next one.</p>`,
    ],
    text: `Thank you for choosing our Savarin. Code ${code} for the next one.`,
  })),
  'we-miss-you': couponEmail((code, ctx) => ({
    subject: `We miss you at ${ctx.shopName}`,
    heading: 'It has been a while',
    paragraphs: [
      html`<p>The ovens have been busy since your last visit: new bakes every week.</p>`,
      html`<p>Come and see us again, with code <strong>${code}</strong> on your next order.</p>`,
    ],
    text: `It has been a while. Code ${code} on your next order.`,
  })),
};
