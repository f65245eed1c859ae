/** DuckDB's Node package (types only here: importing it loads the native addon). */
export type DuckDb = typeof import('@duckdb/node-api');

let loading: Promise<DuckDb> | undefined;

/**
 * DuckDB, loaded on first use rather than at import: a function that never computes a report or a
 * refresh (a cached answer, a bad request) never loads the native addon, and neither do the local
 * stack's other workers. Loaded once per process.
 */
export const loadDuckDb = (): Promise<DuckDb> => {
  loading ??= import('@duckdb/node-api');
  return loading;
};
