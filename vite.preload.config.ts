import path from 'node:path';
import { defineConfig } from 'vite';
import { nodeExternals } from './vite.main.config.ts';

// The sandboxed preload: one self-contained CommonJS file (a sandboxed preload may require only 'electron').
export default defineConfig({
  build: {
    outDir: '.vite/build',
    emptyOutDir: false,
    sourcemap: true,
    rollupOptions: {
      input: { preload: path.resolve(import.meta.dirname, 'electron/preload/preload.ts') },
      external: nodeExternals,
      output: { format: 'cjs', codeSplitting: false, entryFileNames: '[name].cjs' },
    },
  },
});
