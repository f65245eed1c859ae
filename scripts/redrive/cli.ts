import { parseArgs } from 'node:util';
import type { QuarantinedWebhook } from '#adapters/store/quarantine.ts';
import { awsTarget, localTarget, type Target, type TargetNames } from '../operator-target.ts';
import { runMain } from '../run-main.ts';
import { listDeadLetters, redriveDeadLetters } from './dlq-redrive.ts';
import { listQuarantine, redriveQuarantine } from './quarantine-redrive.ts';

/**
 * Lists and redrives what failed: the stack's dead-letter queues and the quarantined webhooks.
 *
 *   npm run redrive -- list                      # DLQ messages and quarantined webhooks
 *   npm run redrive -- redrive [--dlq|--quarantine] [--shop S]
 *
 * In AWS pass `--table`, `--webhook-url`, `--pepper-secret` (stack outputs) and `--queue-prefix`
 * (the stack name, default LoyaltyLoop); against the local stack pass `--local http://127.0.0.1:3000`.
 */

export type Command = {
  action: 'list' | 'redrive';
  /** Neither `--dlq` nor `--quarantine` means both. */
  deadLetters: boolean;
  quarantine: boolean;
  shop: string | undefined;
  target: { local: string } | { aws: TargetNames };
};

/** The command the arguments (after `npm run redrive --`) ask for; throws on what it cannot run. */
export const parseCommand = (args: string[]): Command => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      local: { type: 'string' },
      table: { type: 'string' },
      'webhook-url': { type: 'string' },
      'pepper-secret': { type: 'string' },
      'queue-prefix': { type: 'string', default: 'LoyaltyLoop' },
      shop: { type: 'string' },
      dlq: { type: 'boolean', default: false },
      quarantine: { type: 'boolean', default: false },
    },
  });
  const action = positionals[0] ?? 'list';
  if (action !== 'list' && action !== 'redrive')
    throw new Error(`unknown command "${action}" (list | redrive)`);
  const both = !values.dlq && !values.quarantine;
  const common: Omit<Command, 'target'> = {
    action,
    deadLetters: both || values.dlq,
    quarantine: both || values.quarantine,
    shop: values.shop,
  };
  if (values.local) return { ...common, target: { local: values.local } };
  if (!values.table || !values['webhook-url'])
    throw new Error('pass --table and --webhook-url (stack outputs), or --local URL');
  return {
    ...common,
    target: {
      aws: {
        tableName: values.table,
        webhookUrl: values['webhook-url'],
        queuePrefix: values['queue-prefix'],
        pepperSecretArn: values['pepper-secret'],
      },
    },
  };
};

/** A quarantined webhook as listed: what it is and why, without its headers and body. */
const listed = ({ copy: _copy, headers: _headers, ...rest }: QuarantinedWebhook) => rest;

const run = async (command: Command, target: Target): Promise<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  if (command.action === 'list') {
    if (command.deadLetters) out.deadLetters = await listDeadLetters(target);
    if (command.quarantine) out.quarantine = (await listQuarantine(target, command.shop)).map(listed);
  } else {
    if (command.deadLetters) out.deadLetters = await redriveDeadLetters(target);
    if (command.quarantine) out.quarantine = await redriveQuarantine(target, command.shop);
  }
  return out;
};

const main = async () => {
  const command = parseCommand(process.argv.slice(2));
  const target =
    'local' in command.target ? await localTarget(command.target.local) : awsTarget(command.target.aws);
  process.stdout.write(`${JSON.stringify(await run(command, target), null, 2)}\n`);
};

if (import.meta.main) runMain('redrive', main);
