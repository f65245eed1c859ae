import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkProjectJourneys, reportJourneyProblems } from '../lib/journey-check.ts';

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
} else {
  process.exit(1);
}
