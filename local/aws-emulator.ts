import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus, PutEventsEntry } from './event-bus.ts';

/**
 * The AWS JSON 1.1 APIs that have no npm emulator and that our functions call: EventBridge
 * PutEvents and Secrets Manager GetSecretValue. SDK clients reach it through
 * AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export class AwsEmulator {
  private readonly server: Server;
  private readonly bus: LocalEventBus;
  private readonly secrets: Map<string, string>;

  constructor(bus: LocalEventBus, secrets: Map<string, string>) {
    this.bus = bus;
    this.secrets = secrets;
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(body));
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
        },
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return [400, { __type: 'SerializationException', message: 'body is not JSON' }];
    }
    switch (target) {
      case 'AWSEvents.PutEvents': {
        const entries = input.Entries;
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
          return [400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' }];
        }
        return [200, this.bus.putEvents(entries as PutEventsEntry[])];
      }
      case 'secretsmanager.GetSecretValue': {
        const id = String(input.SecretId ?? '');
        const value = this.secrets.get(id);
        if (value === undefined) {
          return [
            400,
            {
              __type: 'ResourceNotFoundException',
              message: "Secrets Manager can't find the specified secret.",
            },
          ];
        }
        return [
          200,
          {
            ARN: id,
            Name: id.split(':').pop(),
            SecretString: value,
            VersionId: 'local',
            VersionStages: ['AWSCURRENT'],
          },
        ];
      }
      default:
        return [
          400,
          {
            __type: 'UnknownOperationException',
            message: `the local stack does not emulate ${target || 'this call'}`,
          },
        ];
    }
  }
}
