import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DetailType, EVENT_SOURCE } from '../../functions/domain/events.ts';
import type { TimingConfig } from '../../functions/domain/send-policy.ts';
import { acknowledgeManualRotation, DEFAULTS, deadLetterQueue } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';
import { SenderIdentity } from './sender-identity.ts';

export type EmailSenderProps = {
  readonly table: ITable;
  readonly bus: IEventBus;
  /** The From address; its domain (or the address itself) must be a verified SES identity. */
  readonly senderAddress: string;
  /**
   * The SES identity that authorises `senderAddress`.
   * @default the domain of senderAddress
   */
  readonly senderIdentity?: string;
  /** The shop's name in the emails' text. @default the journeys' `brandName` */
  readonly brand?: string;
  /** The From's display name; the address alone without one. */
  readonly senderName?: string;
  /** Where replies go (Reply-To). @default the From address */
  readonly replyTo?: string;
  /** The postal address every email's footer shows. */
  readonly postalAddress: string;
  /** A custom MAIL FROM subdomain of the sender's domain (see `SenderIdentity`). */
  readonly mailFromSubdomain?: string;
  /** Keep the unsubscribe-link key when the stack is deleted (with the data: `retainData`). @default true */
  readonly retainKeys?: boolean;
  /** An unsubscribe-link key kept from an earlier stack, used instead of a new one. */
  readonly existingUnsubscribeKeyArn?: string;
  /** The public HTTP API: unsubscribe links point at its `/unsubscribe` route, added here. */
  readonly api: HttpApi;
  /** The API's public base URL (its custom domain, if any). @default the API's endpoint */
  readonly publicBaseUrl?: string;
  /** The pepper of suppressed-address hashes and customer pseudonyms (`CustomerTable`). */
  readonly suppressionPepper: ISecret;
  /**
   * Put an `Email Sent` event on the bus for every email (one more event per email).
   * @default false
   */
  readonly emailSentEvents?: boolean;
  /**
   * The settle window: no email goes out sooner than this after its stage entry (the re-check at
   * its due time sees webhooks still on their way).
   * @default 10 minutes
   */
  readonly settle?: Duration;
  /** The sending policy over the journeys' own (frequency cap, quiet hours, time zone), validated at synth. */
  readonly timing?: TimingConfig;
  /** The shop's IANA time zone, for customers whose address gives none (unless the policy names one). */
  readonly timeZone?: string;
};

const EMAIL = /^[^@\s]+@([^@\s]+\.[^@\s]+)$/;

/**
 * The action function: re-checks the customer, claims the send ledger entry, sends through SES v2
 * with a configuration set (bounces and complaints suppressed account-wide), and may send only as
 * the configured identity through that configuration set. It also answers the unsubscribe links
 * its emails carry.
 */
export class EmailSender extends Construct {
  readonly action: LoyaltyFunction;
  readonly unsubscribe: LoyaltyFunction;
  /** `GET` and `POST /unsubscribe`: public, so the stack gives them a rate limit of their own. */
  readonly unsubscribeRoutes: HttpRoute[];
  readonly configurationSet: ConfigurationSet;
  readonly unsubscribeKey: ISecret;
  /** Stage events whose email failed after every retry, with the error, for redrive. */
  readonly failedSends: Queue;
  /** Suppresses addresses on SES bounce and complaint events. */
  readonly feedback: LoyaltyFunction;
  /** SES events the feedback function could not take after every retry. */
  readonly failedFeedback: Queue;
  /** Writes unsubscribes back to Shopify (customerEmailMarketingConsentUpdate). */
  readonly consentSync: LoyaltyFunction;
  /** Shop → Admin API access token (JSON); a shop without one is not written back. */
  readonly shopifyAdminTokens: Secret;
  /** Unsubscribes that could not be written back to Shopify after every retry. */
  readonly failedConsentSync: Queue;

