import { Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DetailType, EVENT_SOURCE } from '../../functions/domain/events.ts';
import { actionStages, type Journey } from '../../functions/domain/journey.ts';
import { DEFAULTS, deadLetterQueue } from './defaults.ts';

/** The events the archive keeps for replay: what our rules and a merchant's act on, customers by id only. */
export const ARCHIVED_DETAIL_TYPES = [
  DetailType.StageChanged,
  DetailType.SegmentEntered,
  DetailType.SegmentExited,
  DetailType.CustomerUnsubscribed,
] as const;

export type JourneyBusProps = {
  /** @default `${stackName}-loyalty-loop` chosen by CloudFormation */
  readonly busName?: string;
};

/**
 * The custom bus every Loyalty Loop event goes through, with a week's archive for replay. Journey stage
 * actions are routed by one rule per stage (generated from the journeys), so a merchant's own
 * rules (Slack, another ESP) sit beside ours without touching our code.
 */
export class JourneyBus extends Construct {
  readonly bus: EventBus;
  readonly deadLetterQueue: Queue;
  readonly rules: Rule[] = [];

  constructor(scope: Construct, id: string, props: JourneyBusProps = {}) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', props.busName ? { eventBusName: props.busName } : {});
    new Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      // Listed, not "all but": `Email Sent` (one per email: a send history the archive could not
      // erase on a redaction) is never replayed, and a new detail type is archived only once
      // someone has checked what it carries.
      eventPattern: { source: [EVENT_SOURCE], detailType: [...ARCHIVED_DETAIL_TYPES] },
      retention: DEFAULTS.archiveRetention,
      description: 'Loyalty Loop events except Email Sent, for replay after an incident',
    });
    this.deadLetterQueue = deadLetterQueue(this, 'TargetDeadLetterQueue');
  }

  /** One rule per journey stage with an action: a `Journey Stage Changed` into that stage → `target`. */
  routeStageActions(journeys: readonly Journey[], target: IFunction): void {
    for (const { journey, stage } of actionStages(journeys)) {
      const rule = new Rule(this, `Stage-${journey.id}-${stage.id}`, {
        eventBus: this.bus,
        description: `${journey.name}: entering "${stage.id}" sends "${stage.action.template}"`,
        eventPattern: {
          source: [EVENT_SOURCE],
          detailType: [DetailType.StageChanged],
          // Only stage entries of subscribed customers can send an email: others never wake the sender.
          // History (backfill) enters stages silently: never emailed.
          detail: {
            journeyId: [journey.id],
            to: [stage.id],
            emailMarketing: ['subscribed'],
            backfill: [false],
          },
        },
      });
      rule.addTarget(
        new LambdaFunction(target, {
          retryAttempts: DEFAULTS.targetRetryAttempts,
          maxEventAge: DEFAULTS.targetMaxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      );
      this.rules.push(rule);
    }
  }
}
