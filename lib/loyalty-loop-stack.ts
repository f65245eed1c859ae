import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Journey } from '../functions/domain/journey.ts';
import { Analytics } from './constructs/analytics.ts';
import { CustomerTable } from './constructs/customer-table.ts';
import { EmailSender } from './constructs/email-sender.ts';
import { History } from './constructs/history.ts';
import { JourneyBus } from './constructs/journey-bus.ts';
import { LoyaltyFunction } from './constructs/loyalty-function.ts';
import { Operations } from './constructs/operations.ts';
import { Privacy } from './constructs/privacy.ts';
import { SegmentEngine } from './constructs/segment-engine.ts';
import { WebhookApi } from './constructs/webhook-api.ts';
import { type StackConfig, tableOfStreamArn } from './stack-config.ts';

export type LoyaltyLoopStackProps = StackProps & {
  readonly config: StackConfig;
  /** The journeys whose stage actions get rules (the same ones bundled into the functions). */
  readonly journeys: readonly Journey[];
};

/** Shopify webhooks → customer aggregates → journey stages → stage emails, in one stack. */
export class LoyaltyLoopStack extends Stack {
  readonly store: CustomerTable;
  readonly webhookApi: WebhookApi;
  readonly journeyBus: JourneyBus;
  readonly segmentEngine: SegmentEngine;
  readonly emailSender: EmailSender;
  readonly privacy: Privacy;
  readonly history: History;
  readonly analytics: Analytics;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: LoyaltyLoopStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The construct id stays 'CustomerStore': renaming it would replace (and orphan) a deployed table.
    this.store = new CustomerTable(this, 'CustomerStore', {
      retain: config.retainData,
      ...(config.tableName ? { tableName: config.tableName } : {}),
      ...(config.existingTableStreamArn && config.existingPepperSecretArn
        ? {
            existing: {
              tableName: tableOfStreamArn(config.existingTableStreamArn),
              streamArn: config.existingTableStreamArn,
              pepperSecretArn: config.existingPepperSecretArn,
            },
          }
        : {}),
    });
    this.webhookApi = new WebhookApi(this, 'WebhookApi', {
      table: this.store.table,
      suppressionPepper: this.store.suppressionPepper,
      shops: config.shops,
      rateLimit: config.apiRateLimit,
      adminRateLimit: config.adminRateLimit,
      ...(config.apiDomain && config.apiCertificateArn
        ? { domain: { name: config.apiDomain, certificateArn: config.apiCertificateArn } }
        : {}),
      ...(config.webhookSecretArn
        ? {
            webhookSecret: Secret.fromSecretCompleteArn(
              this,
              'ImportedWebhookSecret',
              config.webhookSecretArn,
            ),
          }
        : {}),
    });
    this.journeyBus = new JourneyBus(this, 'JourneyBus');
    this.segmentEngine = new SegmentEngine(this, 'SegmentEngine', {
      table: this.store.table,
      bus: this.journeyBus.bus,
      suppressionPepper: this.store.suppressionPepper,
      sweepEvery: Duration.minutes(config.sweepMinutes),
    });
    this.emailSender = new EmailSender(this, 'EmailSender', {
      table: this.store.table,
      bus: this.journeyBus.bus,
      senderAddress: config.senderAddress,
      ...(config.senderIdentity ? { senderIdentity: config.senderIdentity } : {}),
      ...(config.senderName ? { senderName: config.senderName } : {}),
      ...(config.brand ? { brand: config.brand } : {}),
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      postalAddress: config.postalAddress,
      retainKeys: config.retainData,
      ...(config.existingUnsubscribeKeyArn
        ? { existingUnsubscribeKeyArn: config.existingUnsubscribeKeyArn }
        : {}),
      ...(config.mailFromSubdomain ? { mailFromSubdomain: config.mailFromSubdomain } : {}),
      api: this.webhookApi.api,
      publicBaseUrl: this.webhookApi.publicUrl,
      suppressionPepper: this.store.suppressionPepper,
      emailSentEvents: config.emailSentEvents,
      settle: Duration.seconds(Math.round(config.settleMinutes * 60)),
      ...(config.timing ? { timing: config.timing } : {}),
      ...(config.timeZone ? { timeZone: config.timeZone } : {}),
    });
    this.webhookApi.limitRoutes(this.emailSender.unsubscribeRoutes, config.unsubscribeRateLimit);
    this.journeyBus.routeStageActions(props.journeys, this.emailSender.action);
    this.privacy = new Privacy(this, 'Privacy', {
      table: this.store.table,
      suppressionPepper: this.store.suppressionPepper,
    });
    this.history = new History(this, 'History', {
      table: this.store.table,
      shops: config.shops,
      shopifyAdminTokens: this.emailSender.shopifyAdminTokens,
      suppressionPepper: this.store.suppressionPepper,
      reconcileMinutes: config.reconcileMinutes,
      ...(config.subscriptionsByApi ? { webhookUrl: `${this.webhookApi.publicUrl}/webhooks/shopify` } : {}),
    });
    // The admin API starts backfills and reindexes.
    // (The functions themselves, not their versions: `grantInvoke` would add `:*`.)
    this.webhookApi.admin.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.history.backfill.functionArn, this.history.reindex.functionArn],
      }),
    );
    this.webhookApi.admin.addEnvironment('BACKFILL_FUNCTION_NAME', this.history.backfill.functionName);
    this.webhookApi.admin.addEnvironment('REINDEX_FUNCTION_NAME', this.history.reindex.functionName);
    // Last: it watches every function and dead-letter queue made above.
    this.analytics = new Analytics(this, 'Analytics', {
      table: this.store.table,
      api: this.webhookApi,
      adminApiKey: this.webhookApi.adminApiKey,
      shops: config.shops,
      shopifyAdminTokens: this.emailSender.shopifyAdminTokens,
      refreshHours: config.analyticsRefreshHours,
      rateLimit: config.adminRateLimit,
    });
    const everything = this.node.findAll();
    this.operations = new Operations(this, 'Operations', {
      functions: everything.filter((c): c is LoyaltyFunction => c instanceof LoyaltyFunction),
      deadLetterQueues: everything.filter((c): c is Queue => c instanceof Queue),
      api: this.webhookApi.api,
      streamReaders: [this.segmentEngine.evaluate, this.privacy.worker],
      configurationSetName: this.emailSender.configurationSet.configurationSetName,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });
  }
}
