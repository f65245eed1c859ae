import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { CDK_JSON_CONTEXT } from '../support/cdk-context.ts';

const cdkContext = CDK_JSON_CONTEXT;
const synth = (context: Record<string, unknown>) =>
  Template.fromStack(buildApp({ context: { ...cdkContext, ...context } }).stack);
const REAL = {
  'loyaltyLoop:shops': 'rum-baba-bakery.myshopify.com',
  'loyaltyLoop:senderAddress': 'hello@rumbaba.shop',
  'loyaltyLoop:senderName': 'Rum Baba Bakery',
  'loyaltyLoop:replyTo': 'shop@rumbaba.shop',
  'loyaltyLoop:postalAddress': '4-5-6 Ebisu, Shibuya-ku, Tokyo 150-0013, Japan',
};
const actionEnvironment = (template: Template) => {
  const [action] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action' }) },
      },
    }),
  );
  return action?.Properties.Environment.Variables as Record<string, unknown>;
};

describe('the sender', () => {
  it('refuses to synthesize a real deploy without a sender, saying what to set (or how to ask for the demo)', () => {
    expect(() => synth({})).toThrow(
      /loyaltyLoop:senderAddress: no sender configured\. A real deploy names its sender: -c loyaltyLoop:senderAddress=.*loyaltyLoop:demo=true/s,
    );
    expect(() => synth({})).toThrow(
      /loyaltyLoop:postalAddress: every marketing email must show the sender's postal address/,
    );
    expect(() => synth({ ...REAL, 'loyaltyLoop:senderAddress': 'hello@bakery-demo.example' })).toThrow(
      /hello@bakery-demo\.example is at a reserved domain/,
    );
    expect(() => synth({ ...REAL, 'loyaltyLoop:apiDomain': 'api.rumbaba.shop' })).toThrow(
      /loyaltyLoop:apiCertificateArn: apiDomain and apiCertificateArn go together/,
    );
  });

  it('makes the domain identity with Easy DKIM and a custom MAIL FROM, and gives every DNS record as an output', () => {
    const template = synth({ ...REAL, 'loyaltyLoop:mailFromSubdomain': 'mail' });

    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'rumbaba.shop',
      MailFromAttributes: { MailFromDomain: 'mail.rumbaba.shop', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      FeedbackAttributes: { EmailForwardingEnabled: false },
      ConfigurationSetAttributes: Match.objectLike({}),
    });
    const outputs = template.findOutputs('*');
    const values = (suffix: RegExp) =>
      Object.entries(outputs)
        .filter(([id]) => suffix.test(id))
        .map(([, output]) => JSON.stringify(output.Value));
    expect(values(/DkimRecord\d/)).toHaveLength(3);
    expect(values(/DkimRecord1/)[0]).toMatch(/DkimDNSTokenName1.*CNAME.*DkimDNSTokenValue1/);
    expect(values(/MailFromMx/)[0]).toMatch(/mail\.rumbaba\.shop MX 10 feedback-smtp\..*amazonses\.com/);
    expect(values(/MailFromSpf/)).toEqual([
      JSON.stringify('mail.rumbaba.shop TXT "v=spf1 include:amazonses.com ~all"'),
    ]);
    expect(values(/DmarcRecord/)[0]).toContain('_dmarc.rumbaba.shop TXT \\"v=DMARC1; p=none');
  });

  it('gives the action function the display name, Reply-To and postal address every email carries', () => {
    const environment = actionEnvironment(synth(REAL));

    expect(environment).toMatchObject({
      SENDER_ADDRESS: 'hello@rumbaba.shop',
      SENDER_NAME: 'Rum Baba Bakery',
      REPLY_TO_ADDRESS: 'shop@rumbaba.shop',
      POSTAL_ADDRESS: '4-5-6 Ebisu, Shibuya-ku, Tokyo 150-0013, Japan',
    });
  });

  it("puts the API on the merchant's domain when given one: links and the webhook URL use it", () => {
    const template = synth({
      ...REAL,
      'loyaltyLoop:apiDomain': 'api.rumbaba.shop',
      'loyaltyLoop:apiCertificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    });

    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.rumbaba.shop',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }),
      ],
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(actionEnvironment(template).PUBLIC_BASE_URL).toBe('https://api.rumbaba.shop');
    const webhookUrl = Object.entries(template.findOutputs('*')).find(([id]) =>
      id.startsWith('WebhookApiWebhookUrl'),
    );
    expect(webhookUrl?.[1].Value).toBe('https://api.rumbaba.shop/webhooks/shopify');
  });

  it('makes no identity when an existing one authorises the sender; the demo stack says it is one', () => {
    const existing = synth({ ...REAL, 'loyaltyLoop:senderIdentity': 'hello@rumbaba.shop' });
    existing.resourceCountIs('AWS::SES::EmailIdentity', 0);

    const demo = synth({ 'loyaltyLoop:demo': 'true' });
    expect(actionEnvironment(demo)).toMatchObject({
      SENDER_ADDRESS: 'hello@bakery-demo.example',
      SENDER_NAME: 'Demo Bakery',
      POSTAL_ADDRESS: expect.stringContaining('(demo)'),
    });
  });
});
