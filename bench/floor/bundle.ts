import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/paths.ts';

/**
 * Bundles the floor function as CDK bundles the app's functions (lib/constructs/loyalty-function.ts:
 * one minified ESM file for Node 24, every dependency inside), so the floor runs the same kind of
 * module as the route it is compared with. Returns the bundle's path.
 */
export const bundleFloor = async (): Promise<string> => {
  const dir = join(PROJECT_ROOT, '.local', 'bench-floor');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  await build({
    entryPoints: [join(PROJECT_ROOT, 'bench', 'floor', 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
};
