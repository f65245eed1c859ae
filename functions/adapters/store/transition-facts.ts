import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SegmentTransition, StageTransition } from '#domain/journey.ts';
import { ItemKind } from './item-kinds.ts';
import { feedAttributes, transitionFactKey } from './keys.ts';
import type { StoreTable } from './table.ts';

/** The moves of one aggregate change, as the evaluator computed them. */
export type ChangeTransitions = {
  shop: string;
  customerId: string;
  /** The aggregate version that caused them (every move's entry id). */
  version: number;
  stages: readonly StageTransition[];
  segments: readonly SegmentTransition[];
  /** The change applied history (backfill, reindex): recorded, announced as backfill, never emailed. */
  silent: boolean;
};

/**
 * Stage moves and segment entries and exits in the fact log, one item each, keyed by the aggregate
 * version that caused it: a stream record delivered again writes the same items again, so each
 * move is recorded once, however often the evaluator sees it. In the analytics feed.
 */
export class TransitionFacts {
  private readonly table: StoreTable;

  constructor(table: StoreTable) {
    this.table = table;
  }

  async record({ shop, customerId, version, stages, segments, silent }: ChangeTransitions): Promise<void> {
    const items = [
      ...stages.map((t) => ({
        ...transitionFactKey(shop, customerId, { kind: 'stage', scope: t.journeyId, version }),
        fact: 'stage',
        journeyId: t.journeyId,
        from: t.from,
        to: t.to,
        at: t.occurredAt,
      })),
      ...segments.map((t) => ({
        ...transitionFactKey(shop, customerId, { kind: 'segment', scope: t.segmentId, version }),
        fact: 'segment',
        segmentId: t.segmentId,
        entered: t.entered,
        at: t.occurredAt,
      })),
    ];
    await Promise.all(
      items.map((item) =>
        this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...item,
              kind: ItemKind.Fact,
              customerId,
              version,
              silent,
              ...feedAttributes(shop, customerId, item.at),
            },
          }),
        ),
      ),
    );
  }
}
