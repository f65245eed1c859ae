import type { LocalClock } from './clock.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import type { InvokeConfigSpec } from './template.ts';

/** Local delays between async retries (Lambda waits about 1 and 2 minutes). */
export const ASYNC_RETRY_DELAYS_MS = [200, 400];

/**
 * Lambda's asynchronous invocation: the caller gets 202 at once; a failed invocation is retried
 * per the function's EventInvokeConfig (default 2 retries) and then sent, with the error and the
 * original event, to its on-failure destination.
 */
export class AsyncInvoker {
  private inFlight = 0;
  private readonly configs: Map<string, InvokeConfigSpec>;
  private readonly deadLetters: DeadLetters;
  private readonly clock: LocalClock;
  readonly failures: { functionId: string; error: string }[] = [];

  constructor(configs: Map<string, InvokeConfigSpec>, deadLetters: DeadLetters, clock: LocalClock) {
    this.configs = configs;
    this.deadLetters = deadLetters;
    this.clock = clock;
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  invoke(fn: LocalFunction, event: unknown): void {
    this.inFlight++;
    void this.run(fn, event).finally(() => {
      this.inFlight--;
    });
  }

  private async run(fn: LocalFunction, event: unknown): Promise<void> {
    const config = this.configs.get(fn.spec.logicalId);
    const retries = config?.maxRetryAttempts ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        await fn.invoke(event);
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt < retries) {
          await new Promise((resolve) => setTimeout(resolve, ASYNC_RETRY_DELAYS_MS[attempt] ?? 1000));
          continue;
        }
        this.failures.push({ functionId: fn.spec.logicalId, error: message });
        if (config?.onFailureQueueId) {
          this.deadLetters.send(
            config.onFailureQueueId,
            {
              version: '1.0',
              timestamp: new Date(this.clock.now()).toISOString(),
              requestContext: {
                functionArn: fn.spec.arn,
                condition: 'RetriesExhausted',
                approximateInvokeCount: attempt + 1,
              },
              requestPayload: event,
              responsePayload: { errorMessage: message },
            },
            this.clock.now(),
          );
        } else {
          process.stderr.write(
            `[local] ${fn.spec.logicalId} failed after ${attempt + 1} attempts: ${message}\n`,
          );
        }
        return;
      }
    }
  }
}
