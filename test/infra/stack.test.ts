import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DetailType } from '../../functions/domain/events.ts';
import { buildApp } from '../../lib/build-app.ts';
import { tableAccessStatements } from '../../lib/constructs/table-access.ts';
import { DEMO_CONTEXT } from '../support/cdk-context.ts';

const cdkContext = DEMO_CONTEXT;
let template: Template;

const logicalIdOf = (type: string, props: Record<string, unknown>): string => {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

beforeAll(() => {
  template = Template.fromStack(buildApp({ context: cdkContext }).stack);
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const STREAM_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];
const actionsOf = (statement: Statement) => [statement.Action].flat();

/** Every statement of the policies of a function's role (the function by its folder name). */
const statementsOf = (name: string): Statement[] => {
  const fn = logicalIdOf('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: `loyalty-loop-${name}` }) },
  });
  const role = template.findResources('AWS::Lambda::Function')[fn]?.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
};

/** The statements granting DynamoDB actions other than reading the stream, on the table or one of its indexes. */
const dynamoStatementsOf = (name: string) =>
  statementsOf(name).filter((s) =>
    actionsOf(s).some((a) => a.startsWith('dynamodb:') && !STREAM_ACTIONS.includes(a)),
  );
const onIndex = (s: Statement) => JSON.stringify(s.Resource).includes('/index/');
/** Those on the table itself. */
const tableStatementsOf = (name: string) => dynamoStatementsOf(name).filter((s) => !onIndex(s));

const tableId = () => Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];

const FUNCTIONS = [
  'ingest',
  'admin',
  'evaluate',
  'action',
  'unsubscribe',
  'privacy',
  'feedback',
  'consent-sync',
  'reconcile',
  'backfill',
  'reindex',
  'sweep',
];

