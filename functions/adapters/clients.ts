import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients, created once per Lambda environment (module scope) and reused by every
 * invocation. Endpoints come from the standard AWS_ENDPOINT_URL_* variables when set.
 */
export const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
});
export const eventBridge = new EventBridgeClient({});
export const sesV2 = new SESv2Client({});
