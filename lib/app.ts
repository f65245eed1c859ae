import { App } from 'aws-cdk-lib';
import { journeyConfig } from '../journeys/index.ts';
import { readStackConfig } from './config.ts';
import { LoyaltyLoopStack } from './loyalty-loop-stack.ts';

export const STACK_NAME = 'LoyaltyLoop';

/** Builds the CDK app; `bin/app.ts` synthesizes it for deploys, `local/` for the local stack. */
export const buildApp = (options: { outdir?: string; context?: Record<string, unknown> } = {}) => {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  const stack = new LoyaltyLoopStack(app, STACK_NAME, {
    config: readStackConfig(app),
    journeys: journeyConfig.journeys,
    description: 'Loyalty Loop: Shopify webhooks to customer segments and journey emails',
  });
  return { app, stack };
};
