import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vite';

// The Electron main bundle. Forge's Vite plugin merges this over its own defaults for `npm run start:electron`;
// scripts/build-bundles.ts builds it with the same file for electron-builder. Entry and output are spelled out
// so both paths produce the same .vite/build/main.cjs.
export const nodeExternals = ['electron', /^electron\//, ...builtinModules.flatMap((m) => [m, `node:${m}`]), 'ssh2', 'cpu-features'];

export default defineConfig({
  build: {
    outDir: '.vite/build',
    emptyOutDir: false,
    sourcemap: true,
    lib: {
      entry: path.resolve(import.meta.dirname, 'electron/main/main.ts'),
      formats: ['cjs'],
      fileName: () => 'main.cjs',
    },
    rollupOptions: { external: nodeExternals },
  },
  resolve: { conditions: ['node'], mainFields: ['module', 'jsnext:main', 'jsnext'] },
});
