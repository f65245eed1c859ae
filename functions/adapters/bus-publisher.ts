import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { type BusEvent, EVENT_SOURCE } from '#domain/events.ts';

const MAX_ENTRIES_PER_CALL = 10;

/** Puts events on the Loyalty Loop bus; throws if any entry was not accepted, so the caller retries. */
export const putBusEvents = async (
  client: EventBridgeClient,
  busName: string,
  events: readonly BusEvent[],
): Promise<void> => {
  for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
    const entries: PutEventsRequestEntry[] = events.slice(i, i + MAX_ENTRIES_PER_CALL).map((event) => ({
      EventBusName: busName,
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    const result = await client.send(new PutEventsCommand({ Entries: entries }));
    if ((result.FailedEntryCount ?? 0) > 0) {
      const failures = (result.Entries ?? [])
        .filter((e) => e.ErrorCode)
        .map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
      throw new Error(
        `EventBridge rejected ${result.FailedEntryCount} of ${entries.length} events: ${failures.join('; ')}`,
      );
    }
  }
};
