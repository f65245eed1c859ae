import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export type CustomerTableProps = {
  /**
   * Keep the table (and refuse to delete it) when the stack is deleted: it holds the merchant's
   * customer history. Turn off only for throwaway stacks.
   * @default true
   */
  readonly retain?: boolean;
};

/**
 * One on-demand table for every item (aggregates, orders, send ledger, shop state, privacy
 * requests, suppressions, quarantine; key layout in functions/adapters/store/keys.ts):
 * point-in-time recovery, encryption at rest, a TTL attribute, and a NEW_AND_OLD_IMAGES stream so
 * the segment engine sees each aggregate before and after a change.
 */
export class CustomerTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: CustomerTableProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.table = new Table(this, 'Table', {
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
    // Operator commands (npm run redrive) name the table with this output.
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
