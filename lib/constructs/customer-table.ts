import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DUE_INDEX,
  DUE_PK,
  DUE_SK,
  FEED_INDEX,
  FEED_PK,
  FEED_SK,
} from '../../functions/adapters/store/keys.ts';
import { acknowledgeManualRotation } from './defaults.ts';

export type CustomerTableProps = {
  /**
   * Keep the table (and refuse to delete it) when the stack is deleted: it holds the merchant's
   * customer history. Turn off only for throwaway stacks.
   * @default true
   */
  readonly retain?: boolean;
  /** The new table's name. @default one CloudFormation makes up */
  readonly tableName?: string;
  /**
   * A table kept from an earlier stack, re-attached instead of creating one: its stream ARN (the
   * table's name is in it) and its suppression pepper. The stack neither changes nor deletes them.
   */
  readonly existing?: {
    readonly tableName: string;
    readonly streamArn: string;
    readonly pepperSecretArn: string;
  };
};

/**
 * One on-demand table for every item (aggregates, orders, send ledger, shop state, privacy
 * requests, suppressions, quarantine; key layout in functions/adapters/store/keys.ts):
 * point-in-time recovery, encryption at rest, a TTL attribute, and a NEW_AND_OLD_IMAGES stream so
 * the segment engine sees each aggregate before and after a change.
 */
export class CustomerTable extends Construct {
  readonly table: ITable;
  /**
   * The secret pepper (HMAC key) of the hashes that outlive a customer's data: suppressed
   * addresses and redacted customers' pseudonyms. Kept (or deleted) with the table it keys.
   */
  readonly suppressionPepper: ISecret;

  constructor(scope: Construct, id: string, props: CustomerTableProps = {}) {
    super(scope, id);
    const { existing } = props;
    if (existing) {
      this.table = Table.fromTableAttributes(this, 'Table', {
        tableName: existing.tableName,
        tableStreamArn: existing.streamArn,
      });
      this.suppressionPepper = Secret.fromSecretCompleteArn(
        this,
        'SuppressionPepper',
        existing.pepperSecretArn,
      );
    } else {
      const created = CustomerTable.create(this, props);
      this.table = created.table;
      this.suppressionPepper = created.pepper;
    }
    // Operator commands (npm run redrive) name the table with this output.
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    // For `npm run redrive -- --pepper-secret`: redriven webhooks are checked against redactions.
    new CfnOutput(this, 'PepperSecretArn', { value: this.suppressionPepper.secretArn });
    // For re-attaching the table to a new stack after a teardown (README: Teardown).
    if (this.table.tableStreamArn)
      new CfnOutput(this, 'TableStreamArn', { value: this.table.tableStreamArn });
  }

  private static create(scope: Construct, props: CustomerTableProps) {
    const retain = props.retain ?? true;
    const table = new Table(scope, 'Table', {
      ...(props.tableName ? { tableName: props.tableName } : {}),
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The analytics feed: a sparse index over aggregates, order facts, sends and suppressions, so
    // an analytics refresh queries a shop's facts instead of scanning the table.
    table.addGlobalSecondaryIndex({
      indexName: FEED_INDEX,
      partitionKey: { name: FEED_PK, type: AttributeType.STRING },
      sortKey: { name: FEED_SK, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // What is due at a time (pending sends): the dispatcher reads only what is due by now, never
    // a scan. Keys only: it reads each send's own item when it fires it.
    table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX,
      partitionKey: { name: DUE_PK, type: AttributeType.STRING },
      sortKey: { name: DUE_SK, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    const pepper = new Secret(scope, 'SuppressionPepper', {
      description:
        'HMAC key (pepper) of the hashes that outlive customer data: suppressed addresses, redacted customers',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledgeManualRotation(
      pepper,
      'Suppressions and redaction records are stored under an HMAC keyed with this pepper, and neither the ' +
        'address nor the customer id is kept; a rotated pepper would orphan every existing opt-out, bounce ' +
        'and complaint (email would go to them again) and every redaction record.',
    );
    return { table, pepper };
  }
}
