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

  it('passes the holdouts conversion window and journey on to the route', () => {
    // Arrange
    const args = ['holdouts', '--shop', SHOP, '--journey', 'rum-baba-fans', '--days', '14'];

    // Act
    const command = parseReportCommand(args, {});

    // Assess
    expect(command.report).toBe('holdouts');
    expect(command.query.toString()).toBe('journey=rum-baba-fans&days=14');
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

  it('prints a holdout stage with its differences in points, its p-value, and each currency’s money in that currency', () => {
    // Arrange
    const answer = {
      report: 'holdouts',
      days: 30,
      stages: [
        {
          journey: { id: 'rum-baba-fans', name: 'Rum Baba fans' },
          stage: { id: 'second-rum-baba', name: 'second-rum-baba' },
          treated: 120,
          control: 40,
          treatedRate: 0.25,
          controlRate: 0.15,
          lift: 0.1,
          relativeLift: 2 / 3,
          ci95: [-0.0346, 0.2346],
          pValue: 0.000043,
          byCurrency: [
            { currency: 'JPY', orders: 50, incrementalRevenue: 14400 },
            { currency: 'USD', orders: 3, incrementalRevenue: -1250 },
          ],
          enoughData: false,
        },
      ],
    };

    // Act
    const text = renderReport(answer);

    // Assess
    expect(text).toContain('Rum Baba fans (rum-baba-fans)  second-rum-baba');
    expect(text).toMatch(
      /25\.0 %\s+15\.0 %\s+\+10\.0 pp\s+\+66\.7 %\s+\[-3\.5 pp, \+23\.5 pp\]\s+4\.3e-5\s+no/,
    );
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'stages[0].byCurrency (2)',
        'JPY           50           14400 JPY',
        'USD            3          -12.50 USD',
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
