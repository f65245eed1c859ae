import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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
  const stack = new LoyaltyLoopStack(app, config.stackName, {
    config,
    journeys: journeyConfig.journeys,
    description: 'Loyalty Loop: Shopify webhooks to customer segments and journey emails',
  });
  return { app, stack };
};
