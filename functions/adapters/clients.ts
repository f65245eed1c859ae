import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients, created once per Lambda environment (module scope) and reused by every
 * invocation. Endpoints come from the standard AWS_ENDPOINT_URL_* variables when set.
 * Marked pure so each function's bundle keeps only the clients it uses (smaller bundle, faster
 * cold start: the ingest function carries no EventBridge or SES client).
 */
export const dynamoDb = /* @__PURE__ */ DynamoDBDocumentClient.from(/* @__PURE__ */ new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
});
export const eventBridge = /* @__PURE__ */ new EventBridgeClient({});
export const sesV2 = /* @__PURE__ */ new SESv2Client({});
export const lambda = /* @__PURE__ */ new LambdaClient({});
export const s3 = /* @__PURE__ */ new S3Client({});
