import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the proxy fails one request: not forwarded, or forwarded with the answer lost. */
export type DynamoDbFault = 'drop' | 'lose';

/**
 * Capacity consumed per DynamoDB operation, summed from `ConsumedCapacity` (DynamoDB Local reports
 * it when asked with `ReturnConsumedCapacity: TOTAL`, which the proxy adds to every request).
 */
export class CapacityMeter {
  readonly byOperation: Record<string, { requests: number; read: number; write: number }> = {};

  record(operation: string, consumed: unknown): void {
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
        if (hooks.meter && body.length > 0) {
          const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          body = Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
        }
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
          hooks.meter.record(operation, parsed.ConsumedCapacity);
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
