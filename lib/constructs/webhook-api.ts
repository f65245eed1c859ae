import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeManualRotation } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';

export type WebhookApiProps = {
  readonly table: ITable;
  /**
   * The Shopify app's client secret (plain, or JSON `{"current","previous"}` during rotation).
   * @default a new secret named `<stack>/shopify-webhook-secret` that you fill in after deploy
   */
  readonly webhookSecret?: ISecret;
  /**
   * Steady-state request rate limit of the API stage (requests per second).
   * @default 500
   */
  readonly rateLimit?: number;
};

/**
 * The HTTP API: `POST /webhooks/shopify` (ingest) and the authenticated admin routes under `/api`.
 */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly ingest: LoyaltyFunction;
  readonly admin: LoyaltyFunction;
  readonly webhookSecret: ISecret;
  readonly adminApiKey: Secret;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 500;
    if (!Number.isInteger(rateLimit) || rateLimit < 1)
      throw new Error(`WebhookApi: rateLimit must be a positive integer, got ${rateLimit}`);

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
    })
      .useTable(props.table, 'readWrite')
      .useSecret(this.webhookSecret, 'WEBHOOK_SECRET_ARN');

    this.admin = new LoyaltyFunction(this, 'Admin', {
      name: 'admin',
      description: 'Admin API: customer aggregates and journey stages',
    })
      .useTable(props.table, 'read')
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
    for (const path of [
      '/api/shops/{shop}/customers/{customerId}',
      '/api/shops/{shop}/data-requests/{requestId}',
    ]) {
      this.api.addRoutes({ path, methods: [HttpMethod.GET], integration: adminIntegration });
    }
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage | undefined;
    if (!stage) throw new Error('WebhookApi: the HTTP API has no default stage');
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

    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.apiEndpoint}/webhooks/shopify` });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'AdminApiKeyArn', { value: this.adminApiKey.secretArn });
  }
}
