import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the proxy fails one request: not forwarded, or forwarded with the answer lost. */
export type DynamoDbFault = 'drop' | 'lose';

type AttributeValue = Record<string, unknown>;

/** An item's size by DynamoDB's rules (names and values in bytes; numbers about 1 byte per 2 digits). */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);

const valueBytes = (value: AttributeValue): number => {
  const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v));
    case 'N':
      return Math.ceil(String(v).replace(/^-|\./g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(v), 'base64').length;
    case 'SS':
    case 'NS':
    case 'BS':
      return (v as string[]).reduce((n, x) => n + Buffer.byteLength(x), 0);
    case 'M':
      return 3 + itemBytes(v as Record<string, AttributeValue>);
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((n, x) => n + 1 + valueBytes(x), 0);
    default:
      return 1;
  }
};

/**
 * The write units a TransactWriteItems request costs in AWS: twice the 1 KB units of each item
 * written (puts by their size; updates, deletes and condition checks counted as 1 KB).
 */
const transactWriteUnits = (request: {
  TransactItems?: Record<string, { Item?: Record<string, AttributeValue> }>[];
}) =>
  (request.TransactItems ?? []).reduce((sum, entry) => {
    const put = entry.Put?.Item;
    return sum + 2 * (put ? Math.max(1, Math.ceil(itemBytes(put) / 1024)) : 1);
  }, 0);

/**
 * Capacity consumed per DynamoDB operation, summed from `ConsumedCapacity` (DynamoDB Local reports
 * it when asked with `ReturnConsumedCapacity: TOTAL`, which the proxy adds to every request).
 * Where DynamoDB Local departs from AWS's published rules the meter follows AWS: a transaction
 * is reported as 2 units whatever its items (AWS: 2 per KB per item), and a query that finds
 * nothing as 0 (AWS: at least 1 unit, strongly consistent).
 */
export class CapacityMeter {
  readonly byOperation: Record<string, { requests: number; read: number; write: number }> = {};

  record(operation: string, consumed: unknown, request: Record<string, unknown> = {}): void {
    const entry = this.byOperation[operation] ?? { requests: 0, read: 0, write: 0 };
    this.byOperation[operation] = entry;
    entry.requests++;
    for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      const capacity = c as {
        CapacityUnits?: number;
        ReadCapacityUnits?: number;
        WriteCapacityUnits?: number;
      };
      const read = capacity.ReadCapacityUnits ?? 0;
      const write = capacity.WriteCapacityUnits ?? 0;
      // Some operations report only CapacityUnits: reads for reads, writes for writes.
      const total = capacity.CapacityUnits ?? 0;
      const isRead = /^(Get|BatchGet|Query|Scan|TransactGet)/.test(operation);
      entry.read += read || (isRead && !write ? total : 0);
      entry.write += write || (!isRead && !read ? total : 0);
    }
    if (operation === 'TransactWriteItems') {
      const reported = Array.isArray(consumed)
        ? consumed.reduce((n, c) => n + ((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0)
        : 0;
      entry.write += Math.max(0, transactWriteUnits(request) - reported);
    }
    if (operation === 'Query' && !(consumed as { CapacityUnits?: number } | undefined)?.CapacityUnits)
      entry.read += request.ConsistentRead ? 1 : 0.5;
  }

  totals(): { requests: number; read: number; write: number } {
    return Object.values(this.byOperation).reduce(
      (sum, e) => ({
        requests: sum.requests + e.requests,
        read: sum.read + e.read,
        write: sum.write + e.write,
      }),
      { requests: 0, read: 0, write: 0 },
    );
  }

  reset(): void {
    for (const key of Object.keys(this.byOperation)) delete this.byOperation[key];
  }
}

/**
 * A proxy the functions reach DynamoDB (Local) through, for tests and benchmarks: it can fail
 * requests (`fault` decides per request) and meter consumed capacity. Without either it is not
 * started (functions talk to DynamoDB Local directly).
 */
export const startDynamoDbProxy = async (
  target: string,
  hooks: { fault?: () => DynamoDbFault | null; meter?: CapacityMeter },
): Promise<{ endpoint: string; close: () => Promise<void> }> => {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const fail = () => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: 'injected fault',
            }),
          );
        };
        const fault = hooks.fault?.() ?? null;
        if (fault === 'drop') return fail();
        const operation =
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '';
        let body = Buffer.concat(chunks);
        const request =
          hooks.meter && body.length > 0
            ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
            : {};
        if (hooks.meter && body.length > 0)
          body = Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            (entry): entry is [string, string] =>
              typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length',
          ),
        );
        const response = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body });
        const answer = Buffer.from(await response.arrayBuffer());
        if (hooks.meter && response.ok) {
          const parsed = JSON.parse(answer.toString('utf8') || '{}') as { ConsumedCapacity?: unknown };
          hooks.meter.record(operation, parsed.ConsumedCapacity, request);
        }
        if (fault === 'lose') return fail();
        res.writeHead(response.status, {
          'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.0',
        });
        res.end(answer);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