describe('LoyaltyLoop stack', () => {
  it('routes POST /webhooks/shopify to the ingest function through a Lambda proxy integration', () => {
    const ingest = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-ingest' }) },
    });
    const integration = logicalIdOf('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [ingest, 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhooks/shopify',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([
      'GET /api/shops/{shop}/analytics/{report}',
      'GET /api/shops/{shop}/backfill',
      'GET /api/shops/{shop}/customers/{customerId}',
      'GET /api/shops/{shop}/data-requests/{requestId}',
      'GET /api/shops/{shop}/reconciliation',
      'GET /api/shops/{shop}/reindex',
      'GET /unsubscribe',
      'POST /api/shops/{shop}/analytics/refresh',
      'POST /api/shops/{shop}/backfill',
      'POST /api/shops/{shop}/reindex',
      'POST /unsubscribe',
      'POST /webhooks/shopify',
    ]);
  });

  it('runs every function on Node.js 24, arm64, with bounded log retention', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(14);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('keeps customers in an on-demand table with PITR and a NEW_AND_OLD_IMAGES stream, retained on delete', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('feeds only aggregate changes to the evaluate function, failing records alone and dead-lettering the rest', () => {
    const filter = new Capture();
    const evaluate = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-evaluate' }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: evaluate },
      BatchSize: 100,
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 8,
      MaximumRecordAgeInSeconds: 21600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: filter }] },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('SegmentEngineDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    expect(JSON.parse(filter.asString())).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { kind: { S: ['aggregate'] } } },
    });
  });

  it('feeds only pending privacy requests, one at a time, to the privacy function (5-minute timeout)', () => {
    const privacy = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-privacy' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Timeout: 300,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-privacy' }) },
    });
    const filter = new Capture();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: privacy },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: filter }] },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('PrivacyDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    expect(JSON.parse(filter.asString())).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { kind: { S: ['privacy'] }, status: { S: ['pending'] } } },
    });
  });

  it('routes SES bounces and complaints of its configuration set from the default bus to the feedback function', () => {
    const feedback = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-feedback' }) },
    });
    const configurationSet = Object.keys(template.findResources('AWS::SES::ConfigurationSet'))[0];
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: configurationSet },
      EventDestination: Match.objectLike({
        MatchingEventTypes: Match.arrayWith(['bounce', 'complaint']),
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      }),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': ['Email Bounced', 'Email Complaint Received'],
        detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: configurationSet }] } } },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [feedback, 'Arn'] }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
  });

  it('writes unsubscribes back to Shopify from the bus, with retries and a DLQ', () => {
    const sync = logicalIdOf('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-consent-sync' }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['loyalty-loop'], 'detail-type': ['Customer Unsubscribed'] },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [sync, 'Arn'] }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
  });

  it('has one rule per journey stage with an action, each sending a Journey Stage Changed into it to the action function', () => {
    const action = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action' }) },
    });
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['loyalty-loop'], 'detail-type': ['Journey Stage Changed'] } },
    });
    const stages = Object.values(rules)
      .map(
        (r) => `${r.Properties.EventPattern.detail.journeyId[0]}/${r.Properties.EventPattern.detail.to[0]}`,
      )
      .sort();
    expect(stages).toEqual([
      'morning-regulars/first-sandwich',
      'morning-regulars/weekly-regular',
      'rum-baba-fans/first-rum-baba',
      'rum-baba-fans/rum-baba-fan',
      'rum-baba-fans/second-rum-baba',
      'savarin-seconds/first-savarin',
      'win-back/lapsing',
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('JourneyBus') },
      EventPattern: {
        source: ['loyalty-loop'],
        'detail-type': ['Journey Stage Changed'],
        detail: {
          journeyId: ['rum-baba-fans'],
          to: ['first-rum-baba'],
          emailMarketing: ['subscribed'],
          backfill: [false],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [action, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: action },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('EmailSenderFailedSends'), 'Arn'] },
        },
      },
    });
  });

  it('archives a week of every detail type but Email Sent (a send history nothing replays)', () => {
    const detailTypes = new Capture();

    template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: ['loyalty-loop'], 'detail-type': detailTypes },
      RetentionDays: 7,
    });

    const others = Object.values(DetailType).filter((type) => type !== DetailType.EmailSent);
    expect(detailTypes.asArray().sort()).toEqual(others.sort());
  });

  it('keeps dead letters 4 days: a weekend to redrive, not long past a redaction', () => {
    expect(Object.keys(template.findResources('AWS::SQS::Queue'))).toHaveLength(8);
    template.allResourcesProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 4 * 24 * 3600 });
  });

  it('lets the action function send only as the sender identity, through its configuration set, from its address', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ses:SendEmail',
            Resource: [
              {
                'Fn::Join': [
                  '',
                  Match.arrayWith([
                    ':configuration-set/',
                    { Ref: Match.stringLikeRegexp('EmailSenderConfigurationSet') },
                  ]),
                ],
              },
              { 'Fn::Join': ['', Match.arrayWith([':identity/bakery-demo.example'])] },
            ],
            Condition: { StringEquals: { 'ses:FromAddress': 'hello@bakery-demo.example' } },
          }),
        ]),
      },
    });
  });

  it('grants no IAM action by wildcard', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        for (const action of [statement.Action].flat()) expect(action).not.toBe('*');
      }
    }
  });

  describe.each([
    {
      name: 'ingest',
      actions: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      leadingKeys: [
        'SHOP#*#CUSTOMER#*',
        'SHOP#*#ORDER#*',
        'SHOP#*.myshopify.com',
        'SHOP#*#PRIVACY',
        'SHOP#*#QUARANTINE',
        'SHOP#*#REDACTED#*',
      ],
      stream: false,
    },
    {
      name: 'admin',
      actions: ['GetItem', 'Query'],
      leadingKeys: [
        'SHOP#*#CUSTOMER#*',
        'SHOP#*#PRIVACY',
        'SHOP#*#BACKFILL',
        'SHOP#*#REINDEX',
        'SHOP#*#RECONCILE',
      ],
      stream: false,
    },
    {
      name: 'evaluate',
      actions: ['PutItem', 'Query', 'UpdateItem'],
      leadingKeys: ['SHOP#*#CUSTOMER#*'],
      stream: true,
    },
    {
      name: 'action',
      actions: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      leadingKeys: ['SHOP#*#CUSTOMER#*', 'SHOP#*.myshopify.com', 'SHOP#*#SUPPRESSED#*', 'SHOP#*#TIMING'],
      stream: false,
    },
    {
      name: 'unsubscribe',
      actions: ['GetItem', 'PutItem'],
      leadingKeys: ['SHOP#*#CUSTOMER#*', 'SHOP#*#REDACTED#*'],
      stream: false,
    },
    {
      name: 'privacy',
      actions: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'Scan', 'UpdateItem'],
      leadingKeys: null,
      stream: true,
    },
    { name: 'feedback', actions: ['PutItem'], leadingKeys: ['SHOP#*#SUPPRESSED#*'], stream: false },
    { name: 'consent-sync', actions: [], leadingKeys: null, stream: false },
    {
      name: 'backfill',
      actions: ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
      leadingKeys: [
        'SHOP#*#CUSTOMER#*',
        'SHOP#*#ORDER#*',
        'SHOP#*#REDACTED#*',
        'SHOP#*#BACKFILL',
        'SHOP#*#QUARANTINE',
      ],
      stream: false,
    },
    {
      name: 'reconcile',
      actions: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      leadingKeys: ['SHOP#*#CUSTOMER#*', 'SHOP#*#ORDER#*', 'SHOP#*#REDACTED#*', 'SHOP#*#RECONCILE'],
      stream: false,
    },
    {
      name: 'sweep',
      actions: ['GetItem', 'PutItem'],
      leadingKeys: ['SHOP#*#CUSTOMER#*', 'SHOP#*#REDACTED#*'],
      stream: false,
    },
    // A Scan names no partition: the reindex pages through the table for a shop's customers.
    { name: 'reindex', actions: ['GetItem', 'PutItem', 'Query', 'Scan'], leadingKeys: null, stream: false },
  ])('the $name function', ({ name, actions, leadingKeys, stream }) => {
    it('may issue exactly the table actions its code does, on the table alone', () => {
      const statements = tableStatementsOf(name);

      const granted = statements.flatMap(actionsOf).sort();

      expect(granted).toEqual(actions.map((a) => `dynamodb:${a}`).sort());
      for (const statement of statements)
        expect(statement.Resource).toEqual({
          'Fn::GetAtt': [tableId(), 'Arn'],
        });
    });

    it(
      leadingKeys
        ? 'touches only the partitions it serves'
        : actions.length > 0
          ? 'may touch every partition (a shop redaction deletes them all)'
          : 'has no table action to limit',
      () => {
        const conditions = tableStatementsOf(name).map((s) => s.Condition);

        if (leadingKeys)
          expect(conditions).toEqual([
            { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
          ]);
        else expect(conditions.filter(Boolean)).toEqual([]);
      },
    );

    it(stream ? 'reads the table stream' : 'does not read the table stream', () => {
      const reads = statementsOf(name).filter((s) => actionsOf(s).includes('dynamodb:GetRecords'));

      expect(reads).toHaveLength(stream ? 1 : 0);
      if (stream)
        expect(reads[0]?.Resource).toEqual({
          'Fn::GetAtt': [tableId(), 'StreamArn'],
        });
    });
  });

  it('grants no DynamoDB action by wildcard, Scan to the privacy and reindex functions alone, BatchWriteItem to the privacy function alone, DeleteItem to none', () => {
    const holders = (action: string) =>
      FUNCTIONS.filter((name) => tableStatementsOf(name).some((s) => actionsOf(s).includes(action)));

    const everyAction = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf),
    );

    for (const action of everyAction) expect(action).not.toMatch(/^dynamodb:.*\*/);
    expect(holders('dynamodb:Scan')).toEqual(['privacy', 'reindex']);
    expect(holders('dynamodb:BatchWriteItem')).toEqual(['privacy']);
    expect(holders('dynamodb:DeleteItem')).toEqual([]);
  });

  it.each([
    ['action', 'DUE#SEND#*'],
    ['sweep', 'DUE#WAKE#*'],
  ])('lets the %s function query the due index, only its own partitions of it', (name, partitions) => {
    const [due] = dynamoStatementsOf(name).filter(onIndex);

    expect(actionsOf(due as Statement)).toEqual(['dynamodb:Query']);
    expect(JSON.stringify(due?.Resource)).toContain('/index/due');
    expect(due?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [partitions] } });
  });

  it('lets no other function query the due index', () => {
    const holders = FUNCTIONS.filter((name) =>
      dynamoStatementsOf(name).some((s) => JSON.stringify(s.Resource).includes('/index/due')),
    );

    expect(holders.sort()).toEqual(['action', 'sweep']);
  });

  it('runs the sweep every sweepMinutes (15)', () => {
    const sweep = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-sweep' }) },
    });

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [sweep, 'Arn'] } })]),
    });
  });

  it('runs the dispatcher every minute, and hands every action function the settle window', () => {
    const action = logicalIdOf('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action' }) },
    });

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [action, 'Arn'] } })]),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action',
          SETTLE_SECONDS: '600',
        }),
      },
    });
  });

  it('adds the due index to the table, keys only', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'duePk', KeyType: 'HASH' },
            { AttributeName: 'dueSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ]),
    });
  });

  it('fails synth for a function without table access, and for leading keys that would not limit a Scan', () => {
    const scanInShops = { why: 'a test', actions: ['Scan' as const], leadingKeys: ['SHOP#a#*'] };

    expect(() => tableAccessStatements('nobody', 'arn:table')).toThrow(/nobody: no TABLE_ACCESS entry/);
    expect(() => tableAccessStatements('scanner', 'arn:table', { scanner: scanInShops })).toThrow(
      /leading keys cannot limit a Scan/,
    );
  });

  it('throttles the admin and unsubscribe routes each on its own, below the webhook route', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const routeIds = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, route]) => route.Properties.RouteKey !== 'POST /webhooks/shopify')
      .map(([id]) => id);

    const throttle = (rate: number) => ({ ThrottlingRateLimit: rate, ThrottlingBurstLimit: 2 * rate });

    expect(stage?.Properties.DefaultRouteSettings).toEqual(throttle(500));
    expect(stage?.Properties.RouteSettings).toEqual({
      'GET /api/shops/{shop}/analytics/{report}': throttle(10),
      'GET /api/shops/{shop}/backfill': throttle(10),
      'GET /api/shops/{shop}/customers/{customerId}': throttle(10),
      'GET /api/shops/{shop}/data-requests/{requestId}': throttle(10),
      'GET /api/shops/{shop}/reconciliation': throttle(10),
      'GET /api/shops/{shop}/reindex': throttle(10),
      'GET /unsubscribe': throttle(50),
      'POST /api/shops/{shop}/analytics/refresh': throttle(10),
      'POST /api/shops/{shop}/backfill': throttle(10),
      'POST /api/shops/{shop}/reindex': throttle(10),
      'POST /unsubscribe': throttle(50),
    });
    // API Gateway refuses route settings for a route it does not have yet.
    expect(routeIds).toHaveLength(11);
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('reads the route rate limits from context, and refuses one above the webhook route', () => {
    const context = {
      ...cdkContext,
      'loyaltyLoop:adminRateLimit': '3',
      'loyaltyLoop:unsubscribeRateLimit': '5',
    };

    const stage = Template.fromStack(buildApp({ context }).stack).findResources('AWS::ApiGatewayV2::Stage');

    expect(Object.values(stage)[0]?.Properties.RouteSettings).toMatchObject({
      'GET /api/shops/{shop}/customers/{customerId}': { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 },
      'POST /unsubscribe': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    expect(() => buildApp({ context: { ...cdkContext, 'loyaltyLoop:unsubscribeRateLimit': '900' } })).toThrow(
      /from 1 to the webhook route's 500, got 900 for GET \/unsubscribe, POST \/unsubscribe/,
    );
  });

  it('fails synth for a route added without a rate limit of its own', () => {
    const { app, stack } = buildApp({ context: cdkContext });

    stack.webhookApi.api.addRoutes({
      path: '/api/extra',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('ExtraIntegration', stack.webhookApi.admin),
    });

    expect(() => app.synth()).toThrow(/route "GET \/api\/extra" has no rate limit of its own/);
  });

  it('fails synth with a clear message for an invalid sender address', () => {
    expect(() =>
      buildApp({ context: { ...cdkContext, 'loyaltyLoop:senderAddress': 'not-an-address' } }),
    ).toThrow(/loyaltyLoop:senderAddress: loyaltyLoop:senderAddress must be an email address/);
  });
});

