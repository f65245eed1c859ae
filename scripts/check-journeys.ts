import { checkProjectJourneys, reportJourneyProblems } from '../lib/journey-check.ts';

/** `npm run check:journeys`: validates journeys/ the way synth does, without synthesizing. */
const problems = await checkProjectJourneys();
if (reportJourneyProblems(problems, (text) => process.stderr.write(text))) {
  process.stdout.write('journeys/: every journey and segment is valid and registered\n');
} else {
  process.exit(1);
}
