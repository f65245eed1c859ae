import { gidNumber } from './search-query.ts';

/**
 * Relay-style connections as the Admin API serves them: `edges { cursor node }`, `nodes` and
 * `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`, paged with `first`/`after` or
 * `last`/`before` (at most 250 a page). A cursor names a position (sort value and id), not an
 * index, so a record added or changed between two pages neither repeats nor shifts the rest.
 */

export const MAX_PAGE_SIZE = 250;

export type PageArgs = {
  first?: unknown;
  last?: unknown;
  after?: unknown;
  before?: unknown;
};

export type Connection<T> = {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
};

/** A bad paging argument, answered as a GraphQL error. */
export class PagingError extends Error {
  override name = 'PagingError';
}

type Position = { key: string; id: string };

/** Orders positions by sort value, then by the id's number (Shopify's tie-breaker). */
const comparePositions = (a: Position, b: Position): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : Number(gidNumber(a.id) - gidNumber(b.id));

const encodeCursor = (position: Position): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

const decodeCursor = (cursor: unknown): Position => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8'));
    if (
      typeof decoded === 'object' &&
      decoded !== null &&
      typeof (decoded as Position).key === 'string' &&
      typeof (decoded as Position).id === 'string'
    )
      return decoded as Position;
  } catch {
    // answered below
  }
  throw new PagingError(`Invalid cursor: ${String(cursor)}`);
};

const pageSize = (value: unknown, name: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new PagingError(`Argument '${name}' must be a non-negative integer`);
  if ((value as number) > MAX_PAGE_SIZE)
    throw new PagingError(`Argument '${name}' can't be greater than ${MAX_PAGE_SIZE}`);
  return value as number;
};

/**
 * One page of `items`, sorted by `sortValue` (ascending, or descending with `reverse`) then id.
 * `sortValue` must sort as a string (ISO dates do); return '' to sort by id alone.
 */
export const connection = <T extends { id: string }>(
  items: readonly T[],
  args: PageArgs & { reverse?: unknown },
  sortValue: (item: T) => string = () => '',
): Connection<T> => {
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  if (first === undefined && last === undefined)
    throw new PagingError('you must provide one of first or last');
  const direction = args.reverse === true ? -1 : 1;
  const positioned = items
    .map((item) => ({ item, position: { key: sortValue(item), id: item.id } }))
    .sort((a, b) => direction * comparePositions(a.position, b.position));
  let start = 0;
  let end = positioned.length;
  if (args.after !== undefined && args.after !== null) {
    const after = decodeCursor(args.after);
    const index = positioned.findIndex((p) => direction * comparePositions(p.position, after) > 0);
    start = index === -1 ? positioned.length : index;
  }
  if (args.before !== undefined && args.before !== null) {
    const before = decodeCursor(args.before);
    const index = positioned.findIndex((p) => direction * comparePositions(p.position, before) >= 0);
    end = index === -1 ? positioned.length : index;
  }
  let window = positioned.slice(start, Math.max(start, end));
  const hasMoreAfter = first !== undefined && window.length > first;
  if (first !== undefined) window = window.slice(0, first);
  const hasMoreBefore = last !== undefined && window.length > last;
  if (last !== undefined) window = window.slice(Math.max(0, window.length - last));
  const edges = window.map((p) => ({ cursor: encodeCursor(p.position), node: p.item }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: hasMoreAfter || (last !== undefined && end < positioned.length),
      hasPreviousPage: hasMoreBefore || (first !== undefined && start > 0),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
};
