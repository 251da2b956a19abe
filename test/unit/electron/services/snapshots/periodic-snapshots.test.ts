import { describe, expect, it } from 'vitest';
import { planSourceRetention, pruneSnapshots, takeSnapshots } from '../../../../../electron/services/snapshots/periodic-snapshots.ts';
import { PeriodicSnapshotTaskSchema, ReplicationTaskSchema, type PeriodicSnapshotTask } from '../../../../../shared/task-schemas.ts';
import { decideRetention, prunedNames, RetentionRequestSchema } from '../../../../../shared/retention.ts';
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

  it('names on the NAS wall clock; a name taken twice in the hour a fall-back repeats says why', async () => {
    const { host, runner } = fakeHost();
    const paris = task({ recursive: false, timeZone: 'Europe/Paris' });
    expect((await takeSnapshots(paris, host, at, { dryRun: true })).snapshots).toEqual(['tank/data@auto-2026-11-21_11-05']);
    // 2026-10-25 01:30Z is 02:30 CET, an hour after 02:30 CEST took the same name.
    runner.reply({ exitCode: 1, stderr: "cannot create snapshot 'tank/data@auto-2026-10-25_02-30': dataset already exists" });
    await expect(takeSnapshots(paris, host, new Date(Date.UTC(2026, 9, 25, 1, 30)))).rejects.toMatchObject({ code: 'DATASET_EXISTS', appError: { hint: expect.stringContaining('daylight saving ended in Europe/Paris') } });
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
    const holds = 'tank/data@auto-2026-11-02_00-00\tkeep-me\t1700000000\n';
    runner.reply(dataset('tank/data')).reply(listing).reply(holds);
    const plan = await planSourceRetention(task(), host, at);
    expect(plan.datasets[0]!.prune).toEqual(['auto-2026-11-01_00-00', 'auto-2026-11-03_00-00']);
    // One `zfs holds` for the held snapshot only: its tag is not a replication task's, so it is plainly held.
    expect(runner.calls[2]!.argv).toEqual(['/usr/sbin/zfs', 'holds', '-H', '-p', 'tank/data@auto-2026-11-02_00-00']);
    expect(plan.datasets[0]!.decisions.map((d) => `${d.fate} ${d.reason.kind}`)).toEqual(['prune expired', 'keep held', 'keep not-in-schema', 'prune expired', 'keep within-lifetime']);
    // The plan carries its request: the review decides it again (here with a longer lifetime) and gets the same
    // answer for the same policy, in the renderer as here.
    const { request } = plan.datasets[0]!;
    expect(RetentionRequestSchema.parse(request)).toEqual(request);
    expect(decideRetention(request)).toEqual(plan.datasets[0]!.decisions);
    expect(prunedNames(decideRetention({ ...request, policy: { kind: 'custom', amount: 19, unit: 'days' } }))).toEqual(['auto-2026-11-01_00-00']);

    runner.reply(dataset('tank/data')).reply(listing).reply(holds).reply('destroy\ttank/data@auto-2026-11-01_00-00\ndestroy\ttank/data@auto-2026-11-03_00-00\nreclaim\t4096\n');
    const dry = await pruneSnapshots(task(), host, at, { dryRun: true });
    expect(runner.calls.at(-1)!.argv).toEqual(['/usr/sbin/zfs', 'destroy', '-n', '-v', '-p', 'tank/data@auto-2026-11-01_00-00,auto-2026-11-03_00-00']);
    expect(dry.destroyed).toEqual(['tank/data@auto-2026-11-01_00-00', 'tank/data@auto-2026-11-03_00-00']);
    expect(dry.reclaimBytes).toBe(4096);
  });

  it("a replication task's hold marks its common base; what it has not sent yet stays; a keep grid", async () => {
    const { host, runner } = fakeHost();
    const listing = ['auto-2026-11-18_22-00', 'auto-2026-11-19_00-30', 'auto-2026-11-19_12-00', 'auto-2026-11-20_12-00', 'auto-2026-11-21_09-00'].map((n, i) => snapshot(`tank/data@${n}`, i === 2 ? 1 : 0)).join('\n');
    runner.reply(dataset('tank/data')).reply(listing).reply('tank/data@auto-2026-11-19_12-00\tzfs-replication:task-1\t1700000000\n');
    const grid = task({ lifetime: { kind: 'grid', last: 0, hourly: 0, daily: 3, weekly: 0, monthly: 0, yearly: 0 }, timeZone: 'Europe/Paris' });
    const plan = await planSourceRetention(grid, host, at);
    expect(plan.datasets[0]!.decisions.map((d) => `${d.fate} ${d.reason.kind}`)).toEqual([
      'prune outside-grid',
      'prune superseded',
      'keep common-base',
      'keep not-yet-replicated',
      'keep not-yet-replicated',
    ]);
    // With the store's tasks: task-1 is not among them (deleted), and the one that sends tank/data selects another
    // schema: nothing waits to be sent.
    runner.reply(dataset('tank/data')).reply(listing).reply('tank/data@auto-2026-11-19_12-00\tzfs-replication:task-1\t1700000000\n');
    const replicationTasks = [
      ReplicationTaskSchema.parse({
        id: '66666666-6666-4666-8666-666666666666',
        name: 'daily',
        sourceConnectionId: grid.connectionId,
        sources: [{ name: 'tank/data' }],
        destinationConnectionId: '77777777-7777-4777-8777-777777777777',
        destinationParent: 'backup',
        transport: { kind: 'relay' },
        selection: { kind: 'naming-schema', schemas: ['daily-%Y-%m-%d_%H-%M'] },
      }),
    ];
    const other = await planSourceRetention(grid, host, at, {}, { replicationTasks });
    expect(other.datasets[0]!.prune).toEqual(['auto-2026-11-18_22-00', 'auto-2026-11-19_00-30']);
    expect(other.datasets[0]!.decisions[3]!.reason).toEqual({ kind: 'rule', rule: 'daily', n: 2 });
  });
});
