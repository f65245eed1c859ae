import { describe, expect, it } from 'vitest';
import { journeyConfig } from '#journeys/index.ts';
import { mailbox } from '../../functions/action/compose-email.ts';

const POSTAL = '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001, Japan';

describe('who an email is from', () => {
  it('names the sender: an ASCII name quoted, quotes and backslashes escaped, line breaks gone', () => {
    expect(mailbox('Demo Bakery', 'hello@bakery.example')).toBe('"Demo Bakery" <hello@bakery.example>');
    expect(mailbox('Ann "The Baker" \\ Co\r\n', 'a@b.example')).toBe(
      '"Ann \\"The Baker\\" \\\\ Co" <a@b.example>',
    );
  });

  it('writes a name beyond ASCII as a UTF-8 encoded word', () => {
    const from = mailbox('デモ・ベーカリー', 'hello@bakery.example');

    expect(from).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <hello@bakery\.example>$/);
    const encoded = /B\?(.+)\?=/.exec(from)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('デモ・ベーカリー');
  });

  it('puts the postal address and the unsubscribe link in every template, HTML and text', () => {
    for (const [name, template] of Object.entries(journeyConfig.templates)) {
      const email = template({
        shopName: 'Demo Bakery',
        postalAddress: POSTAL,
        customerEmail: 'ann@example.com',
        coupon: { code: 'THANKS' },
        unsubscribeUrl: 'https://shop.example/unsubscribe?token=t',
        ordersCount: 1,
        totalSpent: null,
      });
      for (const body of [email.html, email.text]) {
        expect(body, name).toContain(POSTAL);
        expect(body, name).toContain('https://shop.example/unsubscribe?token=t');
      }
    }
  });
});
