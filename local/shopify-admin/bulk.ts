/**
 * Bulk query operations as Shopify runs them: `bulkOperationRunQuery` creates one (CREATED), it
 * turns RUNNING and then COMPLETED (or FAILED with an error code) as it is polled or as time passes,
 * and its result is a JSONL file at `url` (`partialDataUrl` for what a failed one got). The file is
 * taken when the operation is created. A shop runs at most 1 bulk query at a time before API
 * version 2026-01 and 5 from 2026-01. When one finishes, the `bulk_operations/finish` webhook's
 * payload is handed to `onFinish`.
 */

export type BulkErrorCode = 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT';
export type BulkStatus = 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED';

/** The `bulk_operations/finish` webhook's payload. */
export type BulkFinishPayload = {
  admin_graphql_api_id: string;
  completed_at: string;
  created_at: string;
  error_code: string | null;
  status: string;
  type: 'query';
};

/** A `BulkOperation` as the GraphQL API answers it (UnsignedInt64 fields are strings). */
export type BulkOperationView = {
  __typename: 'BulkOperation';
  id: string;
  status: BulkStatus;
  errorCode: BulkErrorCode | null;
  objectCount: string;
  rootObjectCount: string;
  fileSize: string | null;
  url: string | null;
  partialDataUrl: string | null;
  createdAt: string;
  completedAt: string | null;
  query: string;
  type: 'QUERY';
};

export type BulkUserError = { field: string[] | null; message: string; code: string };

/** One JSONL line a bulk query returns; `child` lines carry `__parentId` and follow their parent. */
export type BulkLine = { text: string; child: boolean };

type Operation = {
  number: number;
  shop: string;
  query: string;
  lines: BulkLine[];
  createdAt: number;
  polls: number;
  status: BulkStatus;
  failure: { code: BulkErrorCode; partial: boolean } | null;
  finishedAt: number | null;
};

export type BulkOptions = {
  now: () => number;
  /** The public address of result file `number` (`partial` for a failed operation's partial data). */
  fileUrl: (number: number, partial: boolean) => string;
  /** Time one step (CREATED → RUNNING → finished) takes without polls. @default 1000 */
  stepMs?: number;
  onFinish?: (shop: string, payload: BulkFinishPayload) => void;
};

/** How many bulk queries a shop may run at once in an API version (Shopify's bulk operations guide). */
export const concurrentBulkQueries = (apiVersion: string): number => (apiVersion >= '2026-01' ? 5 : 1);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const jsonl = (lines: readonly BulkLine[]) => lines.map((line) => `${line.text}\n`).join('');

export class BulkOperations {
  private readonly operations: Operation[] = [];
  private readonly failures = new Map<string, { code: BulkErrorCode; partial: boolean }[]>();
  private next = 4_000_000_001;
  private readonly options: BulkOptions;
  /** Told of each finished operation, from a request or the stand-in's timer: it must not throw. */
  onFinish: ((shop: string, payload: BulkFinishPayload) => void) | undefined;

  constructor(options: BulkOptions) {
    this.options = options;
    this.onFinish = options.onFinish;
  }

  /** The shop's next bulk query fails with `code`; with `partial` it keeps half of its lines. */
  failNext(shop: string, code: BulkErrorCode, partial = false): void {
    const queued = this.failures.get(shop) ?? [];
    queued.push({ code, partial });
    this.failures.set(shop, queued);
  }

  /** Starts a bulk query, or refuses it with user errors when the shop runs its maximum already. */
  run(
    shop: string,
    query: string,
    lines: BulkLine[],
    apiVersion: string,
  ): { bulkOperation: BulkOperationView | null; userErrors: BulkUserError[] } {
    this.refresh();
    const running = this.operations.filter((o) => o.shop === shop && !this.finished(o));
    const limit = concurrentBulkQueries(apiVersion);
    if (running.length >= limit) {
      const userError: BulkUserError =
        limit === 1
          ? {
              field: null,
              message: `A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/${running[0]?.number}.`,
              code: 'OPERATION_IN_PROGRESS',
            }
          : {
              field: null,
              message: 'Bulk operations limit reached. Please try again later.',
              code: 'LIMIT_REACHED',
            };
      return { bulkOperation: null, userErrors: [userError] };
    }
    const operation: Operation = {
      number: this.next++,
      shop,
      query,
      lines,
      createdAt: this.options.now(),
      polls: 0,
      status: 'CREATED',
      failure: this.failures.get(shop)?.shift() ?? null,
      finishedAt: null,
    };
    this.operations.push(operation);
    return { bulkOperation: this.view(operation), userErrors: [] };
  }

