#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on any machine with Node >= 18 and npm: brings what is missing
// (Node 24 from the npm registry's `node@24` package when this Node is older, then the npm dependencies),
// then runs scripts/<task>.ts on Node 24. Plain JavaScript on purpose: it must run on the old Node too.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [task, ...rest] = process.argv.slice(2);
const tasks = new Set(['start', 'test', 'demo']);
if (!tasks.has(task)) {
  console.error(`usage: node scripts/launch.mjs ${[...tasks].join('|')} [args...]`);
  process.exit(2);
}

const say = (text) => console.error(`[zrd] ${text}`);
const run = (command, args, options = {}) => spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const prefix = process.env.ZRD_NODE_DIR ?? path.join(homedir(), '.cache', 'zfs-replication-desktop', 'node24');
  const node24 = path.join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node24)) {
    say(`Node ${process.versions.node} is older than the Node 24 this project needs: installing node@24 into ${prefix}`);
    const installed = run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node@24']);
    if (installed.status !== 0 || !existsSync(node24)) {
      say('Could not install Node 24 from the npm registry. Install Node 24 LTS yourself and run this again.');
      process.exit(1);
    }
  }
  const env = { ...process.env, PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH ?? ''}` };
  const again = run(node24, [fileURLToPath(import.meta.url), task, ...rest], { env });
  process.exit(again.status ?? 1);
}

// Dependencies: install when node_modules is missing or older than the lock file.
const lock = path.join(root, 'package-lock.json');
const installedLock = path.join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(installedLock) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installedLock).mtimeMs);
if (stale) {
  say('Installing npm dependencies...');
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  let installed = run('npm', args);
  if (installed.status !== 0 && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    // The usual cause on a locked-down machine: Electron's binary comes from GitHub, not the npm registry.
    say('npm install failed; retrying without the Electron binary (the app will run in browser mode).');
    installed = run('npm', args, { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  }
  if (installed.status !== 0) {
    say('npm could not install the dependencies; see the messages above.');
    process.exit(1);
  }
}

const result = run(process.execPath, [path.join(root, 'scripts', `${task}.ts`), ...rest]);
process.exit(result.status ?? 1);
