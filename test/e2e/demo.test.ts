import { describe, expect, it } from 'vitest';
import { runDemo } from '../../scripts/demo.ts';
import { useLocalStack } from '../support/local-stack.ts';

const local = useLocalStack();

describe('npm run demo', () => {
  it('drives the Rum Baba journey: every customer placed, stage emails only to subscribers, none for duplicates', async () => {
    const summary = await runDemo(local.stack.url, { customers: 12, weeks: 3, seed: 11 });
    const placed = Object.values(summary.stages['rum-baba-fans'] ?? {}).reduce((a, b) => a + b, 0);
    expect(placed).toBe(12);
    expect(summary.redeliveries).toBeGreaterThan(0);
    expect(summary.emailsSent).toBeGreaterThan(0);
    const emails = (await (await fetch(`${local.stack.url}/_local/emails`)).json()) as {
      to: string[];
      headers: Record<string, string>;
    }[];
    // At most one email per customer per stage entry: five stages have an email.
    const perAddress = new Map<string, number>();
    for (const email of emails) for (const to of email.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    expect(Math.max(...perAddress.values())).toBeLessThanOrEqual(5);
    expect(perAddress.size).toBeLessThanOrEqual(summary.subscribed);
    expect(summary.emailsSent).toBe(Object.values(summary.emailsBySubject).reduce((a, b) => a + b, 0));
  });
});
