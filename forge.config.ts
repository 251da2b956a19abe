import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';

// Electron Forge drives development: `npm run start:electron` (and `npm start` when an Electron binary is
// installed) builds main and preload with Vite, serves the renderer with hot reload and launches Electron.
// Distributables are electron-builder's job (see "build" in package.json); Forge makers are not configured.
const config: ForgeConfig = {
  packagerConfig: { asar: true, executableName: 'zfs-replication-desktop', icon: 'build/icon' },
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/main/main.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'electron/preload/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
  ],
};

export default config;
