import { UnusableChange } from './unusable.ts';

/**
 * Money is an integer count of the currency's minor units plus an ISO 4217 code.
 * JPY has no minor unit (exponent 0), so "480.00" JPY is 480; USD "4.80" is 480 cents.
 */
export type Money = { amount: number; currency: string };

/** ISO 4217 currencies whose minor unit is not 1/100. Every other code has exponent 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

export const currencyExponent = (currency: string): number => EXPONENTS[currency.toUpperCase()] ?? 2;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Converts a decimal string as Shopify sends it ("480.00", "12.5") to integer minor units
 * without going through floating point. Digits beyond the currency's precision are rounded
 * half away from zero.
 */
export const toMinorUnits = (decimal: string, currency: string): number => {
  const match = DECIMAL.exec(decimal.trim());
  if (!match) throw new UnusableChange(`not a decimal amount: "${decimal.slice(0, 40)}"`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const exponent = currencyExponent(currency);
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const roundUp = (fraction[exponent] ?? '0') >= '5';
  const magnitude = Number(whole) * 10 ** exponent + Number(kept || '0') + (roundUp ? 1 : 0);
  if (!Number.isSafeInteger(magnitude))
    throw new UnusableChange(`amount out of range: "${decimal.slice(0, 40)}"`);
  return sign === '-' ? -magnitude : magnitude;
};

export const money = (amount: number, currency: string): Money => ({
  amount,
  currency: currency.toUpperCase(),
});

/**
 * Adds two amounts of the same currency; a zero-sized side takes the other's currency. A sum that
 * cannot be counted exactly (beyond 2^53 minor units) is an UnusableChange.
 */
export const addMoney = (a: Money, b: Money): Money => {
  if (a.currency !== b.currency) {
    if (a.amount === 0) return b;
    if (b.amount === 0) return a;
    throw new UnusableChange(`cannot add ${a.currency} to ${b.currency}`);
  }
  const amount = a.amount + b.amount;
  if (!Number.isSafeInteger(amount)) throw new UnusableChange(`${a.currency} total out of range`);
  return { amount, currency: a.currency };
};

export const negate = (m: Money): Money => ({ amount: -m.amount, currency: m.currency });

/** Formats minor units back to a display string, e.g. 480 JPY → "¥480", 1250 USD → "$12.50". */
export const formatMoney = (m: Money, locale = 'en'): string =>
  new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: m.currency,
    minimumFractionDigits: currencyExponent(m.currency),
    maximumFractionDigits: currencyExponent(m.currency),
  }).format(m.amount / 10 ** currencyExponent(m.currency));
