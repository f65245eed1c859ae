import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProjectJourneys } from '../../lib/journey-check.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';

// A copy of journeys/ inside the project (so its `#domain` imports resolve), with broken files added.
const dir = join(PROJECT_ROOT, '.local', `journeys-check-${process.pid}`);
const shown = `.local/journeys-check-${process.pid}`;

const BROKEN_JOURNEY = `
export const broken = {
  id: 'broken',
  name: 'Broken',
  stages: [
    { id: 'a', when: { type: 'ordersContaining', products: { productIds: ['9999'] }, count: { min: 1 } } },
    { id: 'a', when: { type: 'ordersCount', count: { min: 3, max: 1 } } },
    { id: 'c', when: { type: 'ordersCount', count: { min: 1 } }, action: { type: 'email', template: 'no-such-template' } },
  ],
};
`;
const BROKEN_SEGMENT = `
export const typo = { id: 'typo', name: 'Typo', when: { type: 'ordersCont', count: { min: 1 } } };
`;
const UNREGISTERED = `
export const forgotten = { id: 'forgotten', name: 'Forgotten', when: { type: 'ordersCount', count: { min: 1 } } };
`;

const run = (script: string) =>
  spawnSync(process.execPath, [script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOYALTY_LOOP_JOURNEYS_DIR: dir },
    encoding: 'utf8',
  });

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  cpSync(join(PROJECT_ROOT, 'journeys'), dir, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('journey definition checks', () => {
  it('pass for the project as it is', async () => {
    expect(await checkProjectJourneys()).toEqual([]);
  });

  // Each case writes files of its own: a module, once imported, is cached by its path.
  it('name the file, the definition, the path and the problem', async () => {
    writeFileSync(join(dir, 'broken.ts'), BROKEN_JOURNEY);
    writeFileSync(join(dir, 'typo.ts'), BROKEN_SEGMENT);
    const problems = await checkProjectJourneys(dir);
    rmSync(join(dir, 'broken.ts'));
    rmSync(join(dir, 'typo.ts'));
    expect(problems).toEqual([
      `${shown}/broken.ts: broken.stages[1].when.count: min must not exceed max`,
      `${shown}/broken.ts: broken.stages[1].id: duplicate stage id "a"`,
      `${shown}/typo.ts: typo.when.type: Invalid discriminator value. Expected 'ordersCount' | 'totalSpent' | 'averageOrderValue' | 'ordersContaining' | 'nthOrderContains' | 'firstOrderDate' | 'lastOrderDate' | 'orderTag' | 'customerTag' | 'emailMarketing' | 'address' | 'discountCode' | 'channel' | 'all' | 'any' | 'not'`,
    ]);
  });

  it('check products against the catalog and actions against the templates', async () => {
    const valid = BROKEN_JOURNEY.replace(
      "{ id: 'a', when: { type: 'ordersCount', count: { min: 3, max: 1 } } }",
      "{ id: 'b', when: { type: 'ordersCount', count: { min: 1 } } }",
    );
    writeFileSync(join(dir, 'unknown-things.ts'), valid);
    const problems = await checkProjectJourneys(dir);
    rmSync(join(dir, 'unknown-things.ts'));
    expect(problems).toEqual([
      `${shown}/unknown-things.ts: broken.stages[0].when.products.productIds[0]: unknown product id "9999" (not in the catalog)`,
      `${shown}/unknown-things.ts: broken.stages[2].action.template: no template named "no-such-template" (known: rum-baba-coupon, rum-baba-serving-ideas, rum-baba-presale, morning-second-visit, morning-croissant-pairing)`,
    ]);
  });

  it('report a definition that journeys/index.ts does not register', async () => {
    writeFileSync(join(dir, 'forgotten.ts'), UNREGISTERED);
    const problems = await checkProjectJourneys(dir);
    rmSync(join(dir, 'forgotten.ts'));
    expect(problems).toEqual([
      `${shown}/forgotten.ts: forgotten: defined but not registered in journeys/index.ts, so it would never run`,
    ]);
  });

  it.each([
    ['synth (bin/app.ts)', 'bin/app.ts'],
    ['npm run check:journeys', 'scripts/check-journeys.ts'],
  ])('make %s fail with the messages and no stack trace', (_name, script) => {
    writeFileSync(join(dir, 'broken.ts'), BROKEN_JOURNEY);
    const result = run(script);
    rmSync(join(dir, 'broken.ts'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid journey definitions (2):');
    expect(result.stderr).toContain(`${shown}/broken.ts: broken.stages[1].id: duplicate stage id "a"`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
