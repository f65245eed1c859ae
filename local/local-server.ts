import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './http-answers.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The local stack's one HTTP server on 127.0.0.1: 503 until the stack serves (so `/_local/health`
 * answers while it starts), then the handler `serve` gives; an unexpected error is a 500, never a crash.
 */
export class LocalServer {
  private readonly server: Server;
  private handler: RequestHandler | null = null;
  private address = '';

  private constructor() {
    this.server = createServer((req, res) => {
      if (!this.handler) {
        req.resume();
        send(res, 503, { status: 'starting' });
        return;
      }
      this.handler(req, res).catch((error: unknown) => {
        process.stderr.write(`[local] ${req.method} ${req.url}: ${String(error)}\n`);
        if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      });
    });
  }

  static async listen(port: number): Promise<LocalServer> {
    const local = new LocalServer();
    await new Promise<void>((resolve, reject) => {
      local.server.once('error', reject);
      local.server.listen(port, '127.0.0.1', () => resolve());
    });
    local.address = `http://127.0.0.1:${(local.server.address() as AddressInfo).port}`;
    return local;
  }

  get url(): string {
    return this.address;
  }

  serve(handler: RequestHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.handler = null;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
