import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { putBusEvents } from '#adapters/bus-publisher.ts';
import { eventBridge } from '#adapters/clients.ts';
import { decodeState } from '#adapters/store/aggregate-item.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import type { CustomerAggregate } from '#domain/aggregate.ts';
import { segmentEvents, transitionEvents } from '#domain/events.ts';
import { segmentTransitions, stageTransitions } from '#domain/journey.ts';
import { journeyConfig } from '#journeys/index.ts';

const env = requireEnv('EVENT_BUS_NAME');
const processor = new BatchProcessor(EventType.DynamoDBStreams);

const aggregateOf = (image: Record<string, unknown> | undefined): CustomerAggregate | null =>
  image ? (decodeState(unmarshall(image as Record<string, AttributeValue>))?.aggregate ?? null) : null;

/** One aggregate change → the segment and journey stage transitions it causes → events on the bus. Throws to retry this record. */
const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
  const after = aggregateOf(record.dynamodb?.NewImage);
  if (!after) return; // a removed aggregate leaves no stage to enter
  const before = aggregateOf(record.dynamodb?.OldImage);
  const transitions = stageTransitions(journeyConfig.journeys, before, after);
  const segments = segmentTransitions(journeyConfig.segments, before, after);
  const events = [
    ...segmentEvents(after.shop, after.customerId, segments),
    ...transitionEvents(after.shop, after.customerId, transitions, after.emailMarketing.state),
  ];
  if (events.length === 0) return;
  await putBusEvents(eventBridge, env.EVENT_BUS_NAME, events);
  logger.info('transitions', {
    shop: after.shop,
    customerId: after.customerId,
    version: after.version,
    transitions,
    segments,
  });
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
