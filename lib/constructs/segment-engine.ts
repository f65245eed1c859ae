import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
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
  /** The pepper of customer pseudonyms (redactions are checked by it). */
  readonly suppressionPepper: ISecret;
  /**
   * How often the sweep re-evaluates the customers whose time conditions flipped.
   * @default Duration.minutes(15)
   */
  readonly sweepEvery?: Duration;
};

/**
 * Re-evaluates journey stages on every aggregate change, and when time alone moves a customer (the
 * sweep): the table's stream, filtered to aggregate items, feeds the evaluate function, which records the moves it finds (facts for analytics) and
 * puts stage events on the bus. A failing record fails
 * alone (partial batch responses), batches are bisected on error, retries and record age are
 * bounded, and what still fails is described in the DLQ.
 */
export class SegmentEngine extends Construct {
  readonly evaluate: LoyaltyFunction;
  readonly deadLetterQueue: Queue;
  /** Re-evaluates customers whose time conditions flipped ("no order for 45 days"), on a schedule. */
  readonly sweep: LoyaltyFunction;

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
    // Time-based stages and segments: customers due by now, from the due index, re-evaluated at
    // their flip time through the apply path; the write's stream record reaches the evaluator.
    this.sweep = new LoyaltyFunction(this, 'Sweep', {
      name: 'sweep',
      description: 'Re-evaluates the customers whose time conditions flipped (time-based stages)',
      timeout: Duration.minutes(10),
    })
      .useTable(props.table)
      .useSecret(props.suppressionPepper, 'SUPPRESSION_PEPPER_SECRET_ARN');
    new Rule(this, 'SweepSchedule', {
      description: 'The customers whose time conditions flipped, re-evaluated',
      schedule: Schedule.rate(props.sweepEvery ?? Duration.minutes(15)),
      // A run that fails is retried; the next run finds whatever it left due.
      targets: [new LambdaFunction(this.sweep, { retryAttempts: 2, deadLetterQueue: this.deadLetterQueue })],
    });
  }
}
