import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedElectronZip, ensureElectronBinary, type ElectronDownloadSteps } from '../../../scripts/electron-binary.ts';

// npm start asks for Electron's binary (Electron 45 fetches it on first use), and says exactly why when it cannot.

let root: string;
let cache: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-electron-'));
  cache = path.join(root, 'cache');
  mkdirSync(path.join(root, 'node_modules', 'electron'), { recursive: true });
  writeFileSync(path.join(root, 'node_modules', 'electron', 'install.js'), '');
  writeFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), JSON.stringify({ version: '45.4.1' }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** An installer that "downloads": writes path.txt and the binary, as electron's install.js does. */
function installs(): ElectronDownloadSteps['install'] {
  return async () => {
    mkdirSync(path.join(root, 'node_modules', 'electron', 'dist'), { recursive: true });
    writeFileSync(path.join(root, 'node_modules', 'electron', 'dist', 'electron'), '');
    writeFileSync(path.join(root, 'node_modules', 'electron', 'path.txt'), 'electron');
    return { code: 0, output: '' };
  };
}

const env = () => ({ HOME: root, electron_config_cache: cache });

describe('ensureElectronBinary', () => {
  it('downloads a missing binary when the download site answers', async () => {
    const probed: string[] = [];
    const said: string[] = [];
    const result = await ensureElectronBinary(root, { env: env(), say: (l) => said.push(l), steps: { probe: async (url) => (probed.push(url), null), install: installs() } });
    expect(result).toEqual({ path: path.join(root, 'node_modules', 'electron', 'dist', 'electron'), reason: null });
    expect(probed).toEqual(['https://github.com/electron/electron/releases/download/']);
    expect(said[0]).toBe('Downloading the Electron 45.4.1 binary from https://github.com/electron/electron/releases/download/ (once)...');
  });

  it('says the site cannot be reached (not ELECTRON_SKIP_BINARY_DOWNLOAD) when it cannot, and runs no installer', async () => {
    let installed = false;
    const result = await ensureElectronBinary(root, {
      env: { ...env(), ELECTRON_MIRROR: 'https://mirror.example/electron/' },
      say: () => {},
      steps: { probe: async () => 'its name does not resolve: ENOTFOUND', install: async () => ((installed = true), { code: 0, output: '' }) },
    });
    expect(result.path).toBeNull();
    expect(result.reason).toBe('the Electron binary could not be downloaded: mirror.example cannot be reached from this machine (its name does not resolve: ENOTFOUND). Set ELECTRON_MIRROR to a mirror this machine can reach, or run where it can');
    expect(installed).toBe(false);
  });

  it('names ELECTRON_SKIP_BINARY_DOWNLOAD only when it is set; a failed download says why', async () => {
    const skipped = await ensureElectronBinary(root, { env: { ...env(), ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, steps: { probe: async () => null, install: installs() } });
    expect(skipped.reason).toContain('because ELECTRON_SKIP_BINARY_DOWNLOAD is set');
    const failed = await ensureElectronBinary(root, { env: env(), say: () => {}, steps: { probe: async () => null, install: async () => ({ code: 1, output: 'HTTPError: Response code 404 (Not Found) for https://x\n    at foo (bar.js:1:1)' }) } });
    expect(failed.reason).toBe('the Electron binary download failed: HTTPError: Response code 404 (Not Found) for https://x');
  });

  it('a cached download needs no network', async () => {
    mkdirSync(path.join(cache, 'abc123'), { recursive: true });
    writeFileSync(path.join(cache, 'abc123', `electron-v45.4.1-${process.platform}-${process.arch}.zip`), '');
    expect(cachedElectronZip('45.4.1', cache)).toContain('abc123');
    let probed = false;
    const said: string[] = [];
    const result = await ensureElectronBinary(root, { env: env(), say: (l) => said.push(l), steps: { probe: async () => ((probed = true), 'offline'), install: installs() } });
    expect(result.path).not.toBeNull();
    expect(probed).toBe(false);
    expect(said[0]).toContain('(from the download cache)');
  });
});
