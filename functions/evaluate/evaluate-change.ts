import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { decodeState, isSilent } from '#adapters/store/aggregate-item.ts';
import type { PendingSends } from '#adapters/store/pending-sends.ts';
import type { TransitionFacts } from '#adapters/store/transition-facts.ts';
import { logger } from '#commons/logger.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { type BusEvent, segmentEvents, transitionEvents } from '#domain/events.ts';
import { segmentTransitions, sendCancellations, stageTransitions } from '#domain/journey.ts';
import type { CompiledConfig } from '#domain/journey-config.ts';

export type EvaluateDeps = {
  config: Pick<CompiledConfig, 'journeys' | 'segments'>;
  facts: TransitionFacts;
  publish: (events: BusEvent[]) => Promise<void>;
  pending: Pick<PendingSends, 'cancelStage'>;
};

const itemOf = (image: Record<string, unknown> | undefined) =>
  image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
const aggregateOf = (item?: Record<string, unknown>): CustomerAggregate | null =>
  decodeState(item)?.aggregate ?? null;

/**
 * One aggregate change (a stream record) → the segment and journey stage transitions it causes →
 * facts in the table, then events on the bus, then the pending sends it cancels (a stage left, an
 * order placed). Recorded before announced: a failure throws, the record is retried, and every
 * write is idempotent.
 */
export const evaluateChange = async (
  { config, facts, publish, pending }: EvaluateDeps,
  record: DynamoDBRecord,
): Promise<void> => {
  const written = itemOf(record.dynamodb?.NewImage);
  const after = aggregateOf(written);
  if (!after) return; // a removed aggregate leaves no stage to enter
  const before = aggregateOf(itemOf(record.dynamodb?.OldImage));
  const backfill = isSilent(written);
  const transitions = stageTransitions(config.journeys, before, after);
  const segments = segmentTransitions(config.segments, before, after);
  const events = [
    ...segmentEvents(after.shop, after.customerId, segments, backfill),
    ...transitionEvents(after.shop, after.customerId, transitions, after.emailMarketing.state, backfill),
  ];
  const { shop, customerId, version } = after;
  if (events.length > 0) {
    await facts.record({ shop, customerId, version, stages: transitions, segments, silent: backfill });
    await publish(events);
    logger.info('transitions', { shop, customerId, version, backfill, transitions, segments });
  }
  for (const { reason, ...stage } of sendCancellations(config.journeys, before, after, transitions)) {
    const cancelled = await pending.cancelStage({ shop, customerId, ...stage }, reason, after.updatedAt);
    if (cancelled.length > 0) logger.info('sends cancelled', { shop, customerId, reason, cancelled });
  }
};
