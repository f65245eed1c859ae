import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { putBusEvents } from '#adapters/bus-publisher.ts';
import { eventBridge } from '#adapters/clients.ts';
import { decodeState, isSilent } from '#adapters/store/aggregate-item.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { segmentEvents, transitionEvents } from '#domain/events.ts';
import { segmentTransitions, stageTransitions } from '#domain/journey.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv('EVENT_BUS_NAME');
const processor = new BatchProcessor(EventType.DynamoDBStreams);

const itemOf = (image: Record<string, unknown> | undefined) =>
  image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
const aggregateOf = (item: Record<string, unknown> | undefined): CustomerAggregate | null =>
  decodeState(item)?.aggregate ?? null;

/** One aggregate change → the segment and journey stage transitions it causes → events on the bus. Throws to retry this record. */
const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
  const written = itemOf(record.dynamodb?.NewImage);
  const after = aggregateOf(written);
  if (!after) return; // a removed aggregate leaves no stage to enter
  const before = aggregateOf(itemOf(record.dynamodb?.OldImage));
  const backfill = isSilent(written);
  const transitions = stageTransitions(journeyConfig.journeys, before, after);
  const segments = segmentTransitions(journeyConfig.segments, before, after);
  const events = [
    ...segmentEvents(after.shop, after.customerId, segments, backfill),
    ...transitionEvents(after.shop, after.customerId, transitions, after.emailMarketing.state, backfill),
  ];
  if (events.length === 0) return;
  await putBusEvents(eventBridge, env.EVENT_BUS_NAME, events);
  const { shop, customerId, version } = after;
  logger.info('transitions', { shop, customerId, version, backfill, transitions, segments });
};

/** Logs which record failed and why (the batch response only carries its sequence number), then fails it. */
const loggedRecordHandler = async (record: DynamoDBRecord): Promise<void> => {
  try {
    await recordHandler(record);
  } catch (error) {
    logger.error('stream record failed', {
      ...errorFacts(error),
      keys: record.dynamodb?.Keys,
      sequenceNumber: record.dynamodb?.SequenceNumber,
    });
    throw error;
  }
};

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, loggedRecordHandler, processor, { context });
