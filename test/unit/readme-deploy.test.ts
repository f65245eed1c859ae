import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { KEYS } from '../../lib/stack-config.ts';
import { StoreConfigFile } from '../../lib/store-config.ts';

const readme = readFileSync(`${PROJECT_ROOT}/README.md`, 'utf8');
/** The README's deploy sequence: from its heading to the next second-level heading. */
const deploy = readme.slice(
  readme.indexOf('## Deploy:'),
  readme.indexOf('\n## ', readme.indexOf('## Deploy:') + 1),
);
const sequence = deploy.slice(0, deploy.indexOf('### '));
const scripts = Object.keys(
  (JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);
let outputs: string[];

beforeAll(() => {
  // The deploy the sequence describes: a store file, a stack name, an alarm address, a custom MAIL FROM and API domain.
  const { stack } = buildApp({
    context: {
      'loyaltyLoop:storeConfig': `${PROJECT_ROOT}/docs/store.example.json`.replace(
        'store.example.json',
        'store.example.json',
      ),
      'loyaltyLoop:stackName': 'LoyaltyLoop-YourShop',
      'loyaltyLoop:alarmEmail': 'ops@your-agency.com',
      'loyaltyLoop:mailFromSubdomain': 'mail',
      'loyaltyLoop:apiDomain': 'api.your-shop.com',
      'loyaltyLoop:apiCertificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/x',
    },
  });
  outputs = Object.keys(Template.fromStack(stack).findOutputs('*'));
});

describe("the README's deploy sequence", () => {
  it('is one list numbered in order', () => {
    const numbers = [...sequence.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]));

    expect(numbers.length).toBeGreaterThanOrEqual(10);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  });

  it('names only outputs the stack has', () => {
    const named = new Set(
      [...deploy.matchAll(/`([A-Z][A-Za-z0-9]+(?:Arn|Url|Name|Record\d?|Mx|Spf|Target))`/g)].map(
        (m) => m[1] as string,
      ),
    );

    expect(named.size).toBeGreaterThanOrEqual(12);
    for (const output of named)
      expect(
        outputs.some((id) => new RegExp(`${output}\\d?[0-9A-F]{8}$`).test(id)),
        `output ${output}`,
      ).toBe(true);
  });

  it('runs only npm scripts that exist, and sets only context keys the stack reads', () => {
    for (const [, script] of deploy.matchAll(/npm run ([a-z:-]+)/g))
      expect(scripts, script).toContain(script);
    for (const [, key] of deploy.matchAll(/loyaltyLoop:([A-Za-z]+)/g))
      expect(KEYS as readonly string[], key).toContain(key);
  });

  it('shows a store file that validates, as docs/store.example.json does', () => {
    const example = /```json\n([\s\S]*?)```/.exec(sequence)?.[1] ?? '';

    expect(StoreConfigFile.safeParse(JSON.parse(example.replace(/^ {3}/gm, ''))).success).toBe(true);
  });
});
