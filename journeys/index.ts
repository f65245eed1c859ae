import { type CompiledConfig, compileConfig } from '#domain/config.ts';
import { rumBabaFans } from './rum-baba-fans.ts';
import { templates } from './templates.ts';

/**
 * The journeys this deployment runs. Adding one here is all it takes: synth validates it,
 * generates its EventBridge rules, and the handlers pick it up from their bundles.
 */
export const journeyConfig: CompiledConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [rumBabaFans],
  templates,
});
