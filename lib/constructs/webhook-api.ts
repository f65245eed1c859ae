import { CfnOutput, Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  ApiMapping,
  type CfnRoute,
  type CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeManualRotation } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';

export type WebhookApiProps = {
  readonly table: ITable;
  /** The pepper of customer pseudonyms, under which redactions are recorded (`CustomerTable`). */
  readonly suppressionPepper: ISecret;
  /**
   * The shops served: `*` or a list of `*.myshopify.com` domains. Webhooks of any other shop are
   * answered 200 and dropped (metric `UnservedShopDropped`): Shopify signs with the app's secret
   * whatever the shop, so a signed body could otherwise be re-sent under another shop's domain.
   */
  readonly shops: '*' | readonly string[];
  /**
   * The Shopify app's client secret (plain, or JSON `{"current","previous"}` during rotation).
   * @default a new secret named `<stack>/shopify-webhook-secret` that you fill in after deploy
   */
  readonly webhookSecret?: ISecret;
  /**
   * Steady-state request rate limit (requests per second; burst twice that) of every route without
   * a limit of its own: `POST /webhooks/shopify`.
   * @default 500
   */
  readonly rateLimit?: number;
  /**
   * Rate limit of each admin route (burst twice that), at most `rateLimit`.
   * @default 10
   */
  readonly adminRateLimit?: number;
  /**
   * The API's own domain and its ACM certificate (in the stack's region): links in emails and the
   * webhook URL use it. A CNAME from it to the `ApiDomainTarget` output completes it.
   */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
};

/** The route every other route is throttled below. */
const WEBHOOK_ROUTE = 'POST /webhooks/shopify';

type RouteThrottle = { ThrottlingRateLimit: number; ThrottlingBurstLimit: number };

/** A route's key as API Gateway knows it (`METHOD /path`). */
const routeKeyOf = (route: HttpRoute): string => (route.node.defaultChild as CfnRoute).routeKey;

