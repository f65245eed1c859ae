import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { DEMO_CONTEXT as cdkContext } from '../support/cdk-context.ts';

const synth = (context: Record<string, unknown>) => {
  const { stack } = buildApp({ context: { ...cdkContext, ...context } });
  return Template.fromStack(stack);
};

describe('the sending policy and the settle window, as a deployment sets them', () => {
  it('hands the action function the stack’s policy, its time zone and settle window', () => {
    const template = synth({
      'loyaltyLoop:timing': '{"quietHours":{"start":"22:00","end":"07:00"}}',
      'loyaltyLoop:settleMinutes': 5,
      'loyaltyLoop:timeZone': 'Asia/Tokyo',
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action',
          TIMING_POLICY: '{"quietHours":{"start":"22:00","end":"07:00"}}',
          SHOP_TIME_ZONE: 'Asia/Tokyo',
          SETTLE_SECONDS: '300',
        }),
      },
    });
  });

  it.each([
    [
      { 'loyaltyLoop:timing': { frequencyCap: [{ hours: 16, max: 0 }] } },
      /loyaltyLoop:timing\.frequencyCap\.0\.max: a cap of 0 would send nothing/,
    ],
    [
      { 'loyaltyLoop:timing': '{"quietHours":{"start":"9pm","end":"08:00"}}' },
      /loyaltyLoop:timing\.quietHours\.start: a time of day as HH:MM/,
    ],
    [{ 'loyaltyLoop:settleMinutes': -1 }, /loyaltyLoop:settleMinutes/],
    [{ 'loyaltyLoop:sweepMinutes': 0 }, /loyaltyLoop:sweepMinutes/],
  ])('refuses %j at synth, clearly', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
