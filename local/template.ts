import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a synthesized CloudFormation template into the wiring the local stack runs: tables,
 * functions (their bundled asset and resolved environment), HTTP routes, stream event source
 * mappings, buses, rules, queues and async invoke configs. Nothing here is wired by hand:
 * whatever the CDK app declares is what runs locally.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

export type TableSpec = {
  logicalId: string;
  name: string;
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  streamViewType: string | null;
  ttlAttribute: string | null;
  /** Global secondary indexes as the template declares them (CloudFormation's own shape). */
  globalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
};

export type FunctionSpec = {
  logicalId: string;
  arn: string;
  /** Absolute path of the bundled module that would be deployed. */
  modulePath: string;
  exportName: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
};

export type RouteSpec = { method: string; path: string; functionId: string };

export type StreamMappingSpec = {
  logicalId: string;
  functionId: string;
  tableId: string;
  batchSize: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  filterPatterns: Record<string, unknown>[];
  bisectOnError: boolean;
  /** -1 means retry until the record expires, as Lambda does. */
  maxRetryAttempts: number;
  maxRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  onFailureQueueId: string | null;
};

export type RuleTargetSpec = {
  functionId: string;
  retryAttempts: number;
  maxEventAgeSeconds: number;
  deadLetterQueueId: string | null;
};
export type RuleSpec = {
  logicalId: string;
  busName: string;
  pattern: Record<string, unknown>;
  enabled: boolean;
  targets: RuleTargetSpec[];
};
export type InvokeConfigSpec = {
  functionId: string;
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  onFailureQueueId: string | null;
};
export type SecretSpec = { logicalId: string; arn: string };
/** A time-driven invocation the template declares: a scheduled EventBridge rule or a Scheduler schedule. */
export type ScheduleSpec = {
  logicalId: string;
  expression: string;
  /** The functions it invokes (a scheduled rule's Lambda targets). */
  functionIds: string[];
  enabled: boolean;
};

export type LocalWiring = {
  tables: TableSpec[];
  functions: Map<string, FunctionSpec>;
  routes: RouteSpec[];
  streamMappings: StreamMappingSpec[];
  busNames: string[];
  rules: RuleSpec[];
  invokeConfigs: Map<string, InvokeConfigSpec>;
  queues: string[];
  secrets: SecretSpec[];
  schedules: ScheduleSpec[];
  /** Where SES publishes a configuration set's events (EventBridge destinations only). */
  sesEventDestinations: SesEventDestinationSpec[];
  /** S3 buckets, by their local name. */
  buckets: string[];
};
export type SesEventDestinationSpec = { configurationSet: string; busName: string; events: string[] };

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;

