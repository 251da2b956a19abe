import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The Electron executable npm installed, or null with the reason. `require('electron')` throws when the
 * binary download was skipped (ELECTRON_SKIP_BINARY_DOWNLOAD) or failed; this asks without throwing.
 */
export function findElectronBinary(root: string): { path: string; reason: null } | { path: null; reason: string } {
  const packageDir = path.join(root, 'node_modules', 'electron');
  if (!existsSync(packageDir)) return { path: null, reason: 'the electron package is not installed (run npm install)' };
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { path: null, reason: 'the Electron binary was not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD, or no access to its download site)' };
  }
  const binary = path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary, reason: null } : { path: null, reason: `the Electron binary is missing at ${binary}` };
}
