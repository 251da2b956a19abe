// Builds the three bundles with the same Vite configs Electron Forge uses in development: main and preload to
// .vite/build, the renderer to .vite/renderer/main_window. electron-builder packages that output (`npm run dist`),
// and the loopback bridge serves the renderer from it.
import path from 'node:path';
import { build as esbuild } from 'esbuild';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv[2];

export async function buildBundles(which: 'all' | 'renderer' = 'all'): Promise<void> {
  const quiet = { logLevel: 'warn' as const };
  await build({ ...quiet, configFile: path.join(root, 'vite.renderer.config.ts') });
  if (which === 'renderer') return;
  // What Forge's Vite plugin defines for a production build: no dev server, renderer under ../renderer/main_window.
  const define = { MAIN_WINDOW_VITE_DEV_SERVER_URL: 'undefined', MAIN_WINDOW_VITE_NAME: JSON.stringify('main_window') };
  await build({ ...quiet, configFile: path.join(root, 'vite.main.config.ts'), define, build: { minify: true } });
  await build({ ...quiet, configFile: path.join(root, 'vite.preload.config.ts'), build: { minify: true } });
  await buildCliBundle();
}

/** Packages the CLI's bundle loads from node_modules: they resolve files of their own at run time. */
export const cliExternalPackages = ['ssh2', 'pino'] as const;

/** Where bin/zfs-replication.mjs looks for the CLI's bundle. */
export const cliBundle = path.join(root, '.vite', 'cli', 'zfs-replication.mjs');

/**
 * The CLI as one JavaScript file: a cron run then starts without Node type-stripping ~200 TypeScript modules
 * (issue 17: half the CPU time of `zfs-replication list`). The pure-JavaScript dependencies are bundled too (Node
 * resolving zod, croner, cronstrue, re2js and proper-lockfile through node_modules cost ~70 ms of CPU per start,
 * 0.43 s → 0.36 s for `list`); ssh2 and pino stay in node_modules (pino's worker and ssh2's optional native parts
 * resolve their own files there). `require` is defined for the bundled CommonJS code that requires Node's modules.
 */
export async function buildCliBundle(): Promise<void> {
  await esbuild({
    entryPoints: [path.join(root, 'electron', 'cli', 'zfs-replication.ts')],
    outfile: cliBundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: [...cliExternalPackages],
    banner: { js: "import { createRequire as zrdCreateRequire } from 'node:module'; const require = zrdCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (only === 'cli') await buildCliBundle();
  else await buildBundles(only === 'renderer' ? 'renderer' : 'all');
  console.log(`Built bundles in ${path.join(root, '.vite')}`);
}
