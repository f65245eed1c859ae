import type { DynamoDbFault } from './dynamodb-proxy.ts';

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

  /** Decides one DynamoDB request's fault (for `startDynamoDbProxy`). */
  readonly forDynamoDb = (): DynamoDbFault | null => {
    const rate = this.options.dynamoDbRate ?? this.options.rate;
    if (Math.random() >= rate) return null;
    const fault = Math.random() < 0.5 ? 'drop' : 'lose';
    this.counts[fault === 'drop' ? 'dynamoDbDropped' : 'dynamoDbLost']++;
    return fault;
  };
}
