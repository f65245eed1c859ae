import { type CompiledConfig, compileConfig } from '#domain/journey-config.ts';
import catalog from './bakery-catalog.json' with { type: 'json' };
import { lapsingRegulars } from './lapsing-regulars.ts';
import { morningRegulars } from './morning-regulars.ts';
import { rumBabaFans } from './rum-baba-fans.ts';
import { templates } from './templates.ts';

/**
 * The journeys and segments this deployment runs. Adding one here is all it takes: synth
 * validates it (`npm run check:journeys` names the file of any problem), generates its
 * EventBridge rules, and the handlers pick it up from their bundles.
 */
export const journeyConfig: CompiledConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [rumBabaFans, morningRegulars],
  segments: [lapsingRegulars],
  templates,
  catalog,
});
