import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// What `npm test` (and CI) installs on the host must not start or enable anything there: no service, timer or
// socket unit. Debian's sanoid package did both (sanoid.timer, and zfs-fuse.service through its zfs-fuse
// dependency); the bench now unpacks syncoid into the cache instead (test/nas/syncoid.ts).
const root = path.resolve(import.meta.dirname, '..', '..', '..');

/** The package names in a bash array `NAME=( ... )` (one per line, comments after #). */
function arrayPackages(script: string, name: string): string[] {
  const body = new RegExp(`${name}=\\(([\\s\\S]*?)\\n\\)`).exec(script)?.[1];
  if (!body) throw new Error(`no ${name}=( ... ) in the script`);
  return body.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
}

const hostPackages = arrayPackages(readFileSync(path.join(root, 'test', 'nas', 'install-host-deps.sh'), 'utf8'), 'PKGS');
const systemScript = readFileSync(path.join(root, 'scripts', 'install-system-deps.sh'), 'utf8');
const systemPackages = (/apt-get install -y -qq --no-install-recommends ([^\n]+)/.exec(systemScript)?.[1] ?? '').trim().split(/\s+/);
const everyPackage = [...hostPackages, ...systemPackages];

// Part of every Debian base system (priority required) whether or not we list it: its e2scrub timer is there anyway.
const baseSystem = new Set(['e2fsprogs']);

describe('host packages of the test suite', () => {
  it('are found in the install scripts', () => {
    expect(hostPackages).toContain('qemu-system-x86');
    expect(systemPackages).toEqual(['chromium', 'fonts-dejavu-core']);
  });

  it('leave out sanoid and zfs-fuse (the bench fetches syncoid without installing it)', () => {
    expect(everyPackage).not.toContain('sanoid');
    expect(everyPackage).not.toContain('zfs-fuse');
    expect(systemScript + readFileSync(path.join(root, '.ci', 'run'), 'utf8')).not.toMatch(/apt-get install[^\n]*\bsanoid\b/);
  });

  it('ship no systemd system unit (checked with dpkg on this machine, where the suite installed them)', () => {
    const withUnits: string[] = [];
    for (const pkg of everyPackage.filter((p) => !baseSystem.has(p))) {
      const files = spawnSync('dpkg-query', ['-L', pkg], { encoding: 'utf8' });
      expect(files.status, `dpkg-query -L ${pkg}: ${files.stderr}`).toBe(0);
      const units = files.stdout.split('\n').filter((f) => /^(\/usr)?\/lib\/systemd\/system\/.+\.(service|timer|socket|path)$/.test(f));
      if (units.length > 0) withUnits.push(`${pkg}: ${units.join(', ')}`);
    }
    expect(withUnits).toEqual([]);
  });
});
