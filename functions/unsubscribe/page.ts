import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { escapeHtml } from '#domain/email.ts';

/** A small HTML page (never cached, never indexed) for the unsubscribe link. */
export const page = (statusCode: number, title: string, body: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-robots-tag': 'noindex',
  },
  body:
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:480px;margin:3em auto">` +
    `<h1>${escapeHtml(title)}</h1>${body}</body></html>`,
});

export const invalidLinkPage = (brand: string) =>
  page(
    400,
    'This link is invalid or has expired',
    `<p>Use the unsubscribe link of a recent ${escapeHtml(brand)} email.</p>`,
  );

/** GET: a confirmation page that changes nothing (mail scanners fetch links). */
export const confirmPage = (brand: string, token: string) =>
  page(
    200,
    `Unsubscribe from ${brand} emails?`,
    `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">` +
      `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      '<button type="submit">Unsubscribe</button></form>',
  );

export const notAskedPage = () =>
  page(400, 'Nothing was changed', '<p>The request did not ask to unsubscribe.</p>');

export const unsubscribedPage = (brand: string) =>
  page(
    200,
    'You are unsubscribed',
    `<p>You will get no more marketing emails from ${escapeHtml(brand)}.</p>`,
  );
