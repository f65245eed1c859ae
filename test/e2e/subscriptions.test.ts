import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/local-stack.ts';
import { DEMO_SHOP } from '../support/shopify-payloads.ts';

const run = promisify(execFile);
const local = useLocalStack();

/** `npm run subscriptions -- --shop S --local URL ...`, as an operator runs it: its output and exit code. */
const subscriptions = async (...extra: string[]) => {
  try {
    const { stdout } = await run(
      process.execPath,
      ['scripts/subscriptions.ts', '--shop', DEMO_SHOP, '--local', local.url, ...extra],
      { cwd: new URL('../..', import.meta.url).pathname },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
};

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

describe('npm run subscriptions against the local stack', () => {
  it('finds nothing subscribed, subscribes the stack’s webhook URL, then finds everything', {
    timeout: 120_000,
  }, async () => {
    const before = await subscriptions('--check');
    const ensured = await subscriptions();
    const after = await subscriptions('--check');

    expect(before.code).toBe(1);
    expect(before.stdout).toContain(
      `webhook subscriptions of ${DEMO_SHOP} at ${local.url}/webhooks/shopify:`,
    );
    expect(count(before.stdout, / missing$/gm)).toBe(11);
    expect(ensured.code).toBe(0);
    expect(count(ensured.stdout, / created$/gm)).toBe(11);
    expect(count(ensured.stdout, /configured in the app \(compliance_topics\), not by API$/gm)).toBe(3);
    expect(after.code).toBe(0);
    expect(count(after.stdout, / present$/gm)).toBe(11);
  });
});
