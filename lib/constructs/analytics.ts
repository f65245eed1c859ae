import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RESULTS_PREFIX, SNAPSHOTS_PREFIX } from '../../functions/adapters/analytics/snapshot-files.ts';
import { deadLetterQueue } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';
import type { WebhookApi } from './webhook-api.ts';

export type AnalyticsProps = {
  readonly table: ITable;
  readonly api: WebhookApi;
  /** The bearer keys of the admin API (the analytics routes take the same keys). */
  readonly adminApiKey: ISecret;
  /** The shops served (`*`: those with Admin API credentials): each one's snapshot is refreshed. */
  readonly shops: '*' | readonly string[];
  readonly shopifyAdminTokens: ISecret;
  /** How often every shop's snapshot is rebuilt from the fact log, in hours. @default 24 */
  readonly refreshHours?: number;
  /** Rate limit of each analytics route. @default 10 */
  readonly rateLimit?: number;
};

/** Days a snapshot or a cached result is kept without a refresh replacing it: derived data only. */
const KEEP_DAYS = 7;

/**
 * The analytics engine: the refresh function reads each shop's fact log (the table's feed index)
 * into a snapshot of Parquet files in the analytics bucket; the analytics function answers the
 * reports of `GET /api/shops/{shop}/analytics/{report}` with DuckDB over that snapshot (downloaded
 * to `/tmp` once per snapshot), caching each answer per snapshot. One set of SQL
 * (`functions/analytics/reports/`) runs here and in the local stack.
 */
export class Analytics extends Construct {
  readonly bucket: Bucket;
  readonly refresh: LoyaltyFunction;
  readonly reports: LoyaltyFunction;
  readonly failedRuns: Queue;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Snapshots and results are rebuilt from the table: nothing here outlives a week unrefreshed,
      // and a torn-down stack's bucket empties itself (then `aws s3 rb`).
      lifecycleRules: [{ expiration: Duration.days(KEEP_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only derived analytics files, written and read by the two analytics functions (CloudTrail ' +
        'data events can be turned on account-wide); server access logs would need another bucket to audit.',
    });
    this.failedRuns = deadLetterQueue(this, 'FailedRefreshes');

    this.refresh = new LoyaltyFunction(this, 'Refresh', {
      name: 'analytics-refresh',
      description: "Rebuilds each shop's analytics snapshot (Parquet) from the fact log",
      timeout: Duration.minutes(15),
      memorySize: 3008,
      ephemeralStorageMiB: 10_240,
      duckdb: true,
      asyncFailureQueue: this.failedRuns,
      environment: {
        ANALYTICS_BUCKET: this.bucket.bucketName,
        SHOPS: props.shops === '*' ? '*' : props.shops.join(','),
      },
    })
      .useTable(props.table)
      .useSecret(props.shopifyAdminTokens, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN');
    this.allowObjects(this.refresh, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], SNAPSHOTS_PREFIX);
    new Rule(this, 'Schedule', {
      description: "Rebuilds every shop's analytics snapshot",
      schedule: Schedule.rate(Duration.hours(props.refreshHours ?? 24)),
      targets: [new LambdaFunction(this.refresh, { retryAttempts: 2, deadLetterQueue: this.failedRuns })],
    });

    this.reports = new LoyaltyFunction(this, 'Reports', {
      name: 'analytics',
      description: 'Answers the analytics reports with DuckDB over the latest snapshot',
      timeout: Duration.seconds(29),
      // P9: at 10 million orders the heaviest report (bought-together) peaked at 2.6 GB; memory also buys vCPUs.
      memorySize: 4096,
      ephemeralStorageMiB: 10_240,
      duckdb: true,
      files: { 'functions/analytics/reports': 'reports' },
      environment: {
        ANALYTICS_BUCKET: this.bucket.bucketName,
        REFRESH_FUNCTION_NAME: this.refresh.functionName,
      },
    }).useSecret(props.adminApiKey, 'ADMIN_API_KEY_SECRET_ARN');
    this.allowObjects(this.reports, ['s3:GetObject'], SNAPSHOTS_PREFIX);
    this.allowObjects(this.reports, ['s3:GetObject', 's3:PutObject'], RESULTS_PREFIX);
    // `POST …/analytics/refresh` starts the refresh (the function itself, not its versions).
    this.reports.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.refresh.functionArn] }),
    );

    const integration = new HttpLambdaIntegration('AnalyticsIntegration', this.reports);
    props.api.limitRoutes(
      [
        ...props.api.api.addRoutes({
          path: '/api/shops/{shop}/analytics/{report}',
          methods: [HttpMethod.GET],
          integration,
        }),
        ...props.api.api.addRoutes({
          path: '/api/shops/{shop}/analytics/refresh',
          methods: [HttpMethod.POST],
          integration,
        }),
      ],
      props.rateLimit ?? 10,
    );
  }

  /**
   * Exactly these object actions under one prefix, and listing that prefix (without it S3 answers
   * a missing key with 403, not 404).
   */
  private allowObjects(fn: LoyaltyFunction, actions: readonly string[], prefix: string): void {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: [...actions], resources: [this.bucket.arnForObjects(`${prefix}*`)] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/${prefix}*]`,
      reason: `The analytics files are keyed per shop and snapshot under ${prefix} (functions/adapters/analytics/snapshot-files.ts); the function reads and writes any shop's, as its schedule and routes serve every shop.`,
    });
  }
}