/**
 * The HTTP API: `POST /webhooks/shopify` (ingest) and the authenticated admin routes under `/api`.
 * Every other route has a lower rate limit of its own than the webhook route (`limitRoutes`).
 */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  /** Where the API is reached from outside: `https://{domain}`, or the API's own endpoint. */
  readonly publicUrl: string;
  readonly ingest: LoyaltyFunction;
  readonly admin: LoyaltyFunction;
  readonly webhookSecret: ISecret;
  readonly adminApiKey: Secret;
  private readonly stage: CfnStage;
  private readonly rateLimit: number;
  private readonly routeThrottles: Record<string, RouteThrottle> = {};

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 500;
    if (!Number.isInteger(rateLimit) || rateLimit < 1)
      throw new Error(`WebhookApi: rateLimit must be a positive integer, got ${rateLimit}`);
    this.rateLimit = rateLimit;

    this.webhookSecret =
      props.webhookSecret ??
      new Secret(this, 'WebhookSecret', {
        description: "Shopify app client secret used to verify webhook HMACs (put the app's secret here)",
      });
    this.adminApiKey = new Secret(this, 'AdminApiKey', {
      description: 'Bearer key for the Loyalty Loop admin and analytics API',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });

    this.ingest = new LoyaltyFunction(this, 'Ingest', {
      name: 'ingest',
      description: 'Verifies Shopify webhooks and applies them to customer aggregates',
      timeout: Duration.seconds(5),
      environment: { SHOPS: props.shops === '*' ? '*' : props.shops.join(',') },
    })
      .useTable(props.table)
      .useSecret(this.webhookSecret, 'WEBHOOK_SECRET_ARN')
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');

    this.admin = new LoyaltyFunction(this, 'Admin', {
      name: 'admin',
      description: 'Admin API: customer aggregates and journey stages',
    })
      .useTable(props.table)
      .useSecret(this.adminApiKey, 'ADMIN_API_KEY_SECRET_ARN');

    acknowledgeManualRotation(
      this.webhookSecret,
      "It holds the Shopify app's client secret, which only Shopify can rotate; during a rotation it holds the " +
        'current and previous secret (README, Deploy).',
    );
    acknowledgeManualRotation(
      this.adminApiKey,
      'A bearer key handed to the admin API caller; rotating it is a coordinated change of the caller too ' +
        '(put a new value; functions re-read it within 5 minutes).',
    );

    this.api = new HttpApi(this, 'Api', { description: 'Loyalty Loop: Shopify webhooks and admin API' });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates in its function, as the callers require: Shopify signs webhooks with an ' +
        'HMAC of the raw body (verified in constant time; API Gateway authorizers cannot see the raw body), the ' +
        'admin API checks a bearer key from Secrets Manager in constant time, and unsubscribe links carry a ' +
        'signed, expiring token (RFC 8058 one-click requires an unauthenticated POST).',
    });
    this.api.addRoutes({
      path: '/webhooks/shopify',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingest),
    });
    const adminIntegration = new HttpLambdaIntegration('AdminIntegration', this.admin);
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage | undefined;
    if (!stage) throw new Error('WebhookApi: the HTTP API has no default stage');
    this.stage = stage;
    stage.routeSettings = Lazy.any({
      produce: () => (Object.keys(this.routeThrottles).length > 0 ? this.routeThrottles : undefined),
    });
    for (const [path, methods] of [
      ['/api/shops/{shop}/customers/{customerId}', [HttpMethod.GET]],
      ['/api/shops/{shop}/data-requests/{requestId}', [HttpMethod.GET]],
      ['/api/shops/{shop}/backfill', [HttpMethod.GET, HttpMethod.POST]],
      ['/api/shops/{shop}/reindex', [HttpMethod.GET, HttpMethod.POST]],
      ['/api/shops/{shop}/reconciliation', [HttpMethod.GET]],
    ] as const) {
      this.limitRoutes(
        this.api.addRoutes({ path, methods: [...methods], integration: adminIntegration }),
        props.adminRateLimit ?? 10,
      );
    }
    // A route added later (by another construct) must say how fast it may be called.
    this.node.addValidation({
      validate: () =>
        this.api.node.children
          .filter((child): child is HttpRoute => child instanceof HttpRoute)
          .map(routeKeyOf)
          .filter((key) => key !== WEBHOOK_ROUTE && !this.routeThrottles[key])
          .map((key) => `WebhookApi: route "${key}" has no rate limit of its own (limitRoutes)`),
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    stage.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingRateLimit: rateLimit,
      ThrottlingBurstLimit: rateLimit * 2,
    });
    // One JSON line per request: no query strings or bodies (unsubscribe tokens, customer data).
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        route: '$context.routeKey',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
        sourceIp: '$context.identity.sourceIp',
      }),
    };

    this.publicUrl = this.api.apiEndpoint;
    if (props.domain) {
      const domainName = new DomainName(this, 'Domain', {
        domainName: props.domain.name,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
      });
      new ApiMapping(this, 'DomainMapping', { api: this.api, domainName });
      this.publicUrl = `https://${props.domain.name}`;
      new CfnOutput(this, 'ApiDomainTarget', {
        description: `CNAME ${props.domain.name} to this (API Gateway's regional domain)`,
        value: domainName.regionalDomainName,
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.publicUrl });
    new CfnOutput(this, 'WebhookUrl', { value: `${this.publicUrl}/webhooks/shopify` });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'AdminApiKeyArn', { value: this.adminApiKey.secretArn });
  }

  /**
   * Gives routes a rate limit of their own (burst twice that), at most the webhook route's. Every
   * route has its own token bucket, but all share the account's API Gateway quota and Lambda
   * concurrency with `POST /webhooks/shopify`: a lower limit keeps a flood of public or admin
   * requests from using those up.
   */
  limitRoutes(routes: readonly HttpRoute[], rateLimit: number): void {
    if (!Number.isInteger(rateLimit) || rateLimit < 1 || rateLimit > this.rateLimit)
      throw new Error(
        `WebhookApi: a route rate limit must be an integer from 1 to the webhook route's ${this.rateLimit}, ` +
          `got ${rateLimit} for ${routes.map(routeKeyOf).join(', ')}`,
      );
    for (const route of routes) {
      this.routeThrottles[routeKeyOf(route)] = {
        ThrottlingRateLimit: rateLimit,
        ThrottlingBurstLimit: rateLimit * 2,
      };
      // API Gateway refuses route settings for a route it does not have yet.
      this.stage.node.addDependency(route);
    }
  }
}
