/**
 * The part of Shopify's search syntax (the `query:` argument of `orders` and `customers`) that
 * reconciliation and backfill use: `updated_at` / `created_at` / `processed_at` compared with a
 * date or date-time (`updated_at:>'2025-01-01T00:00:00Z'`), `id` compared with a number, terms
 * joined by spaces or `AND`, and `status:any`. Anything else is refused loudly, so a query the
 * stand-in would silently mis-answer fails in tests instead.
 */

export type Searchable = { id: string; updatedAt?: unknown; createdAt?: unknown; processedAt?: unknown };

export class UnsupportedSearch extends Error {
  override name = 'UnsupportedSearch';
}

type Comparator = '>' | '>=' | '<' | '<=' | '=';

const DATE_FIELDS = {
  updated_at: 'updatedAt',
  created_at: 'createdAt',
  processed_at: 'processedAt',
} as const;

const TERM = /^(\w+):(>=|<=|>|<|=)?(?:'([^']*)'|"([^"]*)"|(\S+))$/;

const compare = (left: number | bigint, comparator: Comparator, right: number | bigint): boolean => {
  switch (comparator) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '=':
      return left === right;
  }
};

/** The number a GID ends with (`gid://shopify/Order/123` → 123n), exactly. */
export const gidNumber = (gid: string): bigint => {
  const tail = /\/(\d+)$/.exec(gid)?.[1];
  return tail === undefined ? 0n : BigInt(tail);
};

const splitTerms = (query: string): string[] => {
  const terms: string[] = [];
  for (const match of query.matchAll(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g)) {
    if (match[0] !== 'AND') terms.push(match[0]);
  }
  return terms;
};

/** A predicate for the records a search query selects; throws `UnsupportedSearch` on other syntax. */
export const searchPredicate = (query: string | null | undefined): ((record: Searchable) => boolean) => {
  if (!query?.trim()) return () => true;
  const tests = splitTerms(query).map((term): ((record: Searchable) => boolean) => {
    if (term === 'OR' || term.startsWith('-') || term.startsWith('NOT'))
      throw new UnsupportedSearch(`search term "${term}" (OR / NOT) is not supported by the local stand-in`);
    const match = TERM.exec(term);
    if (!match) throw new UnsupportedSearch(`search term "${term}" is not supported by the local stand-in`);
    const [, field = '', comparator = '=', single, double, bare] = match;
    const value = single ?? double ?? bare ?? '';
    if (field === 'status' && value === 'any') return () => true;
    if (field === 'id') {
      if (!/^\d+$/.test(value)) throw new UnsupportedSearch(`id:${value} must compare with a number`);
      const target = BigInt(value);
      return (record) => compare(gidNumber(record.id), comparator as Comparator, target);
    }
    if (field in DATE_FIELDS) {
      const at = Date.parse(value);
      if (Number.isNaN(at)) throw new UnsupportedSearch(`${field}:${value} is not a date`);
      const key = DATE_FIELDS[field as keyof typeof DATE_FIELDS];
      return (record) => {
        const recordAt = Date.parse(String(record[key] ?? ''));
        return !Number.isNaN(recordAt) && compare(recordAt, comparator as Comparator, at);
      };
    }
    throw new UnsupportedSearch(`search field "${field}" is not supported by the local stand-in`);
  });
  return (record) => tests.every((test) => test(record));
};
