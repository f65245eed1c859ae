import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { installClock } from './clock.ts';

/** Runs one function's bundle in its own thread with its own environment, like a Lambda sandbox. */
type WorkerData = {
  modulePath: string;
  exportName: string;
  functionName: string;
  functionArn: string;
  memoryMb: number;
  clock: SharedArrayBuffer;
};
type Invocation = { id: number; event: unknown; deadline: number };
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('lambda-worker must run in a worker thread');
installClock(data.clock);
// Lambda honours NODE_OPTIONS=--enable-source-maps from the template; a worker cannot take NODE_OPTIONS.
process.setSourceMapsEnabled(true);

const serialize = (error: unknown) =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, stack: error.stack ?? '' }
    : { errorType: 'Error', errorMessage: String(error), stack: '' };

let handler: Handler | null = null;
let initError: ReturnType<typeof serialize> | null = null;
try {
  const module = (await import(pathToFileURL(data.modulePath).href)) as Record<string, unknown>;
  const exported = module[data.exportName];
  if (typeof exported !== 'function')
    throw new Error(`${data.modulePath} does not export a function "${data.exportName}"`);
  handler = exported as Handler;
} catch (error) {
  initError = serialize(error);
}
port.postMessage({ type: 'ready', initError });

port.on('message', async ({ id, event, deadline }: Invocation) => {
  if (!handler) {
    port.postMessage({ type: 'result', id, error: initError });
    return;
  }
  const context = {
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - performance.timeOrigin - performance.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  // The handler's own run time: what Lambda bills (benchmarks read it).
  const started = performance.now();
  try {
    const result = await handler(event, context);
    port.postMessage({
      type: 'result',
      id,
      result: result === undefined ? null : JSON.parse(JSON.stringify(result)),
      durationMs: performance.now() - started,
    });
  } catch (error) {
    port.postMessage({
      type: 'result',
      id,
      error: serialize(error),
      durationMs: performance.now() - started,
    });
  }
});
