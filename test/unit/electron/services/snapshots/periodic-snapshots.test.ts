import { describe, expect, it } from 'vitest';
import { planSourceRetention, pruneSnapshots, takeSnapshots } from '../../../../../electron/services/snapshots/periodic-snapshots.ts';
import { PeriodicSnapshotTaskSchema, type PeriodicSnapshotTask } from '../../../../../shared/task-schemas.ts';
import { fakeHost } from '../zfs/fake-runner.ts';

// Periodic snapshots at the runner seam: the exact commands, one per tree; what a prune proposes.

const task = (overrides: Partial<PeriodicSnapshotTask> = {}): PeriodicSnapshotTask =>
  PeriodicSnapshotTaskSchema.parse({
    id: '44444444-4444-4444-8444-444444444444',
    connectionId: '55555555-5555-4555-8555-555555555555',
    dataset: 'tank/data',
    namingSchema: 'auto-%Y-%m-%d_%H-%M',
    schedule: { kind: 'manual' },
    lifetime: { kind: 'custom', amount: 2, unit: 'days' },
    ...overrides,
  });

// name type guid createtxg creation used available referenced encryption encryptionroot keystatus readonly origin receive_resume_token mounted mountpoint
const dataset = (name: string) => [name, 'filesystem', '1', '2', '1700000000', '1', '1', '1', 'off', '-', '-', 'off', '-', '-', 'yes', `/${name}`].join('\t');
// name type guid createtxg creation used referenced userrefs
const snapshot = (name: string, holds = 0) => [name, 'snapshot', '9', '3', '1700000000', '0', '0', String(holds)].join('\t');
const at = new Date(Date.UTC(2026, 10, 21, 10, 5));

describe('takeSnapshots', () => {
  it('recursive without exclusions: one zfs snapshot -r', async () => {
    const { host, runner } = fakeHost();
    runner.reply('').reply([dataset('tank/data'), dataset('tank/data/a')].join('\n'));
    const result = await takeSnapshots(task(), host, at);
    expect(runner.calls[0]!.argv).toEqual(['/usr/sbin/zfs', 'snapshot', '-r', 'tank/data@auto-2026-11-21_10-05']);
    expect(result.snapshots).toEqual(['tank/data@auto-2026-11-21_10-05', 'tank/data/a@auto-2026-11-21_10-05']);
  });

  it('excluded subtrees: the included datasets named in ONE command (one transaction group)', async () => {
    const { host, runner } = fakeHost();
    runner.reply([dataset('tank/data'), dataset('tank/data/a'), dataset('tank/data/skip'), dataset('tank/data/skip/deep'), dataset('tank/data/skipper')].join('\n'));
    const result = await takeSnapshots(task({ exclude: ['tank/data/skip'] }), host, at);
    expect(runner.calls.map((c) => c.argv.slice(1, 2)[0])).toEqual(['list', 'snapshot']);
    expect(runner.calls[1]!.argv).toEqual(['/usr/sbin/zfs', 'snapshot', 'tank/data@auto-2026-11-21_10-05', 'tank/data/a@auto-2026-11-21_10-05', 'tank/data/skipper@auto-2026-11-21_10-05']);
    expect(result.snapshots).toHaveLength(3);
  });

  it('a dry run lists and runs nothing else; an exclusion outside the tree is refused', async () => {
    const { host, runner } = fakeHost();
    const dry = await takeSnapshots(task({ recursive: false }), host, at, { dryRun: true });
    expect(dry).toEqual({ snapshots: ['tank/data@auto-2026-11-21_10-05'], command: '/usr/sbin/zfs snapshot tank/data@auto-2026-11-21_10-05', dryRun: true });
    expect(runner.calls).toEqual([]);
    // Refused when saved; a task that bypassed the schema (a hand-edited file) is refused before any command.
    expect(() => task({ exclude: ['tank/other'] })).toThrow('is not a child of');
    await expect(takeSnapshots({ ...task(), exclude: ['tank/other'] }, host, at)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(runner.calls).toEqual([]);
  });
});

describe('retention', () => {
  it('prunes expired schema snapshots in one atomic destroy per dataset; held and foreign names stay', async () => {
    const { host, runner } = fakeHost();
    const listing = [
      snapshot('tank/data@auto-2026-11-01_00-00'),
      snapshot('tank/data@auto-2026-11-02_00-00', 1),
      snapshot('tank/data@manual'),
      snapshot('tank/data@auto-2026-11-03_00-00'),
      snapshot('tank/data@auto-2026-11-21_10-00'),
    ].join('\n');
    runner.reply(dataset('tank/data')).reply(listing);
    const plan = await planSourceRetention(task(), host, at);
    expect(plan.datasets[0]!.prune).toEqual(['auto-2026-11-01_00-00', 'auto-2026-11-03_00-00']);

    runner.reply(dataset('tank/data')).reply(listing).reply('destroy\ttank/data@auto-2026-11-01_00-00\ndestroy\ttank/data@auto-2026-11-03_00-00\nreclaim\t4096\n');
    const dry = await pruneSnapshots(task(), host, at, { dryRun: true });
    expect(runner.calls.at(-1)!.argv).toEqual(['/usr/sbin/zfs', 'destroy', '-n', '-v', '-p', 'tank/data@auto-2026-11-01_00-00,auto-2026-11-03_00-00']);
    expect(dry.destroyed).toEqual(['tank/data@auto-2026-11-01_00-00', 'tank/data@auto-2026-11-03_00-00']);
    expect(dry.reclaimBytes).toBe(4096);
  });
});
