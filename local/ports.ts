import { createServer } from 'node:net';

/** A port that was free a moment ago on 127.0.0.1 (for servers we cannot ask to bind port 0). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