describe('cdk-nag (AwsSolutions) on every synth', () => {
  const synthTo = (mutate: (stack: Stack) => void = () => undefined) => {
    const outdir = mkdtempSync(join(tmpdir(), 'nag-'));
    const { app, stack } = buildApp({ context: cdkContext, outdir });
    mutate(stack);
    try {
      app.synth();
      return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: unknown[];
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };

  it('passes with zero unacknowledged findings', () => {
    expect(synthTo().pluginReports).toEqual([]);
  });

  it('fails synth on a new finding (the checks really run)', () => {
    expect(() => synthTo((stack) => new Queue(stack, 'QueueWithoutDeadLetterQueue'))).toThrow(
      /QueueWithoutDeadLetterQueue[\s\S]*AwsSolutions-SQS3/,
    );
  });

  it('gives every acknowledgement a reason a security reviewer can check', () => {
    const { stack } = buildApp({ context: cdkContext });
    const acknowledgements = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([key, reason]) => ({
          id: key.replace(/^Annotation::/, ''),
          reason,
        })),
      );
    const ids = new Set(acknowledgements.map((a) => a.id));
    expect([...ids].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<AnalyticsBucketF3CB46A2.Arn>/results/*]',
      'AwsSolutions-IAM5[Resource::<AnalyticsBucketF3CB46A2.Arn>/snapshots/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SNS2',
      'AwsSolutions-SQS3',
    ]);
    for (const a of acknowledgements) expect(a.reason.length, a.id).toBeGreaterThan(80);
  });

  it('logs API access without query strings or bodies', () => {
    const format = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: { Format: format } });
    expect(Object.keys(JSON.parse(format.asString()))).toEqual([
      'requestId',
      'time',
      'method',
      'route',
      'status',
      'latencyMs',
      'integrationError',
      'sourceIp',
    ]);
  });

  it('gives the suppression pepper, generated and kept with the table, to every function that hashes with it', () => {
    const pepper = logicalIdOf('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('pepper'),
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
    expect(template.findResources('AWS::SecretsManager::Secret')[pepper]?.DeletionPolicy).toBe('Retain');
    const readers = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((fn) => fn.Properties.Environment.Variables.SUPPRESSION_PEPPER_SECRET_ARN?.Ref === pepper)
      .map((fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME);
    expect(readers.sort()).toEqual([
      'loyalty-loop-action',
      'loyalty-loop-backfill',
      'loyalty-loop-feedback',
      'loyalty-loop-ingest',
      'loyalty-loop-privacy',
      'loyalty-loop-reconcile',
      'loyalty-loop-sweep',
      'loyalty-loop-unsubscribe',
    ]);
    const grants = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(`{"Ref":"${pepper}"}`),
    );
    expect(grants).toHaveLength(8);
  });
});
