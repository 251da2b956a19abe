import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// Electron 45 no longer downloads its binary at `npm install`: the electron package fetches it on first use
// (require('electron') runs its install.js) or when its installer runs. `npm start` asks for it explicitly, and when
// it cannot be had says exactly why (no access to the download site, ELECTRON_SKIP_BINARY_DOWNLOAD set by the user, a
// failed download) before starting browser mode.

export type BinaryLookup = { path: string; reason: null } | { path: null; reason: string };

/**
 * The Electron executable npm installed, or null with the reason. `require('electron')` would try to download a
 * missing binary; this only looks.
 */
export function findElectronBinary(root: string): BinaryLookup {
  const packageDir = path.join(root, 'node_modules', 'electron');
  if (!existsSync(packageDir)) return { path: null, reason: 'the electron package is not installed (run npm install)' };
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { path: null, reason: 'the Electron binary has not been downloaded yet' };
  const binary = path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary, reason: null } : { path: null, reason: `the Electron binary is missing at ${binary}` };
}

/** Where Electron's binaries are downloaded from (a mirror when the admin set one). */
export function electronDownloadBase(env: NodeJS.ProcessEnv = process.env): string {
  return env.ELECTRON_MIRROR ?? env.electron_config_mirror ?? env.npm_config_electron_mirror ?? 'https://github.com/electron/electron/releases/download/';
}

/** @electron/get's cache folder (a zip there needs no network). */
export function electronCacheRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.electron_config_cache) return env.electron_config_cache;
  const home = env.HOME ?? homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'electron');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'electron', 'Cache');
  return path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'electron');
}

/** A cached download of this Electron version for this machine, if @electron/get kept one. */
export function cachedElectronZip(version: string, cacheRoot: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | null {
  const name = `electron-v${version}-${platform}-${arch}.zip`;
  if (!existsSync(cacheRoot)) return null;
  for (const entry of readdirSync(cacheRoot)) {
    const candidate = path.join(cacheRoot, entry, name);
    if (existsSync(candidate)) return candidate;
  }
  return existsSync(path.join(cacheRoot, name)) ? path.join(cacheRoot, name) : null;
}

export interface ElectronDownloadSteps {
  /** Resolves with null when the download site answers, or with why not (e.g. "getaddrinfo ENOTFOUND github.com"). */
  probe(url: string): Promise<string | null>;
  /** Runs the electron package's installer; resolves with its exit code and the last lines it printed. */
  install(installer: string): Promise<{ code: number | null; output: string }>;
}

export const realDownloadSteps: ElectronDownloadSteps = {
  async probe(url) {
    try {
      await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
      return null;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if ((error as Error).name === 'TimeoutError') return 'no answer within 15 s';
      const words: Record<string, string> = { ENOTFOUND: 'its name does not resolve', EAI_AGAIN: 'its name does not resolve', ECONNREFUSED: 'the connection was refused', ECONNRESET: 'the connection was reset', ETIMEDOUT: 'no answer', ENETUNREACH: 'no route to it' };
      return cause?.code ? `${words[cause.code] ?? cause.message ?? 'error'}: ${cause.code}` : (error as Error).message;
    }
  },
  install(installer) {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [installer], { stdio: ['ignore', 'inherit', 'pipe'] });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => {
        output = `${output}${chunk.toString()}`.slice(-4000);
      });
      child.on('error', (error) => resolve({ code: null, output: error.message }));
      child.on('close', (code) => resolve({ code, output }));
    });
  },
};

/** The first meaningful line of an installer's error output (its stack trace is noise here). */
function firstErrorLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at '));
  return lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no output';
}

/**
 * The Electron binary, downloading it when it is missing. Never throws: when it cannot be had, the reason says
 * what happened in words an admin can act on.
 */
export async function ensureElectronBinary(root: string, options: { env?: NodeJS.ProcessEnv; steps?: ElectronDownloadSteps; say?: (line: string) => void } = {}): Promise<BinaryLookup> {
  const env = options.env ?? process.env;
  const steps = options.steps ?? realDownloadSteps;
  const say = options.say ?? ((line: string) => console.log(line));
  const found = findElectronBinary(root);
  if (found.path || !existsSync(path.join(root, 'node_modules', 'electron', 'install.js'))) return found;
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD && env.ELECTRON_SKIP_BINARY_DOWNLOAD !== '0') {
    return { path: null, reason: 'the Electron binary is not downloaded because ELECTRON_SKIP_BINARY_DOWNLOAD is set in this environment (unset it to let npm start download it)' };
  }
  let version = '';
  try {
    version = (JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // The installer knows its version; only the cache check needs it here.
  }
  const base = electronDownloadBase(env);
  const cached = version ? cachedElectronZip(version, electronCacheRoot(env)) : null;
  if (!cached) {
    const problem = await steps.probe(base);
    if (problem) {
      return { path: null, reason: `the Electron binary could not be downloaded: ${new URL(base).host} cannot be reached from this machine (${problem}). Set ELECTRON_MIRROR to a mirror this machine can reach, or run where it can` };
    }
  }
  say(`Downloading the Electron ${version} binary${cached ? ' (from the download cache)' : ` from ${base}`} (once)...`);
  const result = await steps.install(path.join(root, 'node_modules', 'electron', 'install.js'));
  if (result.code !== 0) return { path: null, reason: `the Electron binary download failed: ${firstErrorLine(result.output)}` };
  const after = findElectronBinary(root);
  return after.path ? after : { path: null, reason: `the Electron installer finished but ${after.reason}` };
}
