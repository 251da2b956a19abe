import { describe, expect, it } from 'vitest';
import { executeConfirmedDestruction, planDatasetDestroy, planRollbackTo, planSnapshotDestroy } from '../../../../../electron/services/snapshots/snapshot-destruction.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { DestructionPlanSchema } from '../../../../../shared/replication-reports.ts';
import { fakeHost, fixture } from '../zfs/fake-runner.ts';

// The snapshot screens' destructions, on listings captured from the VMs (test/fixtures/zfs): tank/zrd-fixtures/plain
// has s1 (2 holds), s2 (1 hold), s3, s4 and the bookmarks #s1 and "#s3 bookmark".

const plain = 'tank/zrd-fixtures/plain';
/** The captured listing, cut to `plain` with its snapshots and bookmarks (what `zfs list -d 1 plain` prints). */
const plainListing = fixture('replication-listing.txt')
  .split('\n')
  .filter((line) => line.startsWith(`${plain}\t`) || line.startsWith(`${plain}@`) || line.startsWith(`${plain}#`))
  .join('\n');
const connectionId = 'conn-a';

async function failureOf(promise: Promise<unknown>): Promise<AppFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof AppFailure)) throw new Error(`expected an AppFailure, got ${String(error)}`);
  return error;
}

describe('destroying snapshots from a screen', () => {
  it('plans exactly the chosen snapshots with GUIDs, sizes and the space zfs destroy -nv says they free', async () => {
    const { host, runner } = fakeHost();
    runner.reply(plainListing).reply(fixture('destroy-dry-run-snapshots.txt'));
    const plan = await planSnapshotDestroy({ host, connectionId }, [`${plain}@s3`, `${plain}@s4`]);
    expect(runner.calls.map((c) => c.argv.slice(1, 2).concat(c.argv.slice(-2)))).toEqual([
      ['list', '1', plain],
      ['destroy', '-p', `${plain}@s3,s4`],
    ]);
    expect(plan).toMatchObject({ purpose: 'destroy-snapshots', taskId: null, connectionId, host: 'root@fake-nas:22', refused: [], reclaimBytes: 57344 });
    expect(plan.operations).toEqual([
      {
        kind: 'destroy-snapshots',
        dataset: plain,
        snapshots: ['s3', 's4'],
        command: `/usr/sbin/zfs destroy -v -p ${plain}@s3,s4`,
        items: [
          { kind: 'snapshot', name: `${plain}@s3`, guid: '1452115322525801973', bytes: 0, note: null },
          { kind: 'snapshot', name: `${plain}@s4`, guid: '14164680224404432056', bytes: 0, note: null },
        ],
      },
    ]);
    expect(DestructionPlanSchema.parse(plan)).toEqual(plan);
  });

  it("refuses held snapshots with the reason: a replication task's hold is its common base", async () => {
    const { host, runner } = fakeHost();
    const holds = `${plain}@s1\tzfs-replication:task-1\t1795313119\n${plain}@s1\tkeep me\t1795313120\n`;
    runner.reply(plainListing).reply(holds).reply(`destroy\t${plain}@s4\nreclaim\t0\n`);
    const plan = await planSnapshotDestroy({ host, connectionId }, [`${plain}@s1`, `${plain}@s4`], { taskName: (id) => (id === 'task-1' ? 'Nightly' : undefined) });
    expect(plan.refused).toEqual([{ name: `${plain}@s1`, reason: 'common base of task "Nightly" (held by zfs-replication:task-1), held by "keep me"' }]);
    expect(plan.operations.map((op) => op.command)).toEqual([`/usr/sbin/zfs destroy -v -p ${plain}@s4`]);
  });

  it('refuses bad names before any command, and names snapshots that are not there', async () => {
    const { host, runner } = fakeHost();
    expect((await failureOf(planSnapshotDestroy({ host, connectionId }, [`${plain}@s;reboot`]))).code).toBe('INVALID_NAME');
    expect((await failureOf(planSnapshotDestroy({ host, connectionId }, []))).code).toBe('INVALID_REQUEST');
    expect(runner.calls).toEqual([]);
    runner.reply(plainListing);
    const gone = await failureOf(planSnapshotDestroy({ host, connectionId }, [`${plain}@s9`]));
    expect(gone.code).toBe('DATASET_NOT_FOUND');
    expect(gone.message).toContain(`${plain}@s9`);
  });

  it('executes only with the digest of the plan shown, lists again first, and refuses a replaced snapshot', async () => {
    const { host, runner } = fakeHost();
    runner.reply(plainListing).reply(fixture('destroy-dry-run-snapshots.txt'));
    const plan = await planSnapshotDestroy({ host, connectionId }, [`${plain}@s3`, `${plain}@s4`]);
    expect((await failureOf(executeConfirmedDestruction({ host, connectionId }, plan, undefined))).code).toBe('CONFIRMATION_REQUIRED');
    expect((await failureOf(executeConfirmedDestruction({ host, connectionId: 'conn-b' }, plan, plan.digest))).code).toBe('CONFIRMATION_REQUIRED');
    expect(runner.calls).toHaveLength(2);

    runner.reply(plainListing.replace('1452115322525801973', '999'));
    const replaced = await failureOf(executeConfirmedDestruction({ host, connectionId }, plan, plan.digest));
    expect(replaced.message).toContain(`replaced (another GUID): ${plain}@s3`);
    expect(runner.calls.map((c) => c.argv[1])).toEqual(['list', 'destroy', 'list']);

    runner.reply(plainListing).reply(fixture('destroy-dry-run-snapshots.txt'));
    const outcome = await executeConfirmedDestruction({ host, connectionId }, plan, plan.digest);
    expect(runner.calls.at(-1)!.argv).toEqual(['/usr/sbin/zfs', 'destroy', '-v', '-p', `${plain}@s3,s4`]);
    expect(outcome).toMatchObject({ destroyed: [`${plain}@s3`, `${plain}@s4`], reclaimBytes: 57344 });
  });
});

