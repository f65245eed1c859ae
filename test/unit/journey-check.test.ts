import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      `${shown}/unknown-things.ts: broken.stages[2].action.template: no template named "no-such-template" (known: rum-baba-coupon, rum-baba-serving-ideas, rum-baba-presale, morning-second-visit, morning-croissant-pairing, savarin-coupon, we-miss-you)`,
    ]);
  });

  it('show, once valid, how each stage email is timed and the sending policy (npm run check:journeys)', () => {
    const result = spawnSync(process.execPath, ['scripts/check-journeys.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "savarin-seconds/first-savarin: at the 40th percentile of the shop's repurchase interval (5 days while fewer than 30 customers came back); cancelled by any order; once per customer; 20 % held out",
    );
    expect(result.stdout).toContain('win-back/lapsing: at once; deferred by the cap');
    expect(result.stdout).toContain(
      "Sending policy: frequency cap 1 per 16 h and 3 per 7 days; quiet hours 21:00–08:00 in the customer's time zone (else Asia/Tokyo)",
    );
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

  describe('the sending policy in journeys/index.ts', () => {
    // A copy of its own: the registry module is imported (and cached) by its path.
    const policyDir = join(PROJECT_ROOT, '.local', `journeys-policy-${process.pid}`);
    const policyShown = `.local/journeys-policy-${process.pid}`;
    beforeAll(() => {
      mkdirSync(policyDir, { recursive: true });
      cpSync(join(PROJECT_ROOT, 'journeys'), policyDir, { recursive: true });
      const index = join(policyDir, 'index.ts');
      const source = readFileSync(index, 'utf8').replace(
        "timing: { timeZone: 'Asia/Tokyo' },",
        "timing: { frequencyCap: [{ hours: 16, max: 0 }], quietHours: { start: '21:00', end: '21:00' } },",
      );
      writeFileSync(index, source);
    });
    afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

    it('names each problem of the policy (a cap of 0, an empty quiet window) against the registry', async () => {
      expect(await checkProjectJourneys(policyDir)).toEqual([
        `${policyShown}/index.ts: timing.frequencyCap[0].max: a cap of 0 would send nothing: remove the actions, or the cap (frequencyCap: false)`,
        `${policyShown}/index.ts: timing.quietHours: start and end must differ`,
      ]);
    });

    it.each([
      ['synth (bin/app.ts)', 'bin/app.ts'],
      ['npm run check:journeys', 'scripts/check-journeys.ts'],
    ])('make %s fail with the messages and no stack trace', (_name, script) => {
      const result = spawnSync(process.execPath, [script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, LOYALTY_LOOP_JOURNEYS_DIR: policyDir },
        encoding: 'utf8',
      });

      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `${policyShown}/index.ts: timing.frequencyCap[0].max: a cap of 0 would send nothing`,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
