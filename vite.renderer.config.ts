import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy, devContentSecurityPolicy } from './shared/content-security-policy.ts';

// The renderer (React). Built to .vite/renderer/main_window, which Electron loads from disk and the loopback
// bridge serves over HTTP.
function contentSecurityPolicyMeta(command: 'build' | 'serve'): Plugin {
  const policy = command === 'serve' ? devContentSecurityPolicy : contentSecurityPolicy;
  return {
    name: 'zrd:csp-meta',
    transformIndexHtml: (html) => html.replace('%CONTENT_SECURITY_POLICY%', policy),
  };
}

export default defineConfig(({ command }) => ({
  root: path.resolve(import.meta.dirname, 'renderer'),
  base: './',
  publicDir: false,
  plugins: [contentSecurityPolicyMeta(command)],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.resolve(import.meta.dirname, '.vite/renderer/main_window'),
    emptyOutDir: true,
    sourcemap: true,
    // Chromium inside Electron 45 and Debian's Chromium are both recent.
    target: 'chrome130',
  },
}));
