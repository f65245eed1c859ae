import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  checkProjectJourneys,
  describeTiming,
  journeysDir,
  reportJourneyProblems,
} from '../lib/journey-check.ts';

/**
 * `npm run check:journeys`: validates journeys/ the way synth does, without synthesizing.
 * `-- --catalog FILE` checks product ids, variant ids and SKUs against a shop's catalog (as
 * `npm run catalog` writes it) instead of the bundled demo catalog.
 */
const { values } = parseArgs({ args: process.argv.slice(2), options: { catalog: { type: 'string' } } });
const catalog = values.catalog ? resolve(values.catalog) : undefined;
const problems = await checkProjectJourneys(undefined, catalog);
if (reportJourneyProblems(problems, (text) => process.stderr.write(text))) {
  process.stdout.write(
    `journeys/: every journey and segment is valid and registered${catalog ? ` (products checked against ${values.catalog})` : ''}\n`,
  );
  const registry = pathToFileURL(join(journeysDir(), 'index.ts')).href;
  const { journeyConfig } = (await import(registry)) as typeof import('../journeys/index.ts');
  process.stdout.write(`${describeTiming(journeyConfig).join('\n')}\n`);
} else {
  process.exit(1);
}
