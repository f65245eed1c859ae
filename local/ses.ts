import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { shopTag } from '#adapters/ses-mail.ts';
import { freePort } from './ports.ts';

// A CommonJS module whose default export Node and Vite interoperate differently: require it.
type StartSes = (config: { host: string; port: number }) => Promise<Server>;
const startSesServer = (createRequire(import.meta.url)('aws-ses-v2-local') as { default: StartSes }).default;

/** One email as the local contract shows it at `GET /_local/emails`. */
export type LocalEmail = {
  messageId: string;
  /** The From as sent: an address, or `"Name" <address>`. */
  from: string;
  to: string[];
  /** Reply-To addresses (empty without). */
  replyTo: string[];
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  sentAt: string;
};

type StoredEmail = {
  messageId: string;
  from: string;
  destination: { to: string[] };
  replyTo?: string[];
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
  at: number;
};

/**
 * The EventBridge entry SES publishes for a bounce or a complaint of an email sent through a
 * configuration set with an EventBridge destination (`source: aws.ses`, SES's event record as
 * `detail`). The emulator cannot bounce, so the local stack publishes these on request.
 */
export const sesFeedbackEntry = (feedback: {
  type: 'Bounce' | 'Complaint';
  to: string;
  shop: string;
  bounceType: string;
  configurationSet: string;
  busName: string;
  at: Date;
}) => {
  const recipients = [{ emailAddress: feedback.to }];
  const detail = {
    eventType: feedback.type,
    mail: {
      timestamp: feedback.at.toISOString(),
      messageId: `local-${feedback.at.getTime()}`,
      destination: [feedback.to],
      tags: {
        'ses:configuration-set': [feedback.configurationSet],
        shop: [shopTag(feedback.shop)],
      },
    },
    ...(feedback.type === 'Bounce'
      ? {
          bounce: {
            bounceType: feedback.bounceType,
            bounceSubType: 'General',
            bouncedRecipients: recipients,
          },
        }
      : { complaint: { complainedRecipients: recipients, complaintFeedbackType: 'abuse' } }),
  };
  return {
    Source: 'aws.ses',
    DetailType: feedback.type === 'Bounce' ? 'Email Bounced' : 'Email Complaint Received',
    Detail: JSON.stringify(detail),
    EventBusName: feedback.busName,
  };
};

/** The SES v2 emulator (aws-ses-v2-local) on a free loopback port. */
export class SesLocal {
  readonly endpoint: string;
  private readonly server: Server;

  private constructor(endpoint: string, server: Server) {
    this.endpoint = endpoint;
    this.server = server;
  }

  static async start(): Promise<SesLocal> {
    const port = await freePort();
    const server = await startSesServer({ host: '127.0.0.1', port });
    return new SesLocal(`http://127.0.0.1:${port}`, server);
  }

  async emails(): Promise<LocalEmail[]> {
    const response = await fetch(`${this.endpoint}/store`);
    if (!response.ok) throw new Error(`SES emulator answered ${response.status}`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    return emails.map((e) => ({
      messageId: e.messageId,
      from: e.from,
      to: e.destination.to,
      replyTo: e.replyTo ?? [],
      subject: e.subject,
      html: e.body.html ?? '',
      text: e.body.text ?? '',
      headers: Object.fromEntries((e.headers ?? []).map((h) => [h.name, h.value])),
      sentAt: new Date(e.at * 1000).toISOString(),
    }));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