describe('rolling back from a screen', () => {
  it('lists every newer snapshot and bookmark and the unsnapshotted writes; a held one in the way blocks it', async () => {
    const { host, runner } = fakeHost();
    runner.reply(plainListing).reply(`${plain}@s2\tzrd:task-1\t1795313121\n`);
    const plan = await planRollbackTo({ host, connectionId }, `${plain}@s1`);
    expect(plan.operations[0]!.command).toBe(`/usr/sbin/zfs rollback -r ${plain}@s1`);
    expect(plan.operations[0]!.items.map((i) => [i.kind, i.name])).toEqual([
      ['snapshot', `${plain}@s2`],
      ['snapshot', `${plain}@s3`],
      ['snapshot', `${plain}@s4`],
      ['bookmark', `${plain}#s3 bookmark`],
      ['written-data', plain],
    ]);
    expect(plan.refused).toEqual([{ name: `${plain}@s2`, reason: 'held by "zrd:task-1"' }]);
    const blocked = await failureOf(executeConfirmedDestruction({ host, connectionId }, plan, plan.digest));
    expect(blocked.message).toContain('held by "zrd:task-1"');
    expect(runner.calls).toHaveLength(2);
  });

  it('to the newest snapshot: only the writes since it go', async () => {
    const { host, runner } = fakeHost();
    runner.reply(plainListing);
    const plan = await planRollbackTo({ host, connectionId }, `${plain}@s4`);
    expect(plan.operations[0]!.items).toEqual([{ kind: 'written-data', name: plain, guid: '10745213409743237802', bytes: 335872, note: 'since @s4' }]);
  });
});

describe('destroying a dataset from a screen', () => {
  it('lists the dataset, its children, snapshots and bookmarks; never a pool', async () => {
    const { host, runner } = fakeHost();
    expect((await failureOf(planDatasetDestroy({ host, connectionId }, 'tank'))).code).toBe('INVALID_REQUEST');
    runner.reply(fixture('replication-listing.txt'));
    const plan = await planDatasetDestroy({ host, connectionId }, 'tank/zrd-fixtures/with space');
    expect(runner.calls[0]!.argv).toContain('-r');
    expect(plan.operations[0]!.items.map((i) => i.name)).toEqual(['tank/zrd-fixtures/with space', 'tank/zrd-fixtures/with space@snap with space', 'tank/zrd-fixtures/with space@ second']);
    expect(plan.operations[0]!.command).toBe("/usr/sbin/zfs destroy -v -p -r 'tank/zrd-fixtures/with space'");
  });
});