  /** A poll of one operation by id (`node` / `bulkOperation`): it moves the operation on. */
  poll(shop: string, id: string): BulkOperationView | null {
    const operation = this.operations.find(
      (o) => o.shop === shop && `gid://shopify/BulkOperation/${o.number}` === id,
    );
    return operation ? this.observe(operation) : null;
  }

  /** `currentBulkOperation`: the shop's most recent bulk query, polled. */
  current(shop: string): BulkOperationView | null {
    const operation = this.operations.findLast((o) => o.shop === shop);
    return operation ? this.observe(operation) : null;
  }

  /** Moves every operation on by the time passed, calling `onFinish` for those that finish. */
  refresh(): void {
    for (const operation of this.operations) this.advance(operation);
  }

  /** Finishes every unfinished operation (of one shop, or all) now. */
  finishAll(shop?: string): void {
    for (const operation of this.operations)
      if ((shop === undefined || operation.shop === shop) && !this.finished(operation)) {
        operation.polls = Math.max(operation.polls, 2);
        this.advance(operation);
      }
  }

  /** The result file of operation `number` (partial: a failed operation's partial data), or null. */
  file(number: number, partial: boolean): string | null {
    const operation = this.operations.find((o) => o.number === number);
    if (!operation || !this.finished(operation)) return null;
    const lines = this.linesOf(operation);
    if (partial !== (operation.status === 'FAILED') || lines.length === 0) return null;
    return jsonl(lines);
  }

  private finished(operation: Operation): boolean {
    return operation.status === 'COMPLETED' || operation.status === 'FAILED';
  }

  /** What the operation returns: everything, half of it when failed with partial data, else nothing. */
  private linesOf(operation: Operation): BulkLine[] {
    if (!operation.failure) return operation.lines;
    if (!operation.failure.partial) return [];
    return operation.lines.slice(0, Math.ceil(operation.lines.length / 2));
  }

  private observe(operation: Operation): BulkOperationView {
    operation.polls++;
    this.advance(operation);
    return this.view(operation);
  }

  private advance(operation: Operation): void {
    if (this.finished(operation)) return;
    const now = this.options.now();
    const steps = Math.max(
      operation.polls,
      Math.floor((now - operation.createdAt) / (this.options.stepMs ?? 1000)),
    );
    if (steps < 1) return;
    if (steps < 2) {
      operation.status = 'RUNNING';
      return;
    }
    operation.status = operation.failure ? 'FAILED' : 'COMPLETED';
    operation.finishedAt = now;
    this.onFinish?.(operation.shop, {
      admin_graphql_api_id: `gid://shopify/BulkOperation/${operation.number}`,
      completed_at: new Date(now).toISOString(),
      created_at: new Date(operation.createdAt).toISOString(),
      error_code: operation.failure ? operation.failure.code.toLowerCase() : null,
      status: operation.status.toLowerCase(),
      type: 'query',
    });
  }

  private view(operation: Operation): BulkOperationView {
    const finished = this.finished(operation);
    const lines = this.linesOf(operation);
    const failed = operation.status === 'FAILED';
    const hasFile = finished && lines.length > 0;
    const shown = finished ? lines : operation.status === 'RUNNING' ? lines.slice(0, lines.length >> 1) : [];
    const roots = shown.filter((line) => !line.child).length;
    return {
      __typename: 'BulkOperation',
      id: `gid://shopify/BulkOperation/${operation.number}`,
      status: operation.status,
      errorCode: failed ? (operation.failure?.code ?? null) : null,
      objectCount: String(shown.length),
      rootObjectCount: String(roots),
      fileSize: hasFile ? String(Buffer.byteLength(jsonl(lines))) : null,
      url: hasFile && !failed ? this.options.fileUrl(operation.number, false) : null,
      partialDataUrl: hasFile && failed ? this.options.fileUrl(operation.number, true) : null,
      createdAt: new Date(operation.createdAt).toISOString(),
      completedAt: failed ? null : iso(operation.finishedAt),
      query: operation.query,
      type: 'QUERY',
    };
  }
}
