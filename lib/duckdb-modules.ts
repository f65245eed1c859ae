import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';

/** The DuckDB package a function imports; everything else of it is found from here. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

/** The Linux builds the bundle carries: arm64 runs in Lambda, x64 in the local stack (the same bundle). */
const ARCHITECTURES = ['arm64', 'x64'] as const;

const lockedVersion = (): string => {
  const manifest = join(PROJECT_ROOT, 'node_modules', DUCKDB_PACKAGE, 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return version;
};

const bindingFile = (dir: string, arch: string) =>
  join(dir, 'node_modules', '@duckdb', `node-bindings-linux-${arch}`, 'duckdb.node');

/**
 * A `node_modules` folder with DuckDB's Node package and its native bindings for Linux on arm64 and
 * x64, at the version the lock file installed, for the analytics functions' bundles (a native
 * module cannot be bundled by esbuild). Made once per machine and version under
 * `~/.cache/loyalty-loop/duckdb-modules/` with `npm install --os=linux --cpu=…` — the bindings ship
 * inside npm packages, nothing else is downloaded — and reused by every synth after.
 * Answers the folder that holds `node_modules`.
 */
export const duckdbModules = (
  cacheRoot = process.env.LOYALTY_LOOP_CACHE ?? join(homedir(), '.cache', 'loyalty-loop'),
): string => {
  const version = lockedVersion();
  const dir = join(cacheRoot, 'duckdb-modules', version);
  if (ARCHITECTURES.every((arch) => existsSync(bindingFile(dir, arch)))) return dir;

  mkdirSync(join(cacheRoot, 'duckdb-modules'), { recursive: true });
  const work = mkdtempSync(join(cacheRoot, 'duckdb-modules', `.${version}-`));
  try {
    const composed = join(work, 'composed');
    for (const arch of ARCHITECTURES) {
      const prefix = join(work, arch);
      execFileSync(
        'npm',
        [
          'install',
          '--no-save',
          '--no-package-lock',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          '--os=linux',
          `--cpu=${arch}`,
          '--libc=glibc',
          '--prefix',
          prefix,
          `${DUCKDB_PACKAGE}@${version}`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      cpSync(join(prefix, 'node_modules'), join(composed, 'node_modules'), { recursive: true });
      if (!existsSync(bindingFile(composed, arch)))
        throw new Error(`npm installed no DuckDB binding for linux-${arch} (${DUCKDB_PACKAGE}@${version})`);
    }
    // Another synth may have made it meanwhile: the first one's folder stays.
    if (!existsSync(dir)) renameSync(composed, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
};
