import { mkdirSync, writeFileSync } from 'node:fs';
import { renderConditionReference } from '../functions/domain/conditions-reference.ts';

/** `npm run docs`: regenerates docs/conditions.md from the condition reference. */
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/conditions.md', import.meta.url), renderConditionReference());
process.stdout.write('docs/conditions.md written\n');
