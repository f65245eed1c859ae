import { z } from 'zod';
import type { SegmentTransition, StageTransition } from './journey.ts';

/** The `source` of every event Loyalty Loop puts on its bus. */
export const EVENT_SOURCE = 'loyalty-loop';

export const DetailType = {
  StageEntered: 'Journey Stage Entered',
  StageExited: 'Journey Stage Exited',
  EmailSent: 'Email Sent',
  SegmentEntered: 'Segment Entered',
  SegmentExited: 'Segment Exited',
  CustomerUnsubscribed: 'Customer Unsubscribed',
} as const;

const base = {
  /** Deterministic: the same change always yields the same id, so consumers can dedupe on it. */
  eventId: z.string().min(1),
  shop: z.string().min(1),
  customerId: z.string().min(1),
  journeyId: z.string().min(1),
  stageId: z.string().min(1),
  /** Aggregate version that caused the stage entry; identifies one entry into a stage. */
  entryId: z.number().int().nonnegative(),
};

export const StageEnteredDetail = z.object({
  ...base,
  previousStageId: z.string().nullable(),
  occurredAt: z.iso.datetime(),
  /**
   * The customer's email marketing state when they entered the stage. The action rule routes only
   * `subscribed` entries to the email sender (which checks consent again before sending).
   */
  emailMarketing: z.string().optional(),
});
export type StageEnteredDetail = z.infer<typeof StageEnteredDetail>;

export const StageExitedDetail = z.object({
  ...base,
  nextStageId: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});
export type StageExitedDetail = z.infer<typeof StageExitedDetail>;

export const EmailSentDetail = z.object({
  ...base,
  template: z.string(),
  messageId: z.string(),
  to: z.string(),
  sentAt: z.iso.datetime(),
});
export type EmailSentDetail = z.infer<typeof EmailSentDetail>;

export const SegmentChangeDetail = z.object({
  eventId: z.string().min(1),
  shop: z.string().min(1),
  customerId: z.string().min(1),
  segmentId: z.string().min(1),
  entryId: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime(),
});
export type SegmentChangeDetail = z.infer<typeof SegmentChangeDetail>;

/** A customer used an email's unsubscribe link; Loyalty Loop stopped emailing them at `occurredAt`. */
export const CustomerUnsubscribedDetail = z.object({
  eventId: z.string().min(1),
  shop: z.string().min(1),
  customerId: z.string().regex(/^\d+$/),
  occurredAt: z.iso.datetime(),
});
export type CustomerUnsubscribedDetail = z.infer<typeof CustomerUnsubscribedDetail>;

export type BusEvent =
  | { detailType: typeof DetailType.StageEntered; detail: StageEnteredDetail }
  | { detailType: typeof DetailType.StageExited; detail: StageExitedDetail }
  | { detailType: typeof DetailType.EmailSent; detail: EmailSentDetail }
  | {
      detailType: typeof DetailType.SegmentEntered | typeof DetailType.SegmentExited;
      detail: SegmentChangeDetail;
    }
  | { detailType: typeof DetailType.CustomerUnsubscribed; detail: CustomerUnsubscribedDetail };

const eventId = (
  shop: string,
  customerId: string,
  journeyId: string,
  stageId: string,
  verb: string,
  entry: number,
) => `${shop}/${customerId}/${journeyId}/${stageId}/${verb}/${entry}`;

/** Each transition becomes an exit event (when it left a stage) and an entry event (when it entered one). */
export const transitionEvents = (
  shop: string,
  customerId: string,
  transitions: readonly StageTransition[],
  emailMarketing: string,
): BusEvent[] =>
  transitions.flatMap((t) => {
    const events: BusEvent[] = [];
    if (t.from !== null) {
      events.push({
        detailType: DetailType.StageExited,
        detail: {
          eventId: eventId(shop, customerId, t.journeyId, t.from, 'exited', t.entryId),
          shop,
          customerId,
          journeyId: t.journeyId,
          stageId: t.from,
          nextStageId: t.to,
          entryId: t.entryId,
          occurredAt: t.occurredAt,
        },
      });
    }
    if (t.to !== null) {
      events.push({
        detailType: DetailType.StageEntered,
        detail: {
          eventId: eventId(shop, customerId, t.journeyId, t.to, 'entered', t.entryId),
          shop,
          customerId,
          journeyId: t.journeyId,
          stageId: t.to,
          previousStageId: t.from,
          entryId: t.entryId,
          occurredAt: t.occurredAt,
          emailMarketing,
        },
      });
    }
    return events;
  });

export const segmentEvents = (
  shop: string,
  customerId: string,
  transitions: readonly SegmentTransition[],
): BusEvent[] =>
  transitions.map((t) => ({
    detailType: t.entered ? DetailType.SegmentEntered : DetailType.SegmentExited,
    detail: {
      eventId: `${shop}/${customerId}/segment/${t.segmentId}/${t.entered ? 'entered' : 'exited'}/${t.entryId}`,
      shop,
      customerId,
      segmentId: t.segmentId,
      entryId: t.entryId,
      occurredAt: t.occurredAt,
    },
  }));
