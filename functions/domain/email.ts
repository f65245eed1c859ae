import type { Money } from './money.ts';

/** What a template may use. Everything is plain data; templates escape what they interpolate. */
export type EmailContext = {
  shopName: string;
  /** The sender's postal address, in every footer (CAN-SPAM requires a valid physical address). */
  postalAddress: string;
  customerEmail: string;
  coupon: { code: string } | null;
  unsubscribeUrl: string;
  ordersCount: number;
  totalSpent: Money | null;
};

export type RenderedEmail = { subject: string; html: string; text: string };
export type EmailTemplate = (ctx: EmailContext) => RenderedEmail;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** Tagged template that escapes every interpolated value: html`<p>${name}</p>`. */
export const html = (strings: TemplateStringsArray, ...values: (string | number)[]): string =>
  strings.reduce((out, s, i) => out + s + (i < values.length ? escapeHtml(String(values[i])) : ''), '');

/**
 * Wraps a body in the common layout with what CAN-SPAM and mailbox providers expect in every
 * marketing email: the sender's postal address and a visible unsubscribe link.
 */
export const layout = (ctx: EmailContext, bodyHtml: string): string =>
  `<!doctype html><html><body style="font-family:sans-serif;max-width:560px;margin:auto">${bodyHtml}` +
  html`<hr><p style="font-size:12px;color:#666">You receive this because you subscribed to ${ctx.shopName} emails. ` +
  html`<a href="${ctx.unsubscribeUrl}">Unsubscribe</a><br>${ctx.shopName}, ${ctx.postalAddress}</p></body></html>`;

export const textFooter = (ctx: EmailContext): string =>
  `\n\n--\nYou receive this because you subscribed to ${ctx.shopName} emails.\nUnsubscribe: ${ctx.unsubscribeUrl}\n${ctx.shopName}, ${ctx.postalAddress}\n`;

/** What a template that offers the stage's coupon says; `html` parts are already escaped (html``). */
export type CouponEmail = { subject: string; heading: string; paragraphs: string[]; text: string };

/** A template in the common layout whose words take the stage's coupon code (empty without one). */
export const couponEmail =
  (words: (code: string, ctx: EmailContext) => CouponEmail): EmailTemplate =>
  (ctx) => {
    const { subject, heading, paragraphs, text } = words(ctx.coupon?.code ?? '', ctx);
    return {
      subject,
      html: layout(ctx, html`<h1>${heading}</h1>` + paragraphs.join('')),
      text: `${text}${textFooter(ctx)}`,
    };
  };
