import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Status } from '../../scripts/status.ts';
import { useLocalStack } from '../support/local-stack.ts';
import { DEMO_SHOP } from '../support/shopify-payloads.ts';

const run = promisify(execFile);
// No faults until the test asks for them.
const local = useLocalStack({ faults: { rate: 0, functions: ['admin'], dynamoDbRate: 0, when: 'before' } });

/** `npm run status -- --local URL`, as an operator runs it. */
const status = (...extra: string[]) =>
  run(process.execPath, ['scripts/status.ts', '--local', local.url, ...extra], {
    cwd: new URL('../..', import.meta.url).pathname,
  });

describe('npm run status against the local stack', () => {
  it('shows dead-letter queue depths, quarantined webhooks by shop and reason, and functions’ recent errors', {
    timeout: 60_000,
  }, async () => {
    const before = JSON.parse((await status('--json')).stdout) as Status;
    // Something goes wrong: two unusable webhooks, and the admin function fails once.
    for (const id of ['not-an-id', 'nor-this'])
      await local.deliver({ topic: 'orders/create', payload: { id, line_items: [] } });
    const faults = local.stack.faults;
    if (!faults) throw new Error('the stack was started with faults');
    faults.options.rate = 1;
    expect((await local.customer(1)).status).toBeGreaterThanOrEqual(500);
    faults.options.rate = 0;
    await local.settle();

    const after = JSON.parse((await status('--json')).stdout) as Status;
    const text = (await status()).stdout;

    expect(before.quarantine).toEqual([]);
    expect(before.errors).toEqual([]);
    expect(after.deadLetters.length).toBeGreaterThanOrEqual(7);
    expect(after.deadLetters.every((q) => q.messages === 0)).toBe(true);
    expect(after.quarantine).toEqual([
      expect.objectContaining({ shop: DEMO_SHOP, count: 2, reason: expect.stringMatching(/^id: Invalid/) }),
    ]);
    expect(after.errors).toEqual([
      expect.objectContaining({
        function: expect.stringMatching(/Admin/),
        count: 1,
        latest: [expect.objectContaining({ message: expect.stringContaining('injected fault') })],
      }),
    ]);
    expect(after.alarms).toBeNull();
    expect(text).toMatch(/^Dead-letter queues: empty$/m);
    expect(text).toMatch(/^Quarantined webhooks: 2$/m);
    expect(text).toMatch(/^Function errors \(since the local stack started\): 1$/m);
  });
});
