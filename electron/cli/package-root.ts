import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The CLI runs from its TypeScript sources (electron/cli) or from its bundle (.vite/cli): paths to the installation's
// own files (package.json, bin/zfs-replication.mjs) are found from the folder that holds our package.json, not from
// a fixed number of "..", which differs between the two.

let cached: string | null = null;

/** The installation's root folder: the nearest parent of this module with our package.json. */
export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = import.meta.dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && isOurs(file)) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`zfs-replication: cannot find its package.json above ${import.meta.dirname}`);
    dir = parent;
  }
}

function isOurs(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'zfs-replication-desktop';
  } catch {
    return false;
  }
}
