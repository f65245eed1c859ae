#!/usr/bin/env node
import { checkProjectJourneys, reportJourneyProblems } from '../lib/journey-check.ts';

// Journeys are checked first, so a mistake is reported by file and path, not as a stack trace.
if (!reportJourneyProblems(await checkProjectJourneys(), (text) => process.stderr.write(text)))
  process.exit(1);

const { buildApp } = await import('../lib/build-app.ts');
try {
  buildApp().app.synth();
} catch (error) {
  if (
    !(error instanceof Error) ||
    !/^invalid (Loyalty Loop context|journey configuration)/.test(error.message)
  )
    throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
