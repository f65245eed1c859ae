import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AsyncInvoker } from './async-invoker.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { LocalEventBus, PutEventsEntry } from './event-bus.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { LOCAL_ACCOUNT } from './template.ts';

/** What the emulator answers for: the bus, the secrets, the queues and the functions. */
export type EmulatedServices = {
  bus: LocalEventBus;
  secrets: Map<string, string>;
  deadLetters: DeadLetters;
  functions: Map<string, LocalFunction>;
  invoker: AsyncInvoker;
  /** Local queue names are `{stackName}-{logicalId}`, as CloudFormation names them in AWS. */
  stackName: string;
};

/**
 * The AWS APIs that have no npm emulator and that the functions or the operator commands call:
 * EventBridge PutEvents, Secrets Manager GetSecretValue (JSON 1.1), SQS ListQueues /
 * GetQueueAttributes / ReceiveMessage / DeleteMessage on the dead-letter queues (JSON 1.0) and
 * Lambda Invoke (REST). SDK clients reach it through AWS_ENDPOINT_URL_*.
 */
export class AwsEmulator {
  private readonly server: Server;
  private readonly services: EmulatedServices;
  private endpoint = '';

  constructor(services: EmulatedServices) {
    this.services = services;
    this.server = createServer((req, res) => {
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
      void (invoke ? this.invoke(req, decodeURIComponent(invoke[1] ?? '')) : this.handle(req)).then(
        ([status, body, headers = {}]) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
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
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  private queueUrl(queueId: string): string {
    return `${this.endpoint}/${LOCAL_ACCOUNT}/${this.services.stackName}-${queueId}`;
  }

  private queueId(url: unknown): string | null {
    const name = String(url ?? '')
      .split('/')
      .pop();
    const prefix = `${this.services.stackName}-`;
    const id = name?.startsWith(prefix) ? name.slice(prefix.length) : null;
    return id && this.services.deadLetters.queueIds.includes(id) ? id : null;
  }

  /** Lambda Invoke: `Event` goes through Lambda's async retries; `RequestResponse` answers the result. */
  private async invoke(
    req: IncomingMessage,
    name: string,
  ): Promise<[number, unknown, Record<string, string>?]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const id = name.split(':function:').pop()?.split(':')[0] ?? name;
    const fn = this.services.functions.get(id);
    if (!fn) return [404, { __type: 'ResourceNotFoundException', message: `Function not found: ${name}` }];
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return [400, { __type: 'InvalidRequestContentException', message: 'payload is not JSON' }];
    }
    if (req.headers['x-amz-invocation-type'] === 'Event') {
      this.services.invoker.invoke(fn, payload);
      return [202, {}];
    }
    try {
      return [200, (await fn.invoke(payload)) ?? null];
    } catch (error) {
      return [
        200,
        { errorType: (error as Error).name, errorMessage: (error as Error).message },
        { 'x-amz-function-error': 'Unhandled' },
      ];
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown, Record<string, string>?]> {
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
        return [200, this.services.bus.putEvents(entries as PutEventsEntry[])];
      }
      case 'secretsmanager.GetSecretValue': {
        const id = String(input.SecretId ?? '');
        const value = this.services.secrets.get(id);
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
      case 'AmazonSQS.ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        return [
          200,
          {
            QueueUrls: this.services.deadLetters.queueIds
              .map((id) => this.queueUrl(id))
              .filter((url) => url.split('/').pop()?.startsWith(prefix)),
          },
        ];
      }
      case 'AmazonSQS.GetQueueAttributes':
      case 'AmazonSQS.ReceiveMessage':
      case 'AmazonSQS.DeleteMessage': {
        const queueId = this.queueId(input.QueueUrl);
        if (!queueId)
          return [
            400,
            { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
          ];
        const { deadLetters } = this.services;
        if (target === 'AmazonSQS.GetQueueAttributes')
          return [200, { Attributes: { ApproximateNumberOfMessages: String(deadLetters.count(queueId)) } }];
        if (target === 'AmazonSQS.ReceiveMessage') {
          const max = Math.min(10, Math.max(1, Number(input.MaxNumberOfMessages ?? 1)));
          const messages = deadLetters.receive(queueId, max, Number(input.VisibilityTimeout ?? 30));
          return [200, messages.length > 0 ? { Messages: messages } : {}];
        }
        if (!deadLetters.delete(queueId, String(input.ReceiptHandle ?? '')))
          return [
            400,
            {
              __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid',
              message: 'The receipt handle is not valid.',
            },
          ];
        return [200, {}];
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
