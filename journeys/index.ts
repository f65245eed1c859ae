import { type CompiledConfig, compileConfig } from '#domain/journey-config.ts';
import catalog from './bakery-catalog.json' with { type: 'json' };
import { lapsingRegulars } from './lapsing-regulars.ts';
import { morningRegulars } from './morning-regulars.ts';
import { rumBabaFans } from './rum-baba-fans.ts';
import { savarinSeconds } from './savarin-seconds.ts';
import { templates } from './templates.ts';
import { winBack } from './win-back.ts';

/**
 * The journeys and segments this deployment runs. Adding one here is all it takes: synth
 * validates it (`npm run check:journeys` names the file of any problem), generates its
 * EventBridge rules, and the handlers pick it up from their bundles.
 */
export const journeyConfig: CompiledConfig = compileConfig({
  brandName: 'Demo Bakery',
  journeys: [rumBabaFans, morningRegulars, savarinSeconds, winBack],
  segments: [lapsingRegulars],
  templates,
  catalog,
  // The bakery is in Tokyo: customers without an address get quiet hours in Tokyo time. The cap
  // and quiet hours are the defaults (1 email per 16 h and 3 per 7 days; none 21:00–08:00).
  timing: { timeZone: 'Asia/Tokyo' },
});
