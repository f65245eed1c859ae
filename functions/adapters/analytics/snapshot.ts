import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { type Definitions, DefinitionsSchema } from '#domain/analytics/reports.ts';
import type {
  CustomerRow,
  DecisionRow,
  MembershipRow,
  OrderProductRow,
  OrderRow,
} from '#domain/analytics/snapshot-rows.ts';
import { type DuckDb, loadDuckDb } from './duckdb.ts';

/**
 * The analytics snapshot: a directory of Parquet files (one per table), `definitions.json` and
 * `snapshot.json`. This module owns its layout: the builder that reads DynamoDB writes through
 * `writeSnapshot`, and the engine reads the same files and names.
 */

type ColumnType = 'VARCHAR' | 'BOOLEAN' | 'TIMESTAMP' | 'BIGINT' | 'INTEGER';
type Column = { readonly name: string; readonly type: ColumnType; readonly nullable?: true };

export const SNAPSHOT_TABLES = {
  customers: {
    file: 'customers.parquet',
    columns: [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'has_email', type: 'BOOLEAN' },
      { name: 'email_state', type: 'VARCHAR' },
      { name: 'country', type: 'VARCHAR', nullable: true },
    ],
  },
  orders: {
    file: 'orders.parquet',
    columns: [
      { name: 'order_id', type: 'VARCHAR' },
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'placed_at', type: 'TIMESTAMP' },
      { name: 'cancelled', type: 'BOOLEAN' },
      { name: 'test', type: 'BOOLEAN' },
      { name: 'currency', type: 'VARCHAR' },
      { name: 'gross', type: 'BIGINT' },
      { name: 'net', type: 'BIGINT' },
      { name: 'units', type: 'INTEGER' },
      { name: 'counts', type: 'BOOLEAN' },
    ],
  },
  orderProducts: {
    file: 'order_products.parquet',
    columns: [
      { name: 'order_id', type: 'VARCHAR' },
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'product_id', type: 'VARCHAR' },
      { name: 'title', type: 'VARCHAR' },
      { name: 'units', type: 'INTEGER' },
    ],
  },
  memberships: {
    file: 'memberships.parquet',
    columns: [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'kind', type: 'VARCHAR' },
      { name: 'scope', type: 'VARCHAR' },
      { name: 'member', type: 'VARCHAR' },
      { name: 'position', type: 'INTEGER' },
      { name: 'entered_at', type: 'TIMESTAMP' },
      { name: 'exited_at', type: 'TIMESTAMP', nullable: true },
    ],
  },
  decisions: {
    file: 'decisions.parquet',
    columns: [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'journey_id', type: 'VARCHAR' },
      { name: 'stage_id', type: 'VARCHAR' },
      { name: 'entry_id', type: 'BIGINT' },
      { name: 'decided_at', type: 'TIMESTAMP' },
      { name: 'treated', type: 'BOOLEAN' },
    ],
  },
} as const satisfies Record<string, { file: string; columns: readonly Column[] }>;

export type SnapshotTable = keyof typeof SNAPSHOT_TABLES;
export const DEFINITIONS_FILE = 'definitions.json';
export const SNAPSHOT_INFO_FILE = 'snapshot.json';

// The tables' rows are the domain's (see `customerSnapshotRows`): one definition of each.
export type { CustomerRow, DecisionRow, MembershipRow, OrderProductRow, OrderRow };

/** A table's rows, as an array or streamed (an async generator reading DynamoDB page by page). */
export type Rows<T> = Iterable<T> | AsyncIterable<T>;

export type Snapshot = {
  shop: string;
  refreshedAt: string;
  definitions: Definitions;
  customers: Rows<CustomerRow>;
  orders: Rows<OrderRow>;
  orderProducts: Rows<OrderProductRow>;
  memberships: Rows<MembershipRow>;
  /** Stage email decisions (sent or held out); none when not given. */
  decisions?: Rows<DecisionRow>;
};

