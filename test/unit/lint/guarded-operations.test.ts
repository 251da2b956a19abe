import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// One set of guarded operations: outside the zfs layer (electron/services/zfs), no code builds a destroy, rollback,
// hold or release argv by hand, nor a receive with -F. Every destroy and rollback then goes through the layer's one
// builder each and its destruction plans. This is the `grep` of issue 12, kept as a test.

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const zfsLayer = path.join(root, 'electron', 'services', 'zfs');

/** An argv whose first elements are the zfs tool and a verb that destroys, rolls back or moves holds. */
const handBuilt = /\bzfs\w*(\([^)]*\))?\s*,\s*['"`](destroy|rollback|hold|release)['"`]/;
const forcedReceive = /['"`]receive['"`][^\]\n]*['"`]-F['"`]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === zfsLayer ? [] : sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('guarded operations', () => {
  it('the patterns catch a hand-built argv (and not a permission list)', () => {
    expect(handBuilt.test("[tools.zfs, 'destroy', '-r', dataset]")).toBe(true);
    expect(handBuilt.test("const argv = [nas.host.capabilities.tools.zfs, 'rollback', '-r', to];")).toBe(true);
    expect(handBuilt.test("[zfs, 'hold', tag, snapshot]")).toBe(true);
    expect(handBuilt.test("buildCommandLine([zfsA, 'rollback', '-r', target])")).toBe(true);
    expect(handBuilt.test("[zfs(destination), 'release', tag, s]")).toBe(true);
    expect(forcedReceive.test("[zfs, 'receive', '-s', '-F', target]")).toBe(true);
    expect(handBuilt.test("['create', 'mount', 'receive', 'rollback', 'destroy']")).toBe(false);
  });

  it('no destroy, rollback, hold or release argv is built outside electron/services/zfs, and no receive -F', () => {
    const offenders = [...sources(path.join(root, 'electron')), ...sources(path.join(root, 'shared'))].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (handBuilt.test(line) || forcedReceive.test(line) ? [`${path.relative(root, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
