import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import forgeConfig from '../../../forge.config.ts';

// forge.config.ts is what `npm run start:electron` runs. Without an Electron binary Forge cannot launch the app
// here, so this resolves the Vite configs exactly as Forge's Vite plugin does (its own ViteConfigGenerator)
// and builds them, proving main.cjs, preload.cjs and the renderer land where electron/main/main.ts looks.
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const out = mkdtempSync(path.join(tmpdir(), 'zrd-forge-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function forgeResolvedConfigs(): Promise<{ builds: InlineConfig[]; renderers: InlineConfig[] }> {
  const generatorPath = path.join(root, 'node_modules', '@electron-forge', 'plugin-vite', 'dist', 'ViteConfig.js');
  const { default: ViteConfigGenerator } = (await import(pathToFileURL(generatorPath).href)) as {
    default: new (config: unknown, projectDir: string, isProd: boolean) => { getBuildConfigs(): Promise<InlineConfig[]>; getRendererConfig(): Promise<InlineConfig[]> };
  };
  const plugin = forgeConfig.plugins?.find((p) => (p as { name?: string }).name === 'vite') as unknown as { config: unknown };
  const generator = new ViteConfigGenerator(plugin.config, root, true);
  return { builds: await generator.getBuildConfigs(), renderers: await generator.getRendererConfig() };
}

describe('forge.config.ts', () => {
  it('resolves to the same outputs scripts/build-bundles.ts and main.ts expect, and they build', { timeout: 60_000 }, async () => {
    const { builds, renderers } = await forgeResolvedConfigs();
    expect(builds).toHaveLength(2);
    expect(renderers).toHaveLength(1);
    for (const config of builds) {
      expect(config.build?.outDir).toBe('.vite/build');
      await build({ ...config, configFile: false, logLevel: 'silent', build: { ...config.build, outDir: path.join(out, 'build'), watch: null } });
    }
    const renderer = renderers[0]!;
    expect(path.resolve(root, renderer.build!.outDir!)).toBe(path.join(root, '.vite', 'renderer', 'main_window'));
    await build({ ...renderer, configFile: false, logLevel: 'silent', build: { ...renderer.build, outDir: path.join(out, 'renderer', 'main_window') } });

    expect(existsSync(path.join(out, 'build', 'main.cjs'))).toBe(true);
    expect(existsSync(path.join(out, 'build', 'preload.cjs'))).toBe(true);
    const html = readFileSync(path.join(out, 'renderer', 'main_window', 'index.html'), 'utf8');
    expect(html).toContain('Content-Security-Policy');
    expect(html).toContain("script-src 'self'");
    // Forge defines the renderer name main.ts uses to find index.html.
    expect(readFileSync(path.join(out, 'build', 'main.cjs'), 'utf8')).toContain('main_window');
    // The sandboxed preload requires nothing but Electron.
    const preload = readFileSync(path.join(out, 'build', 'preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\((["'`])([^"'`]+)\1\)/g)].map((m) => m[2])).toEqual(['electron']);
  });
});
