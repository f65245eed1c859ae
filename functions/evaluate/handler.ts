import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { putBusEvents } from '#adapters/bus-publisher.ts';
import { dynamoDb, eventBridge } from '#adapters/clients.ts';
import { PendingSends } from '#adapters/store/pending-sends.ts';
import { TransitionFacts } from '#adapters/store/transition-facts.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import { journeyConfig } from '#journeys/index.ts';
import { type EvaluateDeps, evaluateChange } from './evaluate-change.ts';

const env = requireEnv('EVENT_BUS_NAME', 'TABLE_NAME');
const processor = new BatchProcessor(EventType.DynamoDBStreams);
const table = { doc: dynamoDb, name: env.TABLE_NAME };
const deps: EvaluateDeps = {
  config: journeyConfig,
  facts: new TransitionFacts(table),
  pending: new PendingSends(table),
  publish: (events) => putBusEvents(eventBridge, env.EVENT_BUS_NAME, events),
};

/** One record; logs which record failed and why (the batch response carries only its sequence number), then fails it. */
const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
  try {
    await evaluateChange(deps, record);
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
  processPartialResponse(event, recordHandler, processor, { context });
