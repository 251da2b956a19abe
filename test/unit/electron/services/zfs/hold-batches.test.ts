import { describe, expect, it } from 'vitest';
import { holdBatches, type KnownSide } from '../../../../../electron/services/zfs/hold-batches.ts';
import { settleHoldBatches } from '../../../../../electron/services/zfs/operations.ts';
import { fakeHost } from './fake-runner.ts';

/** A side from "dataset: snap snap" lines, listed under `roots`. */
function side(roots: string[], lines: Record<string, string>, alwaysOutside: string[] = []): KnownSide {
  return { roots, snapshotsOf: new Map(Object.entries(lines).map(([d, snaps]) => [d, new Set(snaps.split(' ').filter(Boolean))])), alwaysOutside };
}

const tree = { 'tank/f': 's1 s2', 'tank/f/a': 's1 s2', 'tank/f/b': 's1 s2', 'tank/f/b/x': 's1 s2' };
const all = (snap: string) => Object.keys(tree).map((d) => `${d}@${snap}`);

describe('holdBatches: one -r where the listing proves it exact', () => {
  it('a whole tree with the same snapshot name is one -r on its root', () => {
    expect(holdBatches(all('s2'), side(['tank/f'], tree))).toEqual({ recursive: [{ snapshot: 'tank/f@s2', members: all('s2') }], single: [] });
  });

  it('an excluded child that has the snapshot keeps the root from -r: its siblings go -r or named, never the child', () => {
    const named = all('s2').filter((s) => s !== 'tank/f/b/x@s2');
    const batches = holdBatches(named, side(['tank/f'], tree));
    // tank/f and tank/f/b would reach tank/f/b/x@s2: named one by one; tank/f/a has no children (named as it is).
    expect(batches.recursive).toEqual([]);
    expect(batches.single.sort()).toEqual(['tank/f/a@s2', 'tank/f/b@s2', 'tank/f@s2']);
  });

  it('a child without the snapshot does not stop -r (zfs skips it)', () => {
    const listed = { ...tree, 'tank/f/b/x': 's1' };
    const named = all('s2').filter((s) => s !== 'tank/f/b/x@s2');
    expect(holdBatches(named, side(['tank/f'], listed)).recursive).toEqual([{ snapshot: 'tank/f@s2', members: named }]);
  });

  it('a dataset the run sent into but does not name (a later step failed) is never reached by -r, whatever its listing said', () => {
    const listed = { ...tree, 'tank/f/b/x': 's1' };
    const named = all('s2').filter((s) => s !== 'tank/f/b/x@s2');
    const batches = holdBatches(named, side(['tank/f'], listed, ['tank/f/b/x', 'tank/f/a']));
    expect(batches.recursive).toEqual([]);
    expect(batches.single.sort()).toEqual(['tank/f/a@s2', 'tank/f/b@s2', 'tank/f@s2']);
  });

  it('nothing outside the listing roots goes -r (its children are unknown)', () => {
    expect(holdBatches(all('s2'), side(['tank/other'], tree))).toEqual({ recursive: [], single: all('s2') });
  });

  it('a deeper subtree goes -r when only it is exact; each snapshot name is its own batch', () => {
    const named = ['tank/f/b@s2', 'tank/f/b/x@s2', 'tank/f/a@s1', 'tank/f@s1'];
    const batches = holdBatches(named, side(['tank/f'], tree));
    expect(batches.recursive).toEqual([{ snapshot: 'tank/f/b@s2', members: ['tank/f/b@s2', 'tank/f/b/x@s2'] }]);
    expect(batches.single.sort()).toEqual(['tank/f/a@s1', 'tank/f@s1']);
  });

  it('a root named only for itself stays a plain argument', () => {
    expect(holdBatches(['tank/f/a@s2'], side(['tank/f'], tree))).toEqual({ recursive: [], single: ['tank/f/a@s2'] });
  });

  it('datasets new since the listing (received this run) are covered when named', () => {
    const named = [...all('s2'), 'tank/f/new@s2'];
    expect(holdBatches(named, side(['tank/f'], tree)).recursive).toEqual([{ snapshot: 'tank/f@s2', members: named }]);
  });
});

describe('settleHoldBatches', () => {
  it('runs the -r roots and the singles as two commands', async () => {
    const { host, runner } = fakeHost();
    await settleHoldBatches(host, 'hold', 't', { recursive: [{ snapshot: 'tank/f@s2', members: ['tank/f@s2', 'tank/f/a@s2'] }], single: ['tank/g@s9'] });
    expect(runner.calls.map((c) => c.argv.slice(1)).sort()).toEqual([
      ['hold', '-r', 't', 'tank/f@s2'],
      ['hold', 't', 'tank/g@s9'],
    ]);
  });

  it('a -r batch refused because one hold is already there (atomic in zfs) is retried as its members', async () => {
    const { host, runner } = fakeHost();
    runner
      .reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/f/a@s2': tag already exists on this dataset\n" })
      .reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/f/a@s2': tag already exists on this dataset\n" })
      .reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/f/a@s2': tag already exists on this dataset\n" })
      .reply({});
    await settleHoldBatches(host, 'hold', 't', { recursive: [{ snapshot: 'tank/f@s2', members: ['tank/f@s2', 'tank/f/a@s2'] }], single: [] });
    expect(runner.calls.map((c) => c.argv.slice(1))).toEqual([
      ['hold', '-r', 't', 'tank/f@s2'],
      ['hold', 't', 'tank/f@s2', 'tank/f/a@s2'],
      ['hold', 't', 'tank/f@s2'],
      ['hold', 't', 'tank/f/a@s2'],
    ]);
  });
});
