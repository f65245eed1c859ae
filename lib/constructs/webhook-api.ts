import { CfnOutput, Duration } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
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

    this.api = new HttpApi(this, 'Api', { description: 'Loyalty Loop: Shopify webhooks and admin API' });
    this.api.addRoutes({
      path: '/webhooks/shopify',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingest),
    });
    this.api.addRoutes({
      path: '/api/shops/{shop}/customers/{customerId}',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('AdminIntegration', this.admin),
    });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage | undefined;
    stage?.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingRateLimit: rateLimit,
      ThrottlingBurstLimit: rateLimit * 2,
    });

    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.apiEndpoint}/webhooks/shopify` });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'AdminApiKeyArn', { value: this.adminApiKey.secretArn });
  }
}