  constructor(scope: Construct, id: string, props: EmailSenderProps) {
    super(scope, id);
    const match = EMAIL.exec(props.senderAddress);
    if (!match?.[1])
      throw new Error(`EmailSender: senderAddress "${props.senderAddress}" is not an email address`);
    const identity = props.senderIdentity ?? match[1];

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    // The sender's domain identity and its DNS records, unless an existing identity authorises it.
    if (!props.senderIdentity)
      new SenderIdentity(this, 'Sender', {
        domain: identity,
        configurationSet: this.configurationSet,
        ...(props.mailFromSubdomain ? { mailFromSubdomain: props.mailFromSubdomain } : {}),
      });
    // Links in emails already sent must keep working after a teardown: the key is kept with the
    // data (`retainData`), and a later stack re-attaches it (`existingUnsubscribeKeyArn`).
    if (props.existingUnsubscribeKeyArn)
      this.unsubscribeKey = Secret.fromSecretCompleteArn(
        this,
        'UnsubscribeKey',
        props.existingUnsubscribeKeyArn,
      );
    else {
      const key = new Secret(this, 'UnsubscribeKey', {
        description:
          'HMAC key that signs one-click unsubscribe links (plain, or {"current":"<id>","keys":{"<id>":"<key>"}})',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: props.retainKeys === false ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      acknowledgeManualRotation(
        key,
        'It signs the unsubscribe links of emails already sent (valid a year); an automatic rotation would ' +
          'silently break those links, which the law and mailbox providers require to keep working. It is ' +
          'rotated by hand with key ids, the previous key kept listed while its links live (README, Deploy).',
      );
      this.unsubscribeKey = key;
    }
    new CfnOutput(this, 'UnsubscribeKeyArn', {
      description: 'The unsubscribe-link key: re-attach it after a teardown (existingUnsubscribeKeyArn)',
      value: this.unsubscribeKey.secretArn,
    });

    this.failedSends = deadLetterQueue(this, 'FailedSends');
    this.action = new LoyaltyFunction(this, 'Action', {
      asyncFailureQueue: this.failedSends,
      name: 'action',
      description: 'Schedules journey stage emails and sends each once when due (re-checked)',
      // The dispatcher's run sends up to DISPATCH_LIMIT emails, 8 at a time.
      timeout: Duration.minutes(5),
      environment: {
        SENDER_ADDRESS: props.senderAddress,
        ...(props.senderName ? { SENDER_NAME: props.senderName } : {}),
        ...(props.brand ? { BRAND_NAME: props.brand } : {}),
        ...(props.replyTo ? { REPLY_TO_ADDRESS: props.replyTo } : {}),
        POSTAL_ADDRESS: props.postalAddress,
        CONFIGURATION_SET_NAME: this.configurationSet.configurationSetName,
        PUBLIC_BASE_URL: props.publicBaseUrl ?? props.api.apiEndpoint,
        EMAIL_SENT_EVENTS: String(props.emailSentEvents ?? false),
        SETTLE_SECONDS: String((props.settle ?? Duration.minutes(10)).toSeconds()),
        ...(props.timing ? { TIMING_POLICY: JSON.stringify(props.timing) } : {}),
        ...(props.timeZone ? { SHOP_TIME_ZONE: props.timeZone } : {}),
      },
    })
      .useTable(props.table)
      .useSecret(this.unsubscribeKey, 'UNSUBSCRIBE_SECRET_ARN')
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    // Only a sender that announces its emails may put events on the bus.
    if (props.emailSentEvents) this.action.useBus(props.bus);
    // The dispatcher: every minute, the sends due by then (pending sends, and failed ones due again).
    new Rule(this, 'DispatchSchedule', {
      description: 'Every minute: the journey emails due by now are re-checked and sent',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A run that fails is retried; the next run, a minute later, finds whatever it left due.
      targets: [new LambdaFunction(this.action, { retryAttempts: 2, deadLetterQueue: this.failedSends })],
    });

    this.unsubscribe = new LoyaltyFunction(this, 'Unsubscribe', {
      name: 'unsubscribe',
      description: 'One-click unsubscribe (RFC 8058) for journey emails',
    })
      .useTable(props.table)
      .useBus(props.bus)
      .useSecret(this.unsubscribeKey, 'UNSUBSCRIBE_SECRET_ARN')
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');

    // Unsubscribes go back to Shopify for shops with an Admin API token, retried off the request path.
    this.shopifyAdminTokens = new Secret(this, 'ShopifyAdminTokens', {
      description:
        'Shopify Admin API credentials as JSON {"<shop>.myshopify.com": {"clientId":"...","clientSecret":"..."} ' +
        'or "<shpat_ token>"} (README, Deploy); unsubscribes are written back to the shops listed',
      secretObjectValue: {},
    });
    acknowledgeManualRotation(
      this.shopifyAdminTokens,
      'Shopify issues and revokes Admin API tokens (app install / uninstall); AWS cannot rotate them.',
    );
    this.failedConsentSync = deadLetterQueue(this, 'FailedConsentSync');
    this.consentSync = new LoyaltyFunction(this, 'ConsentSync', {
      name: 'consent-sync',
      description: 'Writes unsubscribes back to Shopify (customerEmailMarketingConsentUpdate)',
      asyncFailureQueue: this.failedConsentSync,
      timeout: Duration.seconds(20),
      environment: { SHOPIFY_ADMIN_ORIGIN: 'https://{shop}' },
    }).useSecret(this.shopifyAdminTokens, 'SHOPIFY_ADMIN_TOKENS_SECRET_ARN');
    new Rule(this, 'ConsentSyncRule', {
      eventBus: props.bus,
      description: 'Customer Unsubscribed → the consent is written back to Shopify',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DetailType.CustomerUnsubscribed] },
    }).addTarget(
      new LambdaFunction(this.consentSync, {
        retryAttempts: DEFAULTS.targetRetryAttempts,
        maxEventAge: DEFAULTS.targetMaxEventAge,
        deadLetterQueue: this.failedConsentSync,
      }),
    );
    this.unsubscribeRoutes = props.api.addRoutes({
      path: '/unsubscribe',
      methods: [HttpMethod.GET, HttpMethod.POST],
      integration: new HttpLambdaIntegration('UnsubscribeIntegration', this.unsubscribe),
    });

    // Bounces and complaints: SES publishes them to the account's default bus (the only bus SES
    // supports); a rule picks this configuration set's events for the feedback function.
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('Feedback', {
      destination: EventDestination.eventBus(defaultBus),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    this.feedback = new LoyaltyFunction(this, 'Feedback', {
      name: 'feedback',
      description: 'Suppresses addresses that bounced permanently or complained',
    })
      .useTable(props.table)
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    this.failedFeedback = deadLetterQueue(this, 'FailedFeedback');
    new Rule(this, 'FeedbackRule', {
      eventBus: defaultBus,
      description: 'SES bounces and complaints of Loyalty Loop emails → suppression',
      eventPattern: {
        source: ['aws.ses'],
        detailType: ['Email Bounced', 'Email Complaint Received'],
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
      },
    }).addTarget(
      new LambdaFunction(this.feedback, {
        retryAttempts: DEFAULTS.targetRetryAttempts,
        maxEventAge: DEFAULTS.targetMaxEventAge,
        deadLetterQueue: this.failedFeedback,
      }),
    );

    const stack = Stack.of(this);
    this.action.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
          }),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': props.senderAddress } },
      }),
    );
  }
}
