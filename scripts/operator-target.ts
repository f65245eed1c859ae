import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { adminCredentials } from '#adapters/shopify/admin-credentials.ts';
import { type AdminSessions, createAdminSessions } from '#adapters/shopify/admin-session.ts';

/**
 * Where an operator command (redrive, backfill) works: the stack's clients, names and secrets, in
 * AWS (names from the stack outputs) or in a local stack (from its health endpoint).
 */
export type Target = {
  sqs: SQSClient;
  lambda: LambdaClient;
  streams: DynamoDBStreamsClient;
  doc: DynamoDBDocumentClient;
  /** Dead-letter queues are the queues whose name starts with the stack name. */
  queuePrefix: string;
  tableName: string;
  webhookUrl: string;
  /** The secret of customer pseudonyms (the apply path checks redactions with it). */
  pepper: () => Promise<string>;
  /** The ShopifyAdminTokens secret's value (the shops' Admin API credentials). */
  adminTokens: () => Promise<string>;
  /** Where the shops' Admin API answers (`{shop}` stands for the shop's domain). */
  adminOrigin: string;
};

export type TargetNames = Pick<Target, 'queuePrefix' | 'tableName' | 'webhookUrl'> & {
  /** The pepper secret's ARN (stack output `PepperSecretArn`); needed to apply changes (redrive, backfill). */
  pepperSecretArn?: string | undefined;
  /** The ShopifyAdminTokens secret's ARN (stack output `ShopifyAdminTokensArn`); needed to backfill. */
  adminTokensSecretArn?: string | undefined;
  /** @default 'https://{shop}' */
  adminOrigin?: string | undefined;
};

type ClientConfig = {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

const withClients = (
  names: TargetNames,
  config: ClientConfig,
  endpoints: { aws?: string; dynamoDb?: string } = {},
): Target => {
  const at = (endpoint: string | undefined) => ({ ...config, ...(endpoint ? { endpoint } : {}) });
  const secrets = new SecretsManagerClient(at(endpoints.aws));
  const { pepperSecretArn, adminTokensSecretArn, adminOrigin, ...rest } = names;
  const secret = (arn: string | undefined, flag: string) => async () => {
    if (!arn) throw new Error(`pass ${flag}`);
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!SecretString) throw new Error(`the secret ${arn} has no value`);
    return SecretString;
  };
  return {
    pepper: secret(pepperSecretArn, '--pepper-secret (stack output PepperSecretArn)'),
    adminTokens: secret(adminTokensSecretArn, '--admin-tokens-secret (stack output ShopifyAdminTokensArn)'),
    adminOrigin: adminOrigin ?? 'https://{shop}',
    sqs: new SQSClient(at(endpoints.aws)),
    lambda: new LambdaClient(at(endpoints.aws)),
    streams: new DynamoDBStreamsClient(at(endpoints.dynamoDb)),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient(at(endpoints.dynamoDb))),
    ...rest,
  };
};

/** A deployed stack, with the region and credentials of the environment (names from the stack outputs). */
export const awsTarget = (names: TargetNames): Target => withClients(names, {});

/** The part of the local stack's `GET /_local/health` answer that names it for operator commands. */
const LocalHealth = z.object({
  stackName: z.string().min(1),
  tableName: z.string().min(1),
  pepperSecretArn: z.string().min(1),
  adminTokensSecretArn: z.string().min(1),
  adminOrigin: z.string().min(1),
  endpoints: z.object({ aws: z.url(), dynamoDb: z.url() }),
});

/** Clients and names for a local stack, from its health endpoint. */
export const localTarget = async (url: string): Promise<Target> => {
  const response = await fetch(`${url}/_local/health`);
  const health = LocalHealth.safeParse(await response.json().catch(() => null));
  if (!response.ok || !health.success) throw new Error(`${url} does not answer as a local stack`);
  const { stackName, tableName, endpoints, ...secrets } = health.data;
  return withClients(
    { queuePrefix: stackName, tableName, webhookUrl: `${url}/webhooks/shopify`, ...secrets },
    // The local stack accepts any signature; the SDK only needs some region and credentials to sign.
    { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    endpoints,
  );
};

/** The shops' Admin API sessions, with the credentials of the target's ShopifyAdminTokens secret. */
export const sessionsFor = (target: Pick<Target, 'adminTokens' | 'adminOrigin'>): AdminSessions =>
  createAdminSessions(async (shop) => adminCredentials(await target.adminTokens(), shop), {
    origin: target.adminOrigin,
  });
