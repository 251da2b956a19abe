#!/usr/bin/env node
// The `zfs-replication` command (package bin). It runs the CLI's bundle (.vite/cli, built by `npm run build`) when
// it is at least as new as every source file, else the TypeScript sources directly (Node 24 strips the types): a
// bundle older than the code it came from is never run. The check stats the sources (a few milliseconds); the
// bundle saves Node type-stripping ~200 modules on every start, which is what a cron run pays each cycle.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`zfs-replication needs Node 24 or newer (this is ${process.versions.node}).`);
  process.exit(2);
}

const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, '.vite', 'cli', 'zfs-replication.mjs');

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** The newest modification time of the CLI's possible sources (electron/ and shared/, package.json). */
function newestSource() {
  let newest = mtime(path.join(root, 'package.json')) ?? 0;
  for (const folder of ['electron', 'shared']) {
    let entries;
    try {
      entries = readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, mtime(path.join(entry.parentPath, entry.name)) ?? 0);
    }
  }
  return newest;
}

/**
 * V8 keeps the bundle's compiled code between runs (module.enableCompileCache; ~20 ms of CPU per start here). In a
 * folder of this user's own, never a shared one: code read from a cache is run, so nobody else may write there.
 */
function enableCompileCache() {
  const dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'zfs-replication-desktop', 'compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return;
    module.enableCompileCache?.(dir);
  } catch {
    // No cache: the bundle compiles as it would without one.
  }
}

const built = mtime(bundle);
const useBundle = built !== null && built >= newestSource() && process.env.ZRD_CLI_FROM_SOURCES !== '1';
if (useBundle) enableCompileCache();
const { main } = await import(useBundle ? bundle : '../electron/cli/zfs-replication.ts');
process.exit(await main(process.argv.slice(2)));
