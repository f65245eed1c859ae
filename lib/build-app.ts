import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { definitionProblems } from '../functions/domain/journey-config.ts';
import { journeyConfig } from '../journeys/index.ts';
import { LoyaltyLoopStack } from './loyalty-loop-stack.ts';
import { readStackConfig } from './stack-config.ts';

export { DEFAULT_STACK_NAME as STACK_NAME } from './stack-config.ts';

/** Builds the CDK app; `bin/app.ts` synthesizes it for deploys, `local/` for the local stack. */
export const buildApp = (options: { outdir?: string; context?: Record<string, unknown> } = {}) => {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  // cdk-nag's AwsSolutions rules run on every synth (deploy, local stack, tests): a finding without
  // an acknowledgement and its reason fails synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const config = readStackConfig(app);
  // The store's own catalog (its store file): the journeys' products must be ones it sells.
  if (config.catalog) {
    const context = { templates: journeyConfig.templates, catalog: config.catalog };
    const problems = [
      ...journeyConfig.journeys.flatMap((j) =>
        definitionProblems('journey', j, context).problems.map((p) => `${j.id}${p}`),
      ),
      ...journeyConfig.segments.flatMap((s) =>
        definitionProblems('segment', s, context).problems.map((p) => `${s.id}${p}`),
      ),
    ];
    if (problems.length > 0)
      throw new Error(
        `invalid journey configuration (against ${String(app.node.tryGetContext('loyaltyLoop:storeConfig'))}'s catalog):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
  }
  const stack = new LoyaltyLoopStack(app, config.stackName, {
    config,
    journeys: journeyConfig.journeys,
    description: 'Loyalty Loop: Shopify webhooks to customer segments and journey emails',
  });
  return { app, stack };
};
