import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

/** Where the redrive command works: the stack's clients and names, in AWS or in a local stack. */
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
};

export type TargetNames = Pick<Target, 'queuePrefix' | 'tableName' | 'webhookUrl'> & {
  /** The pepper secret's ARN (stack output `PepperSecretArn`); needed to redrive quarantined webhooks. */
  pepperSecretArn?: string | undefined;
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
  const { pepperSecretArn, ...rest } = names;
  return {
    pepper: async () => {
      if (!pepperSecretArn) throw new Error('pass --pepper-secret (stack output PepperSecretArn)');
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: pepperSecretArn }));
      if (!SecretString) throw new Error('the pepper secret has no value');
      return SecretString;
    },
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
  endpoints: z.object({ aws: z.url(), dynamoDb: z.url() }),
});

/** Clients and names for a local stack, from its health endpoint. */
export const localTarget = async (url: string): Promise<Target> => {
  const response = await fetch(`${url}/_local/health`);
  const health = LocalHealth.safeParse(await response.json().catch(() => null));
  if (!response.ok || !health.success) throw new Error(`${url} does not answer as a local stack`);
  const { stackName, tableName, pepperSecretArn, endpoints } = health.data;
  return withClients(
    { queuePrefix: stackName, tableName, webhookUrl: `${url}/webhooks/shopify`, pepperSecretArn },
    // The local stack accepts any signature; the SDK only needs some region and credentials to sign.
    { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    endpoints,
  );
};
