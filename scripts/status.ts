import { parseArgs } from 'node:util';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { awsTarget, localTarget, type Target } from './operator-target.ts';
import { listQuarantine } from './redrive/quarantine-redrive.ts';
import { runMain } from './run-main.ts';

/**
 * What an operator looks at first when something is wrong: dead-letter queue depths, quarantined
 * webhooks per shop and reason, functions' recent errors and, on AWS, the alarms that are firing.
 *
 *   npm run status -- --local http://127.0.0.1:3000           # a local stack
 *   npm run status -- --stack LoyaltyLoop --table <TableName>  # a deployed one (stack outputs)
 *   ... --json                                                # the same as JSON
 */
export type Status = {
  deadLetters: { queue: string; messages: number }[];
  quarantine: { shop: string; reason: string; count: number; latest: string }[];
  /** Per function (its name or local id): failed invocations in the window, and the latest few. */
  errors: { function: string; count: number; latest: { at: string; message: string }[] }[];
  /** AWS only: alarms in ALARM; null locally (no CloudWatch). */
  alarms: { name: string; reason: string; since: string }[] | null;
  /** What `errors` covers. */
  window: string;
};

const queueDepths = async (target: Target): Promise<Status['deadLetters']> => {
  const { QueueUrls = [] } = await target.sqs.send(
    new ListQueuesCommand({ QueueNamePrefix: target.queuePrefix }),
  );
  return Promise.all(
    QueueUrls.map(async (url) => {
      const { Attributes = {} } = await target.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      return {
        queue: url.split('/').pop() ?? url,
        messages: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      };
    }),
  );
};

const quarantineCounts = async (target: Target): Promise<Status['quarantine']> => {
  const groups = new Map<string, Status['quarantine'][number]>();
  for (const item of await listQuarantine(target)) {
    const shop = item.headers['x-shopify-shop-domain'] ?? item.pk.split('#')[1] ?? '?';
    const reason = item.reason.replace(/\d+/g, 'N').slice(0, 120);
    const key = `${shop}\n${reason}`;
    const group = groups.get(key) ?? { shop, reason, count: 0, latest: item.receivedAt };
    group.count++;
    if (item.receivedAt > group.latest) group.latest = item.receivedAt;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
};

const LocalHealth = z.object({
  functions: z.array(
    z.object({
      id: z.string(),
      errors: z.number(),
      recentErrors: z.array(z.object({ at: z.string(), message: z.string() })),
    }),
  ),
});

/** A local stack's functions' failures since it started (its health endpoint counts them). */
const localErrors = async (url: string): Promise<Status['errors']> => {
  const health = LocalHealth.parse(await (await fetch(`${url}/_local/health`)).json());
  return health.functions
    .filter((fn) => fn.errors > 0)
    .map((fn) => ({ function: fn.id, count: fn.errors, latest: fn.recentErrors.slice(-3) }));
};

/** A deployed stack's functions' ERROR log lines of the last hour (Powertools JSON logs). */
const awsErrors = async (stack: string, since: number): Promise<Status['errors']> => {
  const logs = new CloudWatchLogsClient({});
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: stack }));
  const errors: Status['errors'] = [];
  for (const group of logGroups) {
    const { events = [] } = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: group.logGroupName,
        startTime: since,
        filterPattern: '{ $.level = "ERROR" }',
        limit: 50,
      }),
    );
    if (events.length === 0) continue;
    errors.push({
      function: group.logGroupName ?? '?',
      count: events.length,
      latest: events.slice(-3).map((e) => ({
        at: new Date(e.timestamp ?? 0).toISOString(),
        message: (e.message ?? '').slice(0, 500),
      })),
    });
  }
  return errors;
};

const firingAlarms = async (stack: string): Promise<NonNullable<Status['alarms']>> => {
  const { MetricAlarms = [] } = await new CloudWatchClient({}).send(
    new DescribeAlarmsCommand({ AlarmNamePrefix: stack, StateValue: 'ALARM' }),
  );
  return MetricAlarms.map((a) => ({
    name: a.AlarmName ?? '?',
    reason: a.AlarmDescription ?? a.StateReason ?? '',
    since: a.StateUpdatedTimestamp?.toISOString() ?? '',
  }));
};

export const parseStatusCommand = (args: string[]) => {
  const { values } = parseArgs({
    args,
    options: {
      local: { type: 'string' },
      stack: { type: 'string', default: 'LoyaltyLoop' },
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.local && !values.table)
    throw new Error('pass --local URL, or --table (stack output TableName) [--stack NAME]');
  return values;
};

/** The status of a local stack (`local`) or of a deployed one (`stack`, `table`). */
export const status = async (command: ReturnType<typeof parseStatusCommand>): Promise<Status> => {
  if (command.local) {
    const target = await localTarget(command.local);
    const [deadLetters, quarantine, errors] = await Promise.all([
      queueDepths(target),
      quarantineCounts(target),
      localErrors(command.local),
    ]);
    return { deadLetters, quarantine, errors, alarms: null, window: 'since the local stack started' };
  }
  const target = awsTarget({ queuePrefix: command.stack, tableName: command.table ?? '', webhookUrl: '' });
  const [deadLetters, quarantine, errors, alarms] = await Promise.all([
    queueDepths(target),
    quarantineCounts(target),
    awsErrors(command.stack, Date.now() - 3_600_000),
    firingAlarms(command.stack),
  ]);
  return { deadLetters, quarantine, errors, alarms, window: 'the last hour' };
};

/** The status as an operator reads it in a terminal. */
export const formatStatus = (s: Status): string => {
  const lines: string[] = [];
  const waiting = s.deadLetters.reduce((sum, q) => sum + q.messages, 0);
  lines.push(
    `Dead-letter queues: ${waiting === 0 ? 'empty' : `${waiting} message(s) — npm run redrive -- list`}`,
  );
  for (const q of s.deadLetters.filter((q) => q.messages > 0)) lines.push(`  ${q.queue}: ${q.messages}`);
  const held = s.quarantine.reduce((sum, q) => sum + q.count, 0);
  lines.push(`Quarantined webhooks: ${held === 0 ? 'none' : `${held}`}`);
  for (const q of s.quarantine) lines.push(`  ${q.shop}: ${q.count} × ${q.reason} (latest ${q.latest})`);
  const failed = s.errors.reduce((sum, e) => sum + e.count, 0);
  lines.push(`Function errors (${s.window}): ${failed === 0 ? 'none' : failed}`);
  for (const e of s.errors) {
    lines.push(`  ${e.function}: ${e.count}`);
    for (const latest of e.latest) lines.push(`    ${latest.at} ${latest.message.split('\n')[0]}`);
  }
  if (s.alarms) {
    lines.push(`Alarms firing: ${s.alarms.length === 0 ? 'none' : s.alarms.length}`);
    for (const a of s.alarms) lines.push(`  ${a.name} since ${a.since}: ${a.reason}`);
  }
  return `${lines.join('\n')}\n`;
};

const main = async () => {
  const command = parseStatusCommand(process.argv.slice(2));
  const result = await status(command);
  process.stdout.write(command.json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result));
};

if (import.meta.main) runMain('status', main);
