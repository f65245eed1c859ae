import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';

export type HistoryProps = {
  readonly table: ITable;
  /** The shops served (`*` or a list): the ones with Admin API credentials are reconciled. */
  readonly shops: '*' | readonly string[];
  /** The shops' Admin API credentials (`EmailSender.shopifyAdminTokens`). */
  readonly shopifyAdminTokens: ISecret;
  /** The pepper of customer pseudonyms: the apply path checks redactions with it. */
  readonly suppressionPepper: ISecret;
  /** How often reconciliation runs, in minutes. @default 15 */
  readonly reconcileMinutes?: number;
  /**
   * The webhook route the shops' subscriptions must point at: every run re-creates those Shopify
   * removed. Leave it out when the app's configuration (shopify.app.toml) holds the subscriptions.
   */
  readonly webhookUrl?: string;
};

/**
 * What webhooks missed, repaired: every `reconcileMinutes` the reconcile function reads each shop's
 * orders and customers changed since its watermark from the Admin API and applies them through the
 * apply path (a missed webhook repaired sends its email, once). The backfill function applies a
 * shop's history before install, silently (`POST /api/shops/{shop}/backfill`, `npm run backfill`).
 * The reindex function counts customers again from their stored orders when a deploy brings a
 * new product selector (on the same schedule, or `POST /api/shops/{shop}/reindex`).
 */
export class History extends Construct {
  readonly reconcile: LoyaltyFunction;
  readonly backfill: LoyaltyFunction;
  readonly reindex: LoyaltyFunction;
  readonly failedRuns: Queue;

  constructor(scope: Construct, id: string, props: HistoryProps) {
    super(scope, id);
    const minutes = props.reconcileMinutes ?? 15;
    this.failedRuns = deadLetterQueue(this, 'FailedRuns');
    this.reconcile = new LoyaltyFunction(this, 'Reconcile', {
      name: 'reconcile',
      description: "Applies the orders and customers Shopify changed since each shop's watermark",
      timeout: Duration.minutes(5),
      environment: {
        SHOPS: props.shops === '*' ? '*' : props.shops.join(','),
        SHOPIFY_ADMIN_ORIGIN: 'https://{shop}',
        RECONCILE_MINUTES: String(minutes),
        ...(props.webhookUrl ? { WEBHOOK_URL: props.webhookUrl } : {}),
      },
    })
      .useTable(props.table)
      .useSecret(props.shopifyAdminTokens, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN')
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    new Rule(this, 'Schedule', {
      description: 'Reconciliation of every shop with Shopify',
      schedule: Schedule.rate(Duration.minutes(minutes)),
      // A run that fails is retried; the next run covers its window anyway (watermark).
      targets: [new LambdaFunction(this.reconcile, { retryAttempts: 2, deadLetterQueue: this.failedRuns })],
    });
    // A shop's backfill: started from the admin API, it runs until its time is nearly up, then
    // checkpoints and invokes itself to go on.
    // Named, so that its policy can let it invoke itself without a reference to itself (a cycle).
    const backfillName = `${Stack.of(this).stackName}-history-backfill`;
    this.backfill = new LoyaltyFunction(this, 'Backfill', {
      name: 'backfill',
      functionName: backfillName,
      description: "Backfills a shop's history (Bulk Operations) through the apply path, silently",
      timeout: Duration.minutes(15),
      memorySize: 1024,
      asyncFailureQueue: this.failedRuns,
      environment: { SHOPIFY_ADMIN_ORIGIN: 'https://{shop}' },
    })
      .useTable(props.table)
      .useSecret(props.shopifyAdminTokens, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN')
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    this.backfill.addToRolePolicy(invokeItself(this, backfillName));
    // A shop's reindex: started by the schedule once a deploy brought a journey or segment that
    // counts by a new selector (or from the admin API), it goes on like the backfill.
    const reindexName = `${Stack.of(this).stackName}-history-reindex`;
    this.reindex = new LoyaltyFunction(this, 'Reindex', {
      name: 'reindex',
      functionName: reindexName,
      description: "Counts each shop's customers again from their stored orders for new selectors, silently",
      timeout: Duration.minutes(15),
      memorySize: 1024,
      asyncFailureQueue: this.failedRuns,
      environment: { SHOPS: props.shops === '*' ? '*' : props.shops.join(',') },
    })
      .useTable(props.table)
      .useSecret(props.shopifyAdminTokens, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN');
    this.reindex.addToRolePolicy(invokeItself(this, reindexName));
    new Rule(this, 'ReindexSchedule', {
      description: 'Starts the reindex of shops whose customers do not count the deployed selectors yet',
      schedule: Schedule.rate(Duration.minutes(minutes)),
      targets: [new LambdaFunction(this.reindex, { retryAttempts: 2, deadLetterQueue: this.failedRuns })],
    });
    new CfnOutput(this, 'ShopifyAdminTokensArn', { value: props.shopifyAdminTokens.secretArn });
  }
}

/** Lets a named function invoke itself (to go on after its timeout) without a reference to itself. */
const invokeItself = (scope: Construct, functionName: string) =>
  new PolicyStatement({
    actions: ['lambda:InvokeFunction'],
    resources: [
      Stack.of(scope).formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: functionName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ],
  });
