import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ItemKind, PENDING } from '../../functions/adapters/store/item-kinds.ts';
import { DEFAULTS, deadLetterQueue } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';

export type PrivacyProps = {
  readonly table: ITable;
  /** The pepper of suppressed-address hashes and customer pseudonyms (`CustomerTable`). */
  readonly suppressionPepper: ISecret;
};

/**
 * Carries out Shopify's mandatory compliance requests (customers/redact, shop/redact) outside
 * the webhook's 5-second budget: the ingest function records each request; this function,
 * fed by the table's stream with only pending requests, deletes what it must. A shop too large
 * for one run records a cursor and continues in the next.
 */
export class Privacy extends Construct {
  readonly worker: LoyaltyFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.worker = new LoyaltyFunction(this, 'Worker', {
      name: 'privacy',
      description: 'Carries out customers/redact and shop/redact',
      timeout: Duration.minutes(5),
    })
      .useTable(props.table)
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    this.worker.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 1,
        retryAttempts: DEFAULTS.streamRetryAttempts,
        maxRecordAge: DEFAULTS.streamMaxRecordAge,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: {
              NewImage: {
                kind: { S: FilterRule.isEqual(ItemKind.Privacy) },
                status: { S: FilterRule.isEqual(PENDING) },
              },
            },
          }),
        ],
      }),
    );
  }
}
