import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoDb } from '#adapters/clients.ts';
import { readSecret } from '#adapters/secrets.ts';
import { CustomerRecords } from '#adapters/store/customers.ts';
import { PENDING } from '#adapters/store/item-kinds.ts';
import { PrivacyRequests } from '#adapters/store/privacy-requests.ts';
import { Quarantine } from '#adapters/store/quarantine.ts';
import { SuppressionList } from '#adapters/store/suppression.ts';
import { requireEnv } from '#commons/env.ts';
import { errorFacts } from '#commons/error-facts.ts';
import { logger } from '#commons/logger.ts';
import { carryOut, type RequestItem } from './carry-out.ts';

const env = requireEnv('TABLE_NAME', 'SUPPRESSION_PEPPER_SECRET_ARN');
const table = { doc: dynamoDb, name: env.TABLE_NAME };
/** One pepper for the hashes that outlive a redaction: suppressed addresses and customer pseudonyms. */
const pepper = () => readSecret(env.SUPPRESSION_PEPPER_SECRET_ARN);
const stores = {
  customers: new CustomerRecords(table),
  privacy: new PrivacyRequests(table, pepper),
  quarantine: new Quarantine(table),
  suppressed: new SuppressionList(table, pepper),
};
const processor = new BatchProcessor(EventType.DynamoDBStreams);
/** One pending request per record (the stream filter selects them); a failing record fails alone. */
const recordHandler = async (record: DynamoDBRecord, context: Context): Promise<void> => {
  const image = record.dynamodb?.NewImage;
  if (!image) return;
  const item = unmarshall(image as Record<string, AttributeValue>) as RequestItem;
  if (item.status !== PENDING) return;
  try {
    await carryOut(stores, item, context);
  } catch (error) {
    logger.error('privacy request failed', { ...errorFacts(error), keys: record.dynamodb?.Keys });
    throw error;
  }
};

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, (record: DynamoDBRecord) => recordHandler(record, context), processor, {
    context,
  });
