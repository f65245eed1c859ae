import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from '../../lib/paths.ts';

/** cdk.json's context, as a real deploy starts from it: no demo setting, so it must name its shop and sender. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> }
).context;

/** cdk.json's context as a demo stack (`loyaltyLoop:demo`: the bakery's shop and sender), as the local stack and CI synthesize it. */
export const DEMO_CONTEXT: Record<string, unknown> = { ...CDK_JSON_CONTEXT, 'loyaltyLoop:demo': true };
