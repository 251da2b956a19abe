// `npm start`: the desktop app in Electron when its binary is installed; otherwise the same app in browser mode
// through the loopback bridge (127.0.0.1 only), opened in Chromium when one is installed and a display exists.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildBundles } from './build-bundles.ts';
import { ensureElectronBinary, findElectronBinary } from './electron-binary.ts';

const root = path.resolve(import.meta.dirname, '..');
const forceBridge = process.argv.includes('--bridge');
// Electron 45 fetches its binary on first use, not at npm install: ask for it now (browser mode needs none).
const electron = forceBridge ? findElectronBinary(root) : await ensureElectronBinary(root);

const exitWith = (child: ReturnType<typeof spawn>) => {
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 0));
};

if (electron.path && !forceBridge) {
  exitWith(spawn(path.join(root, 'node_modules', '.bin', 'electron-forge'), ['start'], { cwd: root, stdio: 'inherit' }));
} else {
  if (!forceBridge) console.log(`Not starting in Electron: ${electron.reason}.\nStarting the app in browser mode instead.\n`);
  await buildBundles('renderer');
  const passThrough = process.argv.slice(2).filter((arg) => arg !== '--bridge');
  exitWith(
    spawn(process.execPath, [path.join(root, 'electron', 'bridge', 'bridge-main.ts'), '--open', ...passThrough], {
      cwd: root,
      stdio: 'inherit',
    }),
  );
}