export const readWiring = (assemblyDir: string, stackName: string, apiBaseUrl: string): LocalWiring => {
  const template = JSON.parse(
    readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8'),
  ) as Template;
  const resources = template.Resources;
  const typeOf = (id: string): string => {
    const resource = resources[id];
    if (!resource) throw new TemplateError(`template references unknown resource ${id}`);
    return resource.Type;
  };
  const props = (id: string) => resources[id]?.Properties ?? {};
  const busName = (id: string) => (typeof props(id).Name === 'string' ? (props(id).Name as string) : id);

  const ref = (id: string): string => {
    switch (id) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
    }
    switch (typeOf(id)) {
      case 'AWS::SecretsManager::Secret':
        return arn('secretsmanager', `secret:${id}`);
      case 'AWS::Events::EventBus':
        return busName(id);
      case 'AWS::SQS::Queue':
        return `http://sqs.local/${LOCAL_ACCOUNT}/${id}`;
      case 'AWS::S3::Bucket':
        // Bucket names are lower case (S3's naming rules).
        return id.toLowerCase();
      default:
        // Tables, functions, configuration sets, log groups...: the logical id is the local name.
        return id;
    }
  };

  const getAtt = (id: string, attribute: string): string => {
    const type = typeOf(id);
    if (type === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint') return apiBaseUrl;
    if (attribute === 'Arn') {
      if (type === 'AWS::Lambda::Function') return arn('lambda', `function:${id}`);
      if (type === 'AWS::DynamoDB::Table') return arn('dynamodb', `table/${id}`);
      if (type === 'AWS::SQS::Queue') return arn('sqs', id);
      if (type === 'AWS::Events::EventBus') return arn('events', `event-bus/${busName(id)}`);
      if (type === 'AWS::SecretsManager::Secret') return ref(id);
      if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${ref(id)}`;
    }
    if (type === 'AWS::DynamoDB::Table' && attribute === 'StreamArn')
      return arn('dynamodb', `table/${id}/stream/local`);
    throw new TemplateError(`the local stack cannot resolve Fn::GetAtt ${id}.${attribute} (${type})`);
  };

  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if (typeof v.Ref === 'string') return ref(v.Ref);
      const att = v['Fn::GetAtt'];
      if (Array.isArray(att)) return getAtt(String(att[0]), String(att[1]));
      const join = v['Fn::Join'];
      if (Array.isArray(join)) return (join[1] as unknown[]).map(resolve).join(String(join[0]));
      const sub = v['Fn::Sub'];
      if (typeof sub === 'string')
        return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
          name.includes('.') ? getAtt(...(name.split('.') as [string, string])) : ref(name),
        );
    }
    throw new TemplateError(`the local stack cannot resolve ${JSON.stringify(value)}`);
  };

  const idFromArn = (value: unknown): string => {
    const resolved = resolve(value);
    const id = resolved
      .split(/[:/]/)
      .find((part) => part in resources && resources[part]?.Type !== undefined);
    if (!id) throw new TemplateError(`no resource in the template has ARN ${resolved}`);
    return id;
  };
  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const tables: TableSpec[] = byType('AWS::DynamoDB::Table').map(([id, r]) => {
    const p = r.Properties ?? {};
    return {
      logicalId: id,
      name: ref(id),
      keySchema: p.KeySchema as TableSpec['keySchema'],
      attributeDefinitions: p.AttributeDefinitions as TableSpec['attributeDefinitions'],
      streamViewType:
        (p.StreamSpecification as { StreamViewType?: string } | undefined)?.StreamViewType ?? null,
      ttlAttribute:
        (p.TimeToLiveSpecification as { AttributeName?: string } | undefined)?.AttributeName ?? null,
      ...(p.GlobalSecondaryIndexes
        ? { globalSecondaryIndexes: p.GlobalSecondaryIndexes as TableSpec['globalSecondaryIndexes'] }
        : {}),
    };
  });

  const functions = new Map<string, FunctionSpec>();
  for (const [id, r] of byType('AWS::Lambda::Function')) {
    const p = r.Properties ?? {};
    const code = p.Code as { S3Key?: string } | undefined;
    const handler = String(p.Handler ?? 'index.handler');
    if (!code?.S3Key)
      throw new TemplateError(`function ${id} has no asset (inline code is not supported locally)`);
    const assetDir = join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const dot = handler.lastIndexOf('.');
    const base = handler.slice(0, dot);
    const modulePath = ['.mjs', '.js', '.cjs']
      .map((ext) => join(assetDir, base + ext))
      .find((file) => existsSync(file));
    if (!modulePath) throw new TemplateError(`function ${id}: no ${base}.mjs/.js in ${assetDir}`);
    const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    functions.set(id, {
      logicalId: id,
      arn: getAtt(id, 'Arn'),
      modulePath,
      exportName: handler.slice(dot + 1),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
    });
  }

  const integrations = new Map(
    byType('AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, idFromArn(r.Properties?.IntegrationUri)]),
  );
  const routes: RouteSpec[] = byType('AWS::ApiGatewayV2::Route').map(([id, r]) => {
    const [method = '', path = ''] = String(r.Properties?.RouteKey).split(' ');
    const target = resolve(r.Properties?.Target).replace(/^integrations\//, '');
    const functionId = integrations.get(target);
    if (!functionId) throw new TemplateError(`route ${id} targets unknown integration ${target}`);
    return { method, path, functionId };
  });

  const destinationQueue = (config: unknown): string | null => {
    const destination = (config as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
      ?.Destination;
    return destination ? idFromArn(destination) : null;
  };

  const streamMappings: StreamMappingSpec[] = byType('AWS::Lambda::EventSourceMapping').map(([id, r]) => {
    const p = r.Properties ?? {};
    const filters = (p.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? [];
    return {
      logicalId: id,
      functionId: idFromArn(p.FunctionName),
      tableId: idFromArn(p.EventSourceArn),
      batchSize: Number(p.BatchSize ?? 100),
      startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
      filterPatterns: filters.map((f) => JSON.parse(f.Pattern) as Record<string, unknown>),
      bisectOnError: p.BisectBatchOnFunctionError === true,
      maxRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
      maxRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
      reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes(
        'ReportBatchItemFailures',
      ),
      onFailureQueueId: destinationQueue(p.DestinationConfig),
    };
  });

  /** A JSON value with every intrinsic in it (`{ Ref }`, `{ Fn::... }`) resolved, e.g. an event pattern. */
  const resolveDeep = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolveDeep);
    if (typeof value !== 'object' || value === null) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return resolve(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v)]));
  };

  const sesEventDestinations: SesEventDestinationSpec[] = byType(
    'AWS::SES::ConfigurationSetEventDestination',
  ).flatMap(([, r]) => {
    const p = r.Properties ?? {};
    const destination = p.EventDestination as
      | {
          Enabled?: boolean;
          MatchingEventTypes?: string[];
          EventBridgeDestination?: { EventBusArn?: unknown };
        }
      | undefined;
    const busArn = destination?.EventBridgeDestination?.EventBusArn;
    if (!busArn || destination?.Enabled === false) return [];
    return [
      {
        configurationSet: resolve(p.ConfigurationSetName),
        busName: resolve(busArn).split('/').pop() ?? 'default',
        events: (destination.MatchingEventTypes ?? []).map((e) => e.toLowerCase()),
      },
    ];
  });

  const schedules: ScheduleSpec[] = [
    ...byType('AWS::Events::Rule').filter(([, r]) => r.Properties?.ScheduleExpression !== undefined),
    ...byType('AWS::Scheduler::Schedule'),
  ].map(([id, r]) => ({
    logicalId: id,
    expression: String(resolve(r.Properties?.ScheduleExpression ?? '')),
    functionIds: ((r.Properties?.Targets as { Arn?: unknown }[] | undefined) ?? []).map((t) =>
      idFromArn(t.Arn),
    ),
    enabled: r.Properties?.State !== 'DISABLED',
  }));

  const rules: RuleSpec[] = byType('AWS::Events::Rule')
    .filter(([, r]) => r.Properties?.ScheduleExpression === undefined)
    .map(([id, r]) => {
      const p = r.Properties ?? {};
      const targets = ((p.Targets as Record<string, unknown>[] | undefined) ?? []).map((t) => {
        const retry = t.RetryPolicy as
          | { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number }
          | undefined;
        const dlq = (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
        return {
          functionId: idFromArn(t.Arn),
          retryAttempts: retry?.MaximumRetryAttempts ?? 185,
          maxEventAgeSeconds: retry?.MaximumEventAgeInSeconds ?? 86_400,
          deadLetterQueueId: dlq ? idFromArn(dlq) : null,
        };
      });
      return {
        logicalId: id,
        busName: p.EventBusName === undefined ? 'default' : resolve(p.EventBusName),
        pattern: resolveDeep(p.EventPattern) as Record<string, unknown>,
        enabled: p.State !== 'DISABLED',
        targets,
      };
    });

  const invokeConfigs = new Map<string, InvokeConfigSpec>(
    byType('AWS::Lambda::EventInvokeConfig').map(([, r]) => {
      const p = r.Properties ?? {};
      const functionId = idFromArn(p.FunctionName);
      return [
        functionId,
        {
          functionId,
          maxRetryAttempts: Number(p.MaximumRetryAttempts ?? 2),
          maxEventAgeSeconds: Number(p.MaximumEventAgeInSeconds ?? 21_600),
          onFailureQueueId: destinationQueue(p.DestinationConfig),
        },
      ];
    }),
  );

  return {
    tables,
    functions,
    routes,
    streamMappings,
    busNames: byType('AWS::Events::EventBus').map(([id]) => busName(id)),
    rules,
    invokeConfigs,
    queues: byType('AWS::SQS::Queue').map(([id]) => id),
    secrets: byType('AWS::SecretsManager::Secret').map(([id]) => ({ logicalId: id, arn: ref(id) })),
    schedules,
    sesEventDestinations,
    buckets: byType('AWS::S3::Bucket').map(([id]) => ref(id)),
  };
};
