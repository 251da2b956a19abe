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

/**
 * sonner injects its CSS with a <style> element at import, which the CSP (style-src 'self') refuses — and Chromium
 * logs every refusal as an error. The same CSS is imported as a file (renderer/main.tsx), so the injection is
 * turned into a no-op here.
 */
function sonnerWithoutInlineStyle(): Plugin {
  return {
    name: 'zrd:sonner-without-inline-style',
    transform(code, id) {
      if (!/[\\/]sonner[\\/]dist[\\/]index\.m?js$/.test(id)) return null;
      const patched = code.replace('function __insertCSS(code) {', 'function __insertCSS(code) {\n  return;');
      if (patched === code) this.warn('sonner no longer has __insertCSS: check that it injects no <style> (CSP).');
      return { code: patched, map: null };
    },
  };
}

export default defineConfig(({ command }) => ({
  root: path.resolve(import.meta.dirname, 'renderer'),
  base: './',
  publicDir: false,
  plugins: [contentSecurityPolicyMeta(command), sonnerWithoutInlineStyle()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.resolve(import.meta.dirname, '.vite/renderer/main_window'),
    emptyOutDir: true,
    sourcemap: true,
    // Chromium inside Electron 45 and Debian's Chromium are both recent.
    target: 'chrome130',
  },
}));
