import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Failures the local stack injects, to prove that retries lose nothing and send nothing twice. */
export type FaultOptions = {
  /** Probability of a fault per invocation of the listed functions (0–1). */
  rate: number;
  /** Functions (by name: `evaluate`, `action`, ...) whose invocations fail at `rate`. */
  functions: readonly string[];
  /** Probability of a fault per DynamoDB request of any function. @default rate */
  dynamoDbRate?: number;
  /** When a function fault strikes: before the handler runs, after it finished, or either at random. @default 'either' */
  when?: FunctionFault | 'either';
};

export type FunctionFault = 'before' | 'after';

/**
 * Decides the faults and counts them. A function fault is `before` (the invocation fails without
 * running: a crash at start) or `after` (it runs to the end, then fails: its work is done but
 * Lambda retries it). A DynamoDB fault either answers 500 without forwarding (`dropped`) or
 * forwards and then answers 500 (`lost`: applied, but the caller does not know).
 */
export class Faults {
  /** Mutable: a test may stop the faults (`rate = 0`) before it redrives what they caused. */
  options: FaultOptions;
  readonly counts = { functionBefore: 0, functionAfter: 0, dynamoDbDropped: 0, dynamoDbLost: 0 };

  constructor(options: FaultOptions) {
    if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError('fault rate must be within 0–1');
    this.options = options;
  }

  forFunction(name: string): () => FunctionFault | null {
    return () => {
      if (!this.options.functions.includes(name) || Math.random() >= this.options.rate) return null;
      const when = this.options.when ?? 'either';
      const fault = when === 'either' ? (Math.random() < 0.5 ? 'before' : 'after') : when;
      this.counts[fault === 'before' ? 'functionBefore' : 'functionAfter']++;
      return fault;
    };
  }

  /** A proxy in front of DynamoDB (Local) that fails requests at the rate; returns its endpoint. */
  async dynamoDbProxy(target: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const rate = this.options.dynamoDbRate ?? this.options.rate;
          const roll = Math.random() < rate ? (Math.random() < 0.5 ? 'drop' : 'lose') : null;
          const fail = () => {
            res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
            res.end(
              JSON.stringify({
                __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
                message: 'injected fault',
              }),
            );
          };
          if (roll === 'drop') {
            this.counts.dynamoDbDropped++;
            fail();
            return;
          }
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
            ),
          );
          const response = await fetch(`${target}${req.url ?? '/'}`, {
            method: req.method,
            headers,
            body: Buffer.concat(chunks),
          });
          const body = Buffer.from(await response.arrayBuffer());
          if (roll === 'lose') {
            this.counts.dynamoDbLost++;
            fail();
            return;
          }
          res.writeHead(response.status, {
            'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.0',
          });
          res.end(body);
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
  }
}
