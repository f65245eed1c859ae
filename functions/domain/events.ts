import { z } from 'zod';
import type { SegmentTransition, StageTransition } from './journey.ts';

/** The `source` of every event Loyalty Loop puts on its bus. */
export const EVENT_SOURCE = 'loyalty-loop';

export const DetailType = {
  StageChanged: 'Journey Stage Changed',
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
  /** Aggregate version that caused the stage change; identifies one entry into a stage. */
  entryId: z.number().int().nonnegative(),
};

/** A customer moved between stages of a journey: `from` left (null: none), `to` entered (null: none). */
export const StageChangedDetail = z.object({
  ...base,
  from: z.string().min(1).nullable(),
  to: z.string().min(1).nullable(),
  occurredAt: z.iso.datetime(),
  /**
   * The customer's email marketing state at the change. The action rules route only `subscribed`
   * entries to the email sender (which checks consent again before sending).
   */
  emailMarketing: z.string(),
  /**
   * True when history caused the change (backfill, reindex): the stage is entered at its
   * historical time but nobody is emailed for it. The action rules route only `false`.
   */
  backfill: z.boolean().default(false),
});
export type StageChangedDetail = z.input<typeof StageChangedDetail>;

/** A stage change that entered a stage: what the email sender acts on. */
export const StageEntryDetail = StageChangedDetail.extend({ to: z.string().min(1) });
export type StageEntryDetail = z.infer<typeof StageEntryDetail>;

export const EmailSentDetail = z.object({
  ...base,
  stageId: z.string().min(1),
  template: z.string(),
  messageId: z.string(),
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
  /** True when history caused the change (backfill, reindex). */
  backfill: z.boolean().default(false),
});
export type SegmentChangeDetail = z.input<typeof SegmentChangeDetail>;

/** A customer used an email's unsubscribe link; Loyalty Loop stopped emailing them at `occurredAt`. */
export const CustomerUnsubscribedDetail = z.object({
  eventId: z.string().min(1),
  shop: z.string().min(1),
  customerId: z.string().regex(/^\d+$/),
  occurredAt: z.iso.datetime(),
});
export type CustomerUnsubscribedDetail = z.infer<typeof CustomerUnsubscribedDetail>;

export type BusEvent =
  | { detailType: typeof DetailType.StageChanged; detail: StageChangedDetail }
  | { detailType: typeof DetailType.EmailSent; detail: EmailSentDetail }
  | {
      detailType: typeof DetailType.SegmentEntered | typeof DetailType.SegmentExited;
      detail: SegmentChangeDetail;
    }
  | { detailType: typeof DetailType.CustomerUnsubscribed; detail: CustomerUnsubscribedDetail };

/** The id of the `Journey Stage Changed` event of one stage entry (the email's event id builds on it). */
export const stageChangedEventId = (shop: string, customerId: string, journeyId: string, entryId: number) =>
  `${shop}/${customerId}/${journeyId}/changed/${entryId}`;

/** One event per journey whose stage changed (from the stage left to the stage entered). */
export const transitionEvents = (
  shop: string,
  customerId: string,
  transitions: readonly StageTransition[],
  emailMarketing: string,
  backfill = false,
): BusEvent[] =>
  transitions.map((t) => ({
    detailType: DetailType.StageChanged,
    detail: {
      eventId: stageChangedEventId(shop, customerId, t.journeyId, t.entryId),
      shop,
      customerId,
      journeyId: t.journeyId,
      from: t.from,
      to: t.to,
      entryId: t.entryId,
      occurredAt: t.occurredAt,
      emailMarketing,
      backfill,
    },
  }));

export const segmentEvents = (
  shop: string,
  customerId: string,
  transitions: readonly SegmentTransition[],
  backfill = false,
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
      backfill,
    },
  }));
