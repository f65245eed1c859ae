import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LoyaltyFunction } from './loyalty-function.ts';

/**
 * Every alarm's threshold, in one place (the README's runbook lists them). Periods are 5 minutes
 * unless said; "periods" is how many in a row must breach.
 */
export const ALARM_THRESHOLDS = {
  /** Any message in a dead-letter queue: something failed after every retry. */
  deadLetters: 1,
  /** Function errors in 5 minutes (retries and partial batches make a stray one harmless). */
  functionErrors: 5,
  /** Any throttled invocation in 5 minutes: concurrency is exhausted somewhere. */
  throttles: 1,
  /** p99 of the webhook route (ms), 3 periods in a row: Shopify gives up at 5 s and retries. */
  webhookLatencyP99Ms: 3_000,
  /** Oldest stream record waiting (ms), 3 periods in a row: stage emails are running late. */
  iteratorAgeMs: 60_000,
  /** SES account reputation, 1-hour maximum: SES reviews an account at 5 % bounces and 0.1 % complaints. */
  bounceRate: 0.04,
  complaintRate: 0.0008,
  /** Webhooks quarantined (unusable) in 15 minutes. */
  quarantined: 5,
  /** A shop's reconciliation that failed (access revoked, Shopify down). */
  reconciliationFailed: 1,
  /** A shop's analytics refresh that failed: its reports stay on the snapshot before. */
  analyticsRefreshFailed: 1,
} as const;

export type OperationsProps = {
  /** Every function of the stack. */
  readonly functions: readonly LoyaltyFunction[];
  /** Every dead-letter queue of the stack. */
  readonly deadLetterQueues: readonly Queue[];
  /** The HTTP API (its webhook route's latency). */
  readonly api: HttpApi;
  /** The functions that read the table's stream (their iterator age). */
  readonly streamReaders: readonly LoyaltyFunction[];
  /** The SES configuration set (its reputation metrics). */
  readonly configurationSetName: string;
  /** An address subscribed to the alarm topic (it confirms by email). @default none */
  readonly alarmEmail?: string;
};

/**
 * What an operator needs to know something broke: CloudWatch alarms on dead letters, function
 * errors and throttles, webhook latency near Shopify's 5 s, stream iterator age, SES bounce and
 * complaint rates, quarantine growth and failed reconciliations, all to one SNS topic (optionally
 * an email), and a dashboard of the same signals.
 */
