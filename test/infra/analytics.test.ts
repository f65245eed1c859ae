import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_INDEX } from '#adapters/store/keys.ts';
import { buildApp } from '../../lib/build-app.ts';
import { DEMO_CONTEXT } from '../support/cdk-context.ts';

type Resource = { Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

let template: Template;
let assemblyDir: string;

beforeAll(() => {
  const { app, stack } = buildApp({ context: DEMO_CONTEXT });
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
});

const functionBy = (service: string): [string, Resource] => {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(
    ([, r]) =>
      (r as Resource).Properties.Environment &&
      JSON.stringify((r as Resource).Properties.Environment).includes(
        `"POWERTOOLS_SERVICE_NAME":"${service}"`,
      ),
  );
  if (!found) throw new Error(`no function ${service}`);
  return found as [string, Resource];
};

/** Every statement of the policies attached to a function's role. */
const statementsOf = (functionId: string): Statement[] => {
  const fn = template.findResources('AWS::Lambda::Function')[functionId] as Resource;
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as Resource).Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => ((p as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe('analytics', () => {
  it('keeps snapshots in a private, encrypted, TLS-only bucket that forgets them within a week', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.objectLike({}),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("lets the refresh read only the feed index (queries, by partition), write only the shop's intervals and snapshots", () => {
    const [id] = functionBy('loyalty-loop-analytics-refresh');
    const statements = statementsOf(id);
    const dynamo = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    const feed = dynamo.filter((s) => JSON.stringify(s.Resource).includes(`/index/${FEED_INDEX}`));
    const table = dynamo.filter((s) => !feed.includes(s));

    expect(actionsOf(feed)).toEqual(['dynamodb:Query']);
    expect(JSON.stringify(feed[0]?.Condition)).toContain('#FEED#');
    expect(actionsOf(table)).toEqual(['dynamodb:PutItem']);
    expect(table[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SHOP#*#TIMING'] },
    });
    const s3 = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(JSON.stringify(s3.map((s) => s.Resource))).toContain('/snapshots/*');
    expect(JSON.stringify(s3.map((s) => s.Resource))).not.toContain('/results/*');
  });

  it('gives the report function no table access at all: a report never reads DynamoDB', () => {
    const [id, fn] = functionBy('loyalty-loop-analytics');

    expect(actionsOf(statementsOf(id)).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(JSON.stringify(fn.Properties.Environment)).not.toContain('TABLE_NAME');
  });

  it('serves every report and the refresh under /api/shops/{shop}/analytics, each route rate-limited', () => {
    const keys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as Resource).Properties.RouteKey,
    );

    expect(keys).toEqual(
      expect.arrayContaining([
        'GET /api/shops/{shop}/analytics/{report}',
        'POST /api/shops/{shop}/analytics/refresh',
      ]),
    );
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource;
    expect(stage.Properties.RouteSettings).toMatchObject({
      'GET /api/shops/{shop}/analytics/{report}': { ThrottlingRateLimit: 10 },
      'POST /api/shops/{shop}/analytics/refresh': { ThrottlingRateLimit: 10 },
    });
  });

  it('refreshes every shop daily, retrying a failed run and keeping it in a dead-letter queue', () => {
    const [id] = functionBy('loyalty-loop-analytics-refresh');

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [id, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
          DeadLetterConfig: Match.objectLike({}),
        }),
      ],
    });
  });

  it('ships DuckDB for Lambda (linux arm64) and for the local stack (linux x64), and the SQL, in the report function’s asset', () => {
    const [, fn] = functionBy('loyalty-loop-analytics');
    const asset = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const dir = join(assemblyDir, `asset.${asset}`);

    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], EphemeralStorage: { Size: 10240 } });
    for (const arch of ['arm64', 'x64'])
      expect(
        existsSync(join(dir, 'node_modules', '@duckdb', `node-bindings-linux-${arch}`, 'duckdb.node')),
      ).toBe(true);
    expect(readdirSync(join(dir, 'reports'))).toEqual(
      expect.arrayContaining(['_setup.sql', 'summary.sql', 'cohorts.sql', 'holdouts.sql']),
    );
  });
});
