import { randomUUID } from 'node:crypto';
import type { AsyncInvoker } from './async-invoker.ts';
import type { LocalClock } from './clock.ts';
import { matchesPattern } from './event-pattern.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, type RuleSpec } from './template.ts';

export type PutEventsEntry = {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: string | number;
};

export type EnvelopedEvent = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
};

/** EventBridge's limit on one PutEvents entry. */
const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * The stack's event buses: PutEvents validates and envelopes each entry, matches it against the
 * template's rules for that bus, and hands each matching target the event (Lambda targets are
 * invoked asynchronously). Every accepted event is kept for inspection.
 */
export class LocalEventBus {
  readonly events: EnvelopedEvent[] = [];
  private readonly busNames: Set<string>;
  private rules: readonly RuleSpec[] = [];
  private readonly functions: Map<string, LocalFunction>;
  private readonly invoker: AsyncInvoker;
  private readonly clock: LocalClock;

  constructor(
    busNames: string[],
    functions: Map<string, LocalFunction>,
    invoker: AsyncInvoker,
    clock: LocalClock,
  ) {
    this.busNames = new Set(['default', ...busNames]);
    this.functions = functions;
    this.invoker = invoker;
    this.clock = clock;
  }

  /** Routes the template's rules from now on (events put before are kept, but match nothing). */
  routeRules(rules: readonly RuleSpec[]): void {
    this.rules = rules;
  }

  putEvents(entries: PutEventsEntry[]): { FailedEntryCount: number; Entries: Record<string, string>[] } {
    let failed = 0;
    const results = entries.map((entry): Record<string, string> => {
      const error = this.validate(entry);
      if (error) {
        failed++;
        return { ErrorCode: error[0], ErrorMessage: error[1] };
      }
      const busName = (entry.EventBusName ?? 'default').split('/').pop() ?? 'default';
      const event: EnvelopedEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: LOCAL_ACCOUNT,
        time: new Date(entry.Time ? new Date(entry.Time).getTime() : this.clock.now())
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        region: LOCAL_REGION,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail ?? '{}'),
      };
      this.events.push(event);
      this.route(busName, event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  private validate(entry: PutEventsEntry): [string, string] | null {
    const busName = (entry.EventBusName ?? 'default').split('/').pop() ?? 'default';
    if (!this.busNames.has(busName))
      return ['ResourceNotFoundException', `Event bus ${busName} does not exist.`];
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return ['InvalidArgument', 'Parameters Source, DetailType and Detail are required.'];
    }
    if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES)
      return ['InvalidArgument', 'Entry exceeds 256 KB.'];
    try {
      const detail: unknown = JSON.parse(entry.Detail);
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
        throw new Error('not an object');
    } catch {
      return ['MalformedDetail', 'Detail is malformed.'];
    }
    return null;
  }

  private route(busName: string, event: EnvelopedEvent): void {
    for (const rule of this.rules) {
      if (!rule.enabled || rule.busName !== busName || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const fn = this.functions.get(target.functionId);
        if (fn) this.invoker.invoke(fn, event);
      }
    }
  }
}
