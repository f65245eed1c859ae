import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ItemKind } from '../../functions/adapters/store/item-kinds.ts';
import { DEFAULTS, deadLetterQueue } from './defaults.ts';
import { LoyaltyFunction } from './loyalty-function.ts';

export type SegmentEngineProps = {
  readonly table: ITable;
  readonly bus: IEventBus;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default 8 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly maxRecordAge?: Duration;
};

/**
 * Re-evaluates journey stages on every aggregate change: the table's stream, filtered to aggregate
 * items, feeds the evaluate function, which records the moves it finds (facts for analytics) and
 * puts stage events on the bus. A failing record fails
 * alone (partial batch responses), batches are bisected on error, retries and record age are
 * bounded, and what still fails is described in the DLQ.
 */
export class SegmentEngine extends Construct {
  readonly evaluate: LoyaltyFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SegmentEngineProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? DEFAULTS.streamBatchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(`SegmentEngine: batchSize must be an integer from 1 to 10000, got ${batchSize}`);
    }
    if (!props.table.tableStreamArn) throw new Error('SegmentEngine: the table needs a stream');
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.evaluate = new LoyaltyFunction(this, 'Evaluate', {
      name: 'evaluate',
      description: 'Turns aggregate changes into journey stage events',
      timeout: Duration.seconds(30),
    });
    this.evaluate.useBus(props.bus).useTable(props.table);
    this.evaluate.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize,
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? DEFAULTS.streamRetryAttempts,
        maxRecordAge: props.maxRecordAge ?? DEFAULTS.streamMaxRecordAge,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: { NewImage: { kind: { S: FilterRule.isEqual(ItemKind.Aggregate) } } },
          }),
        ],
      }),
    );
  }
}
