import { describe, expect, it } from 'vitest';
import { renderReport } from '../../scripts/report/render.ts';
import { parseReportCommand } from '../../scripts/report.ts';

const SHOP = 'bakery-demo.myshopify.com';

describe('npm run report', () => {
  it('asks the local stack by default, with the local key and the filters given', () => {
    const command = parseReportCommand(
      ['f2', '--shop', SHOP, '--from', '2026-01-01', '--segment', 'lapsing-regulars'],
      {
        PORT: '3100',
      },
    );

    expect(command).toMatchObject({
      report: 'f2',
      shop: SHOP,
      api: 'http://127.0.0.1:3100',
      adminKey: 'local-admin-key',
    });
    expect(command.query.toString()).toBe('from=2026-01-01&segment=lapsing-regulars');
  });

  it.each([
    [['--shop', SHOP], /name one report/],
    [['churn', '--shop', SHOP], /unknown report "churn"/],
    [['summary'], /pass --shop/],
    [['summary', '--shop', SHOP, '--api', 'https://api.example.com'], /pass --admin-key/],
  ])('refuses %j with a message and the usage', (args, message) => {
    expect(() => parseReportCommand(args, {})).toThrow(message);
  });
});

describe('renderReport', () => {
  it('prints figures as lines and lists as aligned tables, shares as percentages and money in the currency', () => {
    const text = renderReport({
      report: 'summary',
      customers: 1200,
      repeatRate: 0.3125,
      revenue: 123456,
      currency: 'USD',
      byCurrency: [
        { currency: 'USD', orders: 10, revenue: 123456 },
        { currency: 'JPY', orders: 2, revenue: 960 },
      ],
    });

    expect(text).toContain('customers   1,200');
    expect(text).toContain('repeatRate  31.3 %');
    expect(text).toContain('revenue     1234.56 USD');
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'byCurrency (2)',
        'currency  orders      revenue',
        'USD           10  1234.56 USD',
      ]),
    );
  });

  it('spreads a short nested list of label and figure across its row (a funnel week’s stages)', () => {
    const text = renderReport({
      overTime: [
        {
          week: '2026-11-02',
          stages: [
            { id: 'first', customers: 3 },
            { id: 'second', customers: 1 },
          ],
        },
      ],
    });

    expect(text).toContain('week        stages:first  stages:second');
    expect(text).toContain('2026-11-02             3              1');
  });
});
