import { describe, expect, it } from 'vitest';
import { addMoney, currencyExponent, formatMoney, toMinorUnits } from '#domain/money.ts';

describe('toMinorUnits', () => {
  it.each([
    ['480', 'JPY', 480],
    ['480.00', 'JPY', 480],
    ['480.5', 'JPY', 481],
    ['12.50', 'USD', 1250],
    ['12.5', 'usd', 1250],
    ['0.005', 'USD', 1],
    ['0.004', 'USD', 0],
    ['1.234', 'BHD', 1234],
    ['-3.10', 'EUR', -310],
    ['19999999.99', 'USD', 1999999999],
  ])('%s %s → %i', (decimal, currency, expected) => {
    expect(toMinorUnits(decimal, currency)).toBe(expected);
  });

  it.each(['', 'abc', '1,00', '1.2.3', '1e5'])('rejects "%s" with a clear error', (decimal) => {
    expect(() => toMinorUnits(decimal, 'USD')).toThrow(/not a decimal amount/);
  });

  it('rejects amounts beyond exact integer range', () => {
    expect(() => toMinorUnits('99999999999999999999', 'USD')).toThrow(/out of range/);
  });
});

describe('money arithmetic and display', () => {
  it('knows zero-decimal and three-decimal currencies', () => {
    expect([currencyExponent('JPY'), currencyExponent('USD'), currencyExponent('KWD')]).toEqual([0, 2, 3]);
  });

  it('adds same-currency amounts and refuses to mix currencies', () => {
    expect(addMoney({ amount: 480, currency: 'JPY' }, { amount: 3200, currency: 'JPY' })).toEqual({
      amount: 3680,
      currency: 'JPY',
    });
    expect(() => addMoney({ amount: 1, currency: 'JPY' }, { amount: 1, currency: 'USD' })).toThrow(
      /cannot add/,
    );
  });

  it('formats minor units for people', () => {
    expect(formatMoney({ amount: 480, currency: 'JPY' })).toBe('¥480');
    expect(formatMoney({ amount: 1250, currency: 'USD' })).toBe('$12.50');
  });
});