export const SnapshotInfoSchema = z.object({
  shop: z.string(),
  refreshedAt: z.string(),
  counts: z.object({
    customers: z.number().int(),
    orders: z.number().int(),
    orderProducts: z.number().int(),
    memberships: z.number().int(),
    // A snapshot written before the decisions table existed has none.
    decisions: z.number().int().default(0),
  }),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfoSchema>;

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** `counts` as the contract defines it, so a builder and this check cannot disagree. */
export const orderCounts = (order: Pick<OrderRow, 'cancelled' | 'test' | 'net' | 'units'>): boolean =>
  !order.cancelled && !order.test && (order.net > 0 || order.units > 0);

/** A single-quoted SQL string literal; used only for file paths this module chose itself. */
const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const fail = (table: string, row: number, column: string, problem: string): never => {
  throw new SnapshotError(`${table} row ${row}: ${column} ${problem}`);
};

const append = (
  duck: DuckDb,
  appender: DuckDBAppender,
  table: string,
  rowNumber: number,
  column: Column,
  value: unknown,
) => {
  if (value === null || value === undefined) {
    if (!column.nullable) fail(table, rowNumber, column.name, 'is missing');
    appender.appendNull();
    return;
  }
  switch (column.type) {
    case 'VARCHAR':
      if (typeof value !== 'string') fail(table, rowNumber, column.name, 'must be a string');
      appender.appendVarchar(value as string);
      return;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') fail(table, rowNumber, column.name, 'must be a boolean');
      appender.appendBoolean(value as boolean);
      return;
    case 'BIGINT':
      if (!Number.isSafeInteger(value)) fail(table, rowNumber, column.name, 'must be a safe integer');
      appender.appendBigInt(BigInt(value as number));
      return;
    case 'INTEGER':
      if (!Number.isInteger(value) || Math.abs(value as number) > 2 ** 31 - 1)
        fail(table, rowNumber, column.name, 'must be a 32-bit integer');
      appender.appendInteger(value as number);
      return;
    case 'TIMESTAMP': {
      const ms =
        value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) fail(table, rowNumber, column.name, 'must be an ISO 8601 instant or a Date');
      appender.appendTimestamp(duck.timestampValue(BigInt(ms) * 1000n));
      return;
    }
  }
};

const checkOrder = (row: OrderRow, rowNumber: number) => {
  if (row.net < 0) fail('orders', rowNumber, 'net', 'must not be negative');
  if (row.counts !== orderCounts(row))
    fail('orders', rowNumber, 'counts', 'must be: not cancelled, not test, and net > 0 or units > 0');
};

/** One table being written: rows go through its appender, each checked against the columns. */
class TableWriter<T extends object> {
  rows = 0;
  private readonly duck: DuckDb;
  private readonly table: SnapshotTable;
  private readonly appender: DuckDBAppender;
  private readonly check: ((row: T, rowNumber: number) => void) | undefined;

  constructor(
    duck: DuckDb,
    table: SnapshotTable,
    appender: DuckDBAppender,
    check?: (row: T, rowNumber: number) => void,
  ) {
    this.duck = duck;
    this.table = table;
    this.appender = appender;
    this.check = check;
  }

  append(row: T): void {
    this.check?.(row, this.rows);
    const record = row as Readonly<Record<string, unknown>>;
    for (const column of SNAPSHOT_TABLES[this.table].columns as readonly Column[])
      append(this.duck, this.appender, this.table, this.rows, column, record[column.name]);
    this.appender.endRow();
    this.rows += 1;
  }

  close(): void {
    this.appender.closeSync();
  }
}

type TableWriters = {
  customers: TableWriter<CustomerRow>;
  orders: TableWriter<OrderRow>;
  orderProducts: TableWriter<OrderProductRow>;
  memberships: TableWriter<MembershipRow>;
  decisions: TableWriter<DecisionRow>;
};

const TABLES: readonly SnapshotTable[] = ['customers', 'orders', 'orderProducts', 'memberships', 'decisions'];

/**
 * Tables whose file is written only when they have rows: a shop that never sent a stage email has
 * no decisions file, like a snapshot written before the table existed (the reports read a missing
 * one as empty; see `_setup.sql`).
 */
const OPTIONAL: ReadonlySet<SnapshotTable> = new Set(['decisions']);

/** The columns that identify a row: reports join on them, so a duplicate would count twice. */
const KEYS: Partial<Record<SnapshotTable, readonly string[]>> = {
  customers: ['customer_id'],
  orders: ['order_id'],
  orderProducts: ['order_id', 'product_id'],
  // The send ledger keeps one entry per stage entry: one decision each.
  decisions: ['customer_id', 'journey_id', 'stage_id', 'entry_id'],
};

const checkKeys = async (connection: DuckDBConnection): Promise<void> => {
  for (const [table, key] of Object.entries(KEYS)) {
    const columns = key.join(', ');
    const reader = await connection.runAndReadAll(
      `SELECT ${columns} FROM ${table} GROUP BY ${columns} HAVING count(*) > 1 LIMIT 1`,
    );
    const [duplicate] = reader.getRowObjectsJS();
    if (duplicate) throw new SnapshotError(`${table}: more than one row for ${JSON.stringify(duplicate)}`);
  }
};

/**
 * Creates the tables in an on-disk DuckDB database (so memory stays bounded whatever the row
 * count), lets `fill` append to them in any order, then copies each to its Parquet file in `dir`
 * (an optional table only when it has rows).
 */
const writeTables = async (
  dir: string,
  work: string,
  fill: (tables: TableWriters) => Promise<void>,
): Promise<SnapshotInfo['counts']> => {
  const duck = await loadDuckDb();
  const instance = await duck.DuckDBInstance.create(work, {
    threads: '2',
    memory_limit: '256MB',
    temp_directory: `${work}.tmp`,
    preserve_insertion_order: 'false',
  });
  const connection = await instance.connect();
  try {
    for (const table of TABLES) {
      const columns = SNAPSHOT_TABLES[table].columns as readonly Column[];
      const definition = columns.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`);
      await connection.run(`CREATE TABLE ${table} (${definition.join(', ')})`);
    }
    const tables: TableWriters = {
      customers: new TableWriter(duck, 'customers', await connection.createAppender('customers')),
      orders: new TableWriter(duck, 'orders', await connection.createAppender('orders'), checkOrder),
      orderProducts: new TableWriter(duck, 'orderProducts', await connection.createAppender('orderProducts')),
      memberships: new TableWriter(duck, 'memberships', await connection.createAppender('memberships')),
      decisions: new TableWriter(duck, 'decisions', await connection.createAppender('decisions')),
    };
    try {
      await fill(tables);
    } finally {
      for (const table of TABLES) tables[table].close();
    }
    await checkKeys(connection);
    for (const table of TABLES) {
      if (OPTIONAL.has(table) && tables[table].rows === 0) continue;
      await connection.run(
        `COPY ${table} TO ${sqlString(join(dir, SNAPSHOT_TABLES[table].file))} (FORMAT parquet, COMPRESSION zstd)`,
      );
    }
    return {
      customers: tables.customers.rows,
      orders: tables.orders.rows,
      orderProducts: tables.orderProducts.rows,
      memberships: tables.memberships.rows,
      decisions: tables.decisions.rows,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};

type SnapshotHeader = Pick<Snapshot, 'shop' | 'refreshedAt' | 'definitions'>;

/**
 * Writes the tables and the two JSON files into a sibling directory, then renames it into place
 * (moving any previous snapshot aside first and deleting it after).
 */
const writeDirectory = async (
  dir: string,
  header: SnapshotHeader,
  fill: (tables: TableWriters) => Promise<void>,
): Promise<SnapshotInfo> => {
  const definitions = DefinitionsSchema.parse(header.definitions);
  const id = randomUUID();
  const staging = join(dirname(dir), `.${basename(dir)}.writing-${id}`);
  const work = join(dirname(dir), `.${basename(dir)}.work-${id}.duckdb`);
  const previous = join(dirname(dir), `.${basename(dir)}.previous-${id}`);
  await mkdir(staging, { recursive: true });
  try {
    const counts = await writeTables(staging, work, fill);
    const info: SnapshotInfo = { shop: header.shop, refreshedAt: header.refreshedAt, counts };
    await writeFile(join(staging, DEFINITIONS_FILE), `${JSON.stringify(definitions, null, 2)}\n`);
    await writeFile(join(staging, SNAPSHOT_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    const replaced = await rename(dir, previous).then(
      () => true,
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      },
    );
    try {
      await rename(staging, dir);
    } catch (error: unknown) {
      if (replaced) await rename(previous, dir);
      throw error;
    }
    if (replaced) await rm(previous, { recursive: true, force: true });
    return info;
  } finally {
    await Promise.all(
      [staging, work, `${work}.wal`, `${work}.tmp`].map((path) => rm(path, { recursive: true, force: true })),
    );
  }
};

/**
 * Writes a snapshot to `dir`, replacing any snapshot there. Everything is written into a sibling
 * directory first and renamed into place, so a reader sees the old snapshot, the new one, or (for
 * the instant between two renames) none, never half of one. Rows may be streamed: only DuckDB's
 * bounded buffers hold them, so ten million orders fit in a few hundred MB.
 */
export const writeSnapshot = (dir: string, snapshot: Snapshot): Promise<SnapshotInfo> =>
  writeDirectory(dir, snapshot, async (tables) => {
    for await (const row of snapshot.customers) tables.customers.append(row);
    for await (const row of snapshot.orders) tables.orders.append(row);
    for await (const row of snapshot.orderProducts) tables.orderProducts.append(row);
    for await (const row of snapshot.memberships) tables.memberships.append(row);
    for await (const row of snapshot.decisions ?? []) tables.decisions.append(row);
  });

/** Everything a snapshot holds about one customer, for builders that read one customer at a time. */
export type CustomerBundle = {
  customer: CustomerRow;
  orders: readonly OrderRow[];
  products: readonly OrderProductRow[];
  memberships: readonly MembershipRow[];
  /** None when not given. */
  decisions?: readonly DecisionRow[];
};

export type CustomerSnapshot = SnapshotHeader & { customers: Rows<CustomerBundle> };

/**
 * `writeSnapshot` for a single pass over customers (the refresh reads DynamoDB customer by
 * customer): each bundle's rows go to the tables as it arrives, so nothing is buffered.
 */
export const writeCustomerSnapshot = (dir: string, snapshot: CustomerSnapshot): Promise<SnapshotInfo> =>
  writeDirectory(dir, snapshot, async (tables) => {
    for await (const bundle of snapshot.customers) {
      tables.customers.append(bundle.customer);
      for (const row of bundle.orders) tables.orders.append(row);
      for (const row of bundle.products) tables.orderProducts.append(row);
      for (const row of bundle.memberships) tables.memberships.append(row);
      for (const row of bundle.decisions ?? []) tables.decisions.append(row);
    }
  });
