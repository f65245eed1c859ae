import { CfnOutput, Stack } from 'aws-cdk-lib';
import {
  EmailIdentity,
  type IConfigurationSet,
  Identity,
  MailFromBehaviorOnMxFailure,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export type SenderIdentityProps = {
  /** The domain of the From address. */
  readonly domain: string;
  /** The configuration set its emails go through by default. */
  readonly configurationSet: IConfigurationSet;
  /** A custom MAIL FROM subdomain (`mail` → mail.{domain}), so SPF aligns with the From (DMARC). */
  readonly mailFromSubdomain?: string;
};

/**
 * The sender's SES domain identity with Easy DKIM (2048-bit), and what to publish in DNS for it as
 * stack outputs, one record each (`name TYPE value`): the three DKIM CNAMEs, the custom MAIL FROM's
 * MX and SPF records when one is set, and a DMARC record to start from. Bounces and complaints go
 * to the configuration set's event destination, not to the sender's mailbox (no feedback forwarding).
 */
export class SenderIdentity extends Construct {
  readonly identity: EmailIdentity;

  constructor(scope: Construct, id: string, props: SenderIdentityProps) {
    super(scope, id);
    const { domain } = props;
    const mailFrom = props.mailFromSubdomain ? `${props.mailFromSubdomain}.${domain}` : undefined;
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(domain),
      configurationSet: props.configurationSet,
      feedbackForwarding: false,
      ...(mailFrom
        ? {
            mailFromDomain: mailFrom,
            mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
          }
        : {}),
    });
    this.identity.dkimRecords.forEach((record, i) => {
      new CfnOutput(this, `DkimRecord${i + 1}`, {
        description: `DNS record ${i + 1} of 3 for DKIM (Easy DKIM): publish it, SES then verifies ${domain}`,
        value: `${record.name} CNAME ${record.value}`,
      });
    });
    if (mailFrom) {
      new CfnOutput(this, 'MailFromMx', {
        description: 'DNS record for the custom MAIL FROM domain (bounces reach SES through it)',
        value: `${mailFrom} MX 10 feedback-smtp.${Stack.of(this).region}.amazonses.com`,
      });
      new CfnOutput(this, 'MailFromSpf', {
        description: 'DNS record for the custom MAIL FROM domain: SPF, aligned with the From for DMARC',
        value: `${mailFrom} TXT "v=spf1 include:amazonses.com ~all"`,
      });
    }
    new CfnOutput(this, 'DmarcRecord', {
      description: 'A DMARC record to start from (monitor with p=none, then quarantine); unless one exists',
      value: `_dmarc.${domain} TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}"`,
    });
  }
}
