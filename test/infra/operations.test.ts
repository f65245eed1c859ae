import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { ALARM_THRESHOLDS } from '../../lib/constructs/operations.ts';
import { DEMO_CONTEXT } from '../support/cdk-context.ts';

const cdkContext = {
  ...DEMO_CONTEXT,
  'loyaltyLoop:alarmEmail': 'ops@bakery-demo.example',
};
let template: Template;
type Resource = { Properties: Record<string, unknown> };
const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const topicRef = () => ({ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] });

beforeAll(() => {
  template = Template.fromStack(buildApp({ context: cdkContext }).stack);
});

describe('operations', () => {
  it('alarms on every dead-letter queue at its first message', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    const onQueues = alarms().filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');

    expect(queues.length).toBeGreaterThanOrEqual(7);
    expect(onQueues).toHaveLength(queues.length);
    const watched = onQueues.map(
      (a) => (a.Properties.Dimensions as { Value: { 'Fn::GetAtt': string[] } }[])[0]?.Value['Fn::GetAtt'][0],
    );
    expect(new Set(watched)).toEqual(new Set(queues));
    for (const a of onQueues)
      expect(a.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
  });

  it('alarms on every function’s errors and throttles', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    const on = (metric: string) =>
      alarms()
        .filter((a) => a.Properties.MetricName === metric && a.Properties.Namespace === 'AWS/Lambda')
        .map((a) => (a.Properties.Dimensions as { Value: { Ref: string } }[])[0]?.Value.Ref);

    expect(new Set(on('Errors'))).toEqual(new Set(functions));
    expect(new Set(on('Throttles'))).toEqual(new Set(functions));
  });

  it('alarms on webhook latency near Shopify’s 5 s, stream lag, SES reputation, quarantine growth and failed reconciliations', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: ALARM_THRESHOLDS.webhookLatencyP99Ms,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    expect(alarms().filter((a) => a.Properties.MetricName === 'IteratorAge')).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.BounceRate',
      Threshold: ALARM_THRESHOLDS.bounceRate,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.ComplaintRate',
      Threshold: ALARM_THRESHOLDS.complaintRate,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LoyaltyLoop',
      MetricName: 'WebhookQuarantined',
      Dimensions: [{ Name: 'service', Value: 'loyalty-loop-ingest' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LoyaltyLoop',
      MetricName: 'ReconciliationFailed',
    });
  });

  it('sends every alarm, and its recovery, to one topic, with the configured email subscribed', () => {
    for (const a of alarms()) {
      expect(a.Properties.AlarmActions).toEqual([topicRef()]);
      expect(a.Properties.OKActions).toEqual([topicRef()]);
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@bakery-demo.example',
      TopicArn: topicRef(),
    });
  });

  it('draws the same signals on a dashboard named after the stack, with its URL and the topic as outputs', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'LoyaltyLoop-operations' });
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.some((id) => id.startsWith('OperationsAlarmTopicArn'))).toBe(true);
    expect(outputs.some((id) => id.startsWith('OperationsDashboardUrl'))).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', Match.anyValue());
  });
});
