import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { ZodType } from 'zod';
import {
  type Definitions,
  DefinitionsSchema,
  REPORTS,
  type ReportName,
  type ReportRequest,
  type ReportResult,
  ReportResultSchemas,
} from '#domain/analytics/reports.ts';
import { type DuckDb, loadDuckDb } from './duckdb.ts';
import { DEFINITIONS_FILE, SNAPSHOT_INFO_FILE, type SnapshotInfo, SnapshotInfoSchema } from './snapshot.ts';

export type AnalyticsEngineOptions = {
  /**
   * The directory of the report SQL files.
   * @default functions/analytics/reports/ beside this module's source; pass it when bundled.
   */
  sqlDir?: URL | string;
  /** @default 2 */
  threads?: number;
  /** DuckDB's memory limit, e.g. '512MB'. @default DuckDB's own (80% of RAM) */
  memoryLimit?: string;
};

export class AnalyticsError extends Error {
  override name = 'AnalyticsError';
}

/** A report's SQL: `<report>.sql` gives the result's fields, each `<report>.<part>.sql` a list. */
type ReportSql = { main: string; parts: readonly { key: string; sql: string }[] };

const SETUP_FILE = '_setup.sql';
const DAY_MS = 86_400_000;

const camelCase = (text: string): string => text.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const loadSql = async (dir: string): Promise<{ setup: string; reports: Map<ReportName, ReportSql> }> => {
  const files = new Set(await readdir(dir));
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  const reports = new Map<ReportName, ReportSql>();
  for (const report of REPORTS) {
    if (!files.has(`${report}.sql`)) throw new AnalyticsError(`missing ${report}.sql in ${dir}`);
    const partFiles = [...files]
      .filter((f) => f.startsWith(`${report}.`) && f.endsWith('.sql') && f !== `${report}.sql`)
      .sort();
    const parts = await Promise.all(
      partFiles.map(async (file) => ({
        key: camelCase(file.slice(report.length + 1, -4)),
        sql: await read(file),
      })),
    );
    reports.set(report, { main: await read(`${report}.sql`), parts });
  }
  return { setup: await read(SETUP_FILE), reports };
};

const readJson = async <T>(dir: string, file: string, schema: ZodType<T>): Promise<T> => {
  const text = await readFile(join(dir, file), 'utf8').catch((error: unknown) => {
    throw new AnalyticsError(`no snapshot in ${dir}: cannot read ${file}`, { cause: error });
  });
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AnalyticsError(`${file} in ${dir} is not valid: ${parsed.error.message}`);
  return parsed.data;
};

/** DuckDB values as JSON: integers (BIGINT, HUGEINT) as numbers, DATEs as `YYYY-MM-DD`. */
const toJson = (value: unknown): unknown => {
  if (typeof value === 'bigint') {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new AnalyticsError(`integer out of range: ${value}`);
    return number;
  }
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
};

const daysSinceEpoch = (isoDate: string): number => Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;

/** Binds the parameters a statement names ($from, $to, $segment, $journey, $product, $days) and no other. */
const bindRequest = (duck: DuckDb, statement: DuckDBPreparedStatement, request: ReportRequest): void => {
  for (let index = 1; index <= statement.parameterCount; index += 1) {
    const name = statement.parameterName(index);
    switch (name) {
      case 'from':
      case 'to': {
        const day = request[name];
        statement.bindValue(index, day === null ? null : duck.dateValue(daysSinceEpoch(day)), duck.DATE);
        break;
      }
      case 'segment':
      case 'journey':
      case 'product':
        statement.bindValue(index, request[name], duck.VARCHAR);
        break;
      case 'days':
        statement.bindValue(index, request.days, duck.INTEGER);
        break;
      default:
        throw new AnalyticsError(`${request.report}: unknown SQL parameter $${name}`);
    }
  }
};

/**
 * Runs the report SQL files over one snapshot's Parquet files, in an in-memory DuckDB. Queries run
 * one at a time on one connection (the snapshot's location is a variable of that connection).
 */
export class AnalyticsEngine {
  /** The snapshot's journeys and segments, to validate requests with `parseReportRequest`. */
  readonly definitions: Definitions;
  /** The snapshot's `snapshot.json`: shop, refreshedAt, row counts. */
  readonly info: SnapshotInfo;
  private readonly duck: DuckDb;
  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  private readonly reports: ReadonlyMap<ReportName, ReportSql>;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(fields: {
    duck: DuckDb;
    instance: DuckDBInstance;
    connection: DuckDBConnection;
    reports: ReadonlyMap<ReportName, ReportSql>;
    definitions: Definitions;
    info: SnapshotInfo;
  }) {
    this.duck = fields.duck;
    this.instance = fields.instance;
    this.connection = fields.connection;
    this.reports = fields.reports;
    this.definitions = fields.definitions;
    this.info = fields.info;
  }

  static async open(snapshotDir: string, options: AnalyticsEngineOptions = {}): Promise<AnalyticsEngine> {
    const dir = resolve(snapshotDir);
    const definitions = await readJson(dir, DEFINITIONS_FILE, DefinitionsSchema);
    const info = await readJson(dir, SNAPSHOT_INFO_FILE, SnapshotInfoSchema);
    const sqlDir = options.sqlDir ?? new URL('../../analytics/reports/', import.meta.url);
    const { setup, reports } = await loadSql(sqlDir instanceof URL ? fileURLToPath(sqlDir) : sqlDir);
    const duck = await loadDuckDb();
    const instance = await duck.DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 2),
      preserve_insertion_order: 'false',
      ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
    });
    const connection = await instance.connect();
    try {
      await connection.run('SET VARIABLE snapshot_dir = $dir', { dir });
      await connection.run(setup);
    } catch (error: unknown) {
      connection.closeSync();
      instance.closeSync();
      throw new AnalyticsError(`cannot open the snapshot in ${dir}`, { cause: error });
    }
    return new AnalyticsEngine({ duck, instance, connection, reports, definitions, info });
  }

  /** Runs one report; the result is plain JSON, checked against the report's result schema. */
  run<R extends ReportName>(request: ReportRequest<R>): Promise<ReportResult<R>> {
    const result = this.queue.then(() => this.compute(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async compute<R extends ReportName>(request: ReportRequest<R>): Promise<ReportResult<R>> {
    const sql = this.reports.get(request.report);
    if (!sql) throw new AnalyticsError(`unknown report ${request.report}`);
    const [fields, ...more] = await this.query(request, sql.main);
    if (!fields || more.length > 0)
      throw new AnalyticsError(`${request.report}.sql must return exactly one row`);
    const result: Record<string, unknown> = { from: request.from, to: request.to, ...fields };
    for (const part of sql.parts) result[part.key] = await this.query(request, part.sql);
    const schema: ZodType = ReportResultSchemas[request.report];
    const checked = schema.safeParse(toJson(result));
    if (!checked.success)
      throw new AnalyticsError(`${request.report} returned an unexpected shape: ${checked.error.message}`);
    // Parsed by report R's own schema.
    return checked.data as ReportResult<R>;
  }

  private async query(request: ReportRequest, sql: string): Promise<Record<string, unknown>[]> {
    const statement = await this.connection.prepare(sql);
    try {
      bindRequest(this.duck, statement, request);
      const reader = await statement.runAndReadAll();
      return reader.getRowObjectsJS();
    } finally {
      statement.destroySync();
    }
  }
}