export class Operations extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const T = ALARM_THRESHOLDS;
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Loyalty Loop alarms', enforceSSL: true });
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications name an alarm and a metric, never customer data; CloudWatch cannot publish to a ' +
        'topic encrypted with the AWS-managed SNS key, and a customer-managed key would cost more than it protects.',
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);
    const alarm = (
      name: string,
      metric: IMetric,
      threshold: number,
      description: string,
      periods = 1,
    ): Alarm => {
      const created = new Alarm(this, name, {
        metric,
        alarmDescription: `${description} (README: runbook)`,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = Duration.minutes(5);

    for (const queue of props.deadLetterQueues) {
      const path = queue.node.path.split('/').slice(1).join('/');
      alarm(
        `DeadLetters-${path.replaceAll('/', '-')}`,
        queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
        T.deadLetters,
        `Messages in the dead-letter queue ${path}: list and redrive them (npm run redrive -- list)`,
      );
    }
    for (const fn of props.functions) {
      alarm(
        `Errors-${fn.folder}`,
        fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        T.functionErrors,
        `The ${fn.folder} function failed ${T.functionErrors}+ times in 5 minutes: see its log group`,
      );
      alarm(
        `Throttles-${fn.folder}`,
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        T.throttles,
        `The ${fn.folder} function was throttled: account concurrency is exhausted`,
      );
    }
    const webhookLatency = props.api.metricLatency({ period: fiveMinutes, statistic: 'p99' });
    alarm(
      'WebhookLatency',
      webhookLatency,
      T.webhookLatencyP99Ms,
      `API p99 latency at ${T.webhookLatencyP99Ms} ms for 15 minutes: Shopify times out at 5 s and retries`,
      3,
    );
    for (const fn of props.streamReaders) {
      alarm(
        `IteratorAge-${fn.folder}`,
        fn.metric('IteratorAge', { period: fiveMinutes, statistic: 'Maximum' }),
        T.iteratorAgeMs,
        `The ${fn.folder} function is ${T.iteratorAgeMs / 1000}+ s behind the table's stream for 15 minutes`,
        3,
      );
    }
    const ses = (metricName: string) =>
      new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: 'Maximum' });
    alarm(
      'BounceRate',
      ses('Reputation.BounceRate'),
      T.bounceRate,
      `SES bounce rate at ${T.bounceRate * 100} % (SES reviews the account at 5 %, pauses it at 10 %)`,
    );
    alarm(
      'ComplaintRate',
      ses('Reputation.ComplaintRate'),
      T.complaintRate,
      `SES complaint rate at ${T.complaintRate * 100} % (SES reviews the account at 0.1 %, pauses it at 0.5 %)`,
    );
    const own = (metricName: string, service: string, period: Duration) =>
      new Metric({
        namespace: 'LoyaltyLoop',
        metricName,
        dimensionsMap: { service: `loyalty-loop-${service}` },
        period,
        statistic: 'Sum',
      });
    const quarantined = own('WebhookQuarantined', 'ingest', Duration.minutes(15));
    alarm(
      'Quarantine',
      quarantined,
      T.quarantined,
      `${T.quarantined}+ webhooks quarantined in 15 minutes: list them (npm run redrive -- list)`,
    );
    const reconciliationFailed = own('ReconciliationFailed', 'reconcile', Duration.hours(1));
    alarm(
      'ReconciliationFailed',
      reconciliationFailed,
      T.reconciliationFailed,
      "A shop's reconciliation failed: see the reconcile function's log (a revoked token, Shopify down)",
    );
    alarm(
      'AnalyticsRefreshFailed',
      own('AnalyticsRefreshFailed', 'analytics-refresh', Duration.days(1)),
      T.analyticsRefreshFailed,
      "A shop's analytics refresh failed: its reports answer from the snapshot before (see the analytics-refresh function's log)",
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(24),
    });
    const invocations = props.functions.map((fn) =>
      fn.metricInvocations({ period: fiveMinutes, label: fn.folder }),
    );
    const errors = props.functions.map((fn) => fn.metricErrors({ period: fiveMinutes, label: fn.folder }));
    const dlqDepth = new MathExpression({
      expression: props.deadLetterQueues.map((_, i) => `q${i}`).join(' + ') || '0',
      usingMetrics: Object.fromEntries(
        props.deadLetterQueues.map((queue, i) => [
          `q${i}`,
          queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
        ]),
      ),
      label: 'messages in dead-letter queues',
      period: fiveMinutes,
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Loyalty Loop\nAlarms go to the stack output `AlarmTopicArn`. Runbook: the README, "It is not working".',
        width: 24,
        height: 2,
      }),
      new SingleValueWidget({ title: 'Dead letters', metrics: [dlqDepth], width: 6 }),
      new SingleValueWidget({
        title: 'Quarantined webhooks (15 min)',
        metrics: [quarantined],
        width: 6,
      }),
      new SingleValueWidget({
        title: 'SES reputation',
        metrics: [ses('Reputation.BounceRate'), ses('Reputation.ComplaintRate')],
        width: 12,
      }),
      new GraphWidget({ title: 'Invocations', left: invocations, width: 12 }),
      new GraphWidget({ title: 'Errors', left: errors, width: 12 }),
      new GraphWidget({
        title: 'Webhook route latency (ms)',
        left: [webhookLatency, props.api.metricLatency({ period: fiveMinutes, statistic: 'p50' })],
        leftAnnotations: [{ value: 5_000, label: "Shopify's timeout" }],
        width: 12,
      }),
      new GraphWidget({
        title: 'Stream iterator age (ms)',
        left: props.streamReaders.map((fn) =>
          fn.metric('IteratorAge', { period: fiveMinutes, statistic: 'Maximum', label: fn.folder }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: 'Reconciliation',
        left: [own('ReconciliationRepaired', 'reconcile', Duration.hours(1)), reconciliationFailed],
        width: 12,
      }),
      new GraphWidget({
        title: `SES (${props.configurationSetName})`,
        left: ['Send', 'Delivery', 'Bounce', 'Complaint'].map(
          (metricName) =>
            new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: 'Sum' }),
        ),
        width: 12,
      }),
    );
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe to it (email, chat) to hear of every alarm (loyaltyLoop:alarmEmail does one)',
      value: this.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }
}
