import { currencyExponent } from '#domain/money.ts';

/**
 * A report's JSON answer as text for a terminal: its single figures as `name  value` lines, then
 * each list as a table with a header row. Shares are shown as percentages, money (integer minor
 * units) as decimals with the report's currency (a row's own `currency` in a table), differences of
 * shares in percentage points, p-values to three places, days with one decimal; nested lists are
 * tables of their own, titled by their path (`stages`, `byCurrency`, `stages[0].byCurrency`).
 */

/** Figures that are shares in [0, 1]. */
const SHARE = /(rate|conversion|share|support|confidence|repurchased|survival)$/i;
/** Figures that are money in minor units. */
const MONEY =
  /^(revenue|aov|ltv|revenuePerCustomer|cumulativeRevenuePerCustomer|gross|net|treatedRevenue|controlRevenue|incrementalRevenue)$/i;
/** Differences of two shares (and their interval): percentage points, signed. */
const POINTS = /^(lift|ci95)$/;
/** A difference relative to its base, which may exceed 100 %: a signed percentage. */
const RELATIVE = /^relativeLift$/;

const signed = (value: number, digits: number): string => `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isRecord = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const formatValue = (key: string, value: Json, currency: string | null): string => {
  if (value === null) return '–';
  if (typeof value === 'number') {
    if (SHARE.test(key)) return `${(value * 100).toFixed(1)} %`;
    if (POINTS.test(key)) return `${signed(value * 100, 1)} pp`;
    if (RELATIVE.test(key)) return `${signed(value * 100, 1)} %`;
    if (key === 'pValue') return value >= 0.001 || value === 0 ? value.toFixed(3) : value.toExponential(1);
    if (MONEY.test(key) && currency) {
      const exponent = currencyExponent(currency);
      return `${(value / 10 ** exponent).toFixed(exponent)} ${currency}`;
    }
    if (!Number.isInteger(value)) return value.toFixed(1);
    return value.toLocaleString('en');
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'number'))
      return `[${value.map((v) => formatValue(key, v, currency)).join(', ')}]`;
    return value.every((v) => typeof v !== 'object') ? value.join(' → ') : `${value.length} rows`;
  }
  // A journey, stage or product: its name, and its id when that says something more.
  if (typeof value.id === 'string' && typeof value.name === 'string' && Object.keys(value).length === 2)
    return value.name === value.id ? value.id : `${value.name} (${value.id})`;
  return Object.entries(value)
    .map(([k, v]) => `${k}=${formatValue(k, v, currency)}`)
    .join(' ');
};

/** At most this many entries of a nested list become columns of their row (a stage's count per week). */
const PIVOT_LIMIT = 12;

/**
 * A nested list of `{label, figure}` pairs (`[{id, customers}]`, `[{p, day}]`) short enough to read
 * across: as columns of its row, named by label; null when it is not such a list.
 */
const pivot = (key: string, value: Json): Record<string, Json> | null => {
  if (!Array.isArray(value) || value.length === 0 || value.length > PIVOT_LIMIT) return null;
  const pairs = value.map((item) => (isRecord(item) ? Object.entries(item) : []));
  const scalar = (v: unknown) => v === null || typeof v !== 'object';
  if (!pairs.every((entries) => entries.length === 2 && scalar(entries[1]?.[1]))) return null;
  return Object.fromEntries(
    pairs.map((entries) => [`${key}:${String(entries[0]?.[1])}`, (entries[1]?.[1] ?? null) as Json]),
  );
};

const table = (rows: readonly Record<string, Json>[], currency: string | null): string[] => {
  const flat = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).flatMap(([key, value]) => {
        const columns = pivot(key, value);
        if (columns) return Object.entries(columns);
        return Array.isArray(value) && value.some(isRecord) ? [] : [[key, value]];
      }),
    ),
  );
  const columns = [...new Set(flat.flatMap((row) => Object.keys(row)))];
  // A row with a currency of its own (a `byCurrency` row) shows its money in that currency.
  const cells = flat.map((row) =>
    columns.map((column) =>
      formatValue(
        column.split(':')[0] ?? column,
        row[column] ?? null,
        typeof row.currency === 'string' ? row.currency : currency,
      ),
    ),
  );
  const numeric = columns.map((column) => flat.every((row) => typeof (row[column] ?? 0) === 'number'));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
};

/** The text of one report answer. */
export const renderReport = (answer: unknown): string => {
  if (!isRecord(answer)) return `${JSON.stringify(answer)}\n`;
  const currency = typeof answer.currency === 'string' ? answer.currency : null;
  const out: string[] = [];
  const sections: { title: string; rows: Record<string, Json>[] }[] = [];
  const scalars: [string, string][] = [];
  const walk = (record: Record<string, Json>, path: string) => {
    for (const [key, value] of Object.entries(record)) {
      const name = path ? `${path}.${key}` : key;
      if (Array.isArray(value) && value.some(isRecord)) {
        const rows = value.filter(isRecord);
        sections.push({ title: name, rows });
        rows.forEach((row, i) => {
          for (const [inner, nested] of Object.entries(row))
            if (Array.isArray(nested) && nested.some(isRecord) && !pivot(inner, nested))
              sections.push({ title: `${name}[${i}].${inner}`, rows: nested.filter(isRecord) });
        });
      } else if (isRecord(value) && Object.values(value).some((v) => Array.isArray(v) || isRecord(v)))
        walk(value, name);
      else scalars.push([name, formatValue(key, value, currency)]);
    }
  };
  walk(answer, '');
  const width = Math.max(0, ...scalars.map(([name]) => name.length));
  for (const [name, value] of scalars) out.push(`${name.padEnd(width)}  ${value}`);
  for (const section of sections) {
    out.push('', `${section.title} (${section.rows.length})`);
    out.push(...(section.rows.length ? table(section.rows, currency) : ['(none)']));
  }
  return `${out.join('\n')}\n`;
};
