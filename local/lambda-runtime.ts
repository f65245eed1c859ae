import { Worker } from 'node:worker_threads';
import type { LocalClock } from './clock.ts';
import type { FunctionSpec } from './template.ts';

export class FunctionError extends Error {
  readonly errorType: string;
  constructor(functionId: string, errorType: string, message: string, stack = '') {
    super(`${functionId}: ${errorType}: ${message}`);
    this.name = 'FunctionError';
    this.errorType = errorType;
    if (stack) this.stack = stack;
  }
}

/** Failed invocations a function keeps for `/_local/health` (and `npm run status`). */
const RECENT_ERRORS = 20;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
type Message =
  | { type: 'ready'; initError: { errorType: string; errorMessage: string } | null }
  | {
      type: 'result';
      id: number;
      result?: unknown;
      error?: { errorType: string; errorMessage: string; stack: string } | null;
      durationMs?: number;
    };

/**
 * One deployed function, run from its bundle in a worker thread with exactly the environment the
 * template gives it (plus the local SDK endpoints). Invocations run concurrently, as they would
 * across Lambda sandboxes, and time out like Lambda does.
 */
export class LocalFunction {
  readonly spec: FunctionSpec;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<void>;
  invocations = 0;
  /** Invocations that failed (an error, a timeout), and the last few of them, newest last. */
  errors = 0;
  readonly recentErrors: { at: string; message: string }[] = [];
  /** Summed handler run time of the invocations so far (ms): what Lambda bills, before rounding up. */
  billedMs = 0;
  /** Fault injection (tests only): decides per invocation whether it fails before or after running. */
  fault?: () => 'before' | 'after' | null;

  /** The environment the function runs with (the template's, with local endpoints). */
  readonly environment: Record<string, string>;

  constructor(spec: FunctionSpec, environment: Record<string, string>, clock: LocalClock) {
    this.spec = spec;
    this.environment = environment;
    this.worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      env: environment,
      workerData: {
        modulePath: spec.modulePath,
        exportName: spec.exportName,
        functionName: spec.logicalId,
        functionArn: spec.arn,
        memoryMb: spec.memoryMb,
        clock: clock.buffer,
      },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (message: Message) => {
        if (message.type === 'ready') {
          if (message.initError) {
            reject(
              new FunctionError(
                spec.logicalId,
                message.initError.errorType,
                `init failed: ${message.initError.errorMessage}`,
              ),
            );
          } else resolve();
          return;
        }
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        // Lambda bills each invocation by the millisecond, rounded up.
        this.billedMs += Math.ceil(message.durationMs ?? 0);
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.error) {
          waiting.reject(
            new FunctionError(
              spec.logicalId,
              message.error.errorType,
              message.error.errorMessage,
              message.error.stack,
            ),
          );
        } else waiting.resolve(message.result);
      });
    });
    this.worker.on('error', (error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    });
  }

  async invoke(event: unknown): Promise<unknown> {
    try {
      const fault = this.fault?.() ?? null;
      const injected = () =>
        new FunctionError(this.spec.logicalId, 'Injected.Fault', `injected fault ${fault} the invocation`);
      if (fault === 'before') throw injected();
      const result = await this.run(event);
      if (fault === 'after') throw injected();
      return result;
    } catch (error) {
      this.errors++;
      this.recentErrors.push({
        at: new Date().toISOString(),
        message: (error instanceof Error ? error.message : String(error)).slice(0, 500),
      });
      if (this.recentErrors.length > RECENT_ERRORS) this.recentErrors.shift();
      throw error;
    }
  }

  private run(event: unknown): Promise<unknown> {
    this.invocations++;
    const id = this.nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new FunctionError(
            this.spec.logicalId,
            'Sandbox.Timedout',
            `Task timed out after ${this.spec.timeoutSeconds}.00 seconds`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs });
    });
  }

  async stop(): Promise<void> {
    for (const waiting of this.pending.values()) clearTimeout(waiting.timer);
    await this.worker.terminate();
  }
}
