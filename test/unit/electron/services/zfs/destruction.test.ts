import { describe, expect, it } from 'vitest';
import {
  assertConfirmed,
  buildDestructionPlan,
  destructionChanges,
  executeDestruction,
  executeOperations,
  planWords,
  type DestructionScope,
  type Inventory,
} from '../../../../../electron/services/zfs/destruction.ts';
import { parseReplicationListing } from '../../../../../electron/services/zfs/replication-listing.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { fakeHost, testCapabilities } from './fake-runner.ts';

// One destruction plan per action: exactly what each command destroys (descendants included) with GUIDs, a digest
// bound to the purpose, task, connection and GUIDs, and a re-check against a fresh listing before acting.

const tools = testCapabilities.tools;

/** A replication listing row: name type guid createtxg used written userrefs encryption keystatus readonly token promoted. */
const row = (name: string, type: string, guid: string, txg: number, used: number | '-', written: number | '-' = '-', userrefs: number | '-' = '-') =>
  [name, type, guid, txg, used, written, userrefs, 'off', '-', type === 'snapshot' || type === 'bookmark' ? '-' : 'on', '-', '-'].join('\t');

const replica = 'backup/r/data';
const base = [
  row('backup/r', 'filesystem', '1', 1, 500_000, 0),
  row(replica, 'filesystem', '2', 2, 300_000, 0),
  row(`${replica}@own-1`, 'snapshot', '3', 3, 4096, '-', 0),
  row(`${replica}/foreign`, 'filesystem', '4', 4, 100_000, 0),
  row(`${replica}/foreign@f1`, 'snapshot', '5', 5, 8192, '-', 1),
];
const listingOf = (rows: string[]): Inventory => parseReplicationListing(rows.join('\n'));
const scope: DestructionScope = { purpose: 'divergence', taskId: 'task-1', connectionId: 'conn-b', host: 'root@nas-b:22' };

describe('destruction plan', () => {
  it('a dataset destroy lists everything below it: the foreign child and its snapshot, with GUIDs and sizes', () => {
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(base));
    expect(plan.operations).toEqual([
      {
        kind: 'destroy-dataset',
        dataset: replica,
        command: `/usr/sbin/zfs destroy -v -p -r ${replica}`,
        items: [
          { kind: 'filesystem', name: replica, guid: '2', bytes: 300_000, note: null },
          { kind: 'snapshot', name: `${replica}@own-1`, guid: '3', bytes: 4096, note: null },
          { kind: 'filesystem', name: `${replica}/foreign`, guid: '4', bytes: 100_000, note: null },
          { kind: 'snapshot', name: `${replica}/foreign@f1`, guid: '5', bytes: 8192, note: null },
        ],
      },
    ]);
    expect(planWords(plan)).toContain(`${replica}/foreign@f1 (snapshot, 8.0 KiB)`);
    expect(plan.digest).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a rollback lists the newer snapshots and bookmarks and the data written since the newest snapshot', () => {
    const rows = [
      row(replica, 'filesystem', '2', 2, 300_000, 70_000),
      row(`${replica}@s1`, 'snapshot', '10', 3, 4096, '-', 1),
      row(`${replica}@local`, 'snapshot', '11', 4, 2048, '-', 0),
      row(`${replica}#mark`, 'bookmark', '11', 4, '-'),
    ];
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'rollback', to: `${replica}@s1` }], listingOf(rows));
    expect(plan.operations[0]).toMatchObject({ kind: 'rollback', to: `${replica}@s1`, command: `/usr/sbin/zfs rollback -r ${replica}@s1` });
    expect(planWords(plan)).toEqual([`${replica}@local (snapshot, 2.0 KiB)`, `${replica}#mark (bookmark)`, `68.4 KiB written to ${replica} since @local`]);
  });

  it('the digest is bound to the task, the connection, the purpose and each GUID, not to the names alone', () => {
    const inventory = listingOf(base);
    const digest = (over: Partial<DestructionScope> = {}, rows = base) => buildDestructionPlan({ ...scope, ...over }, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(rows)).digest;
    expect(digest()).toBe(buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], inventory).digest);
    expect(digest({ taskId: 'task-2' })).not.toBe(digest());
    expect(digest({ connectionId: 'conn-c' })).not.toBe(digest());
    expect(digest({ purpose: 'prune' })).not.toBe(digest());
    // Same names, the foreign child destroyed and created again: another GUID, another digest.
    expect(digest({}, base.map((r) => r.replace(`${replica}/foreign\tfilesystem\t4`, `${replica}/foreign\tfilesystem\t44`)))).not.toBe(digest());
  });

  it('a plan edited after it was shown confirms nothing; the right digest does', () => {
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(base));
    expect(() => assertConfirmed(plan, plan.digest)).not.toThrow();
    expect(() => assertConfirmed(plan, undefined)).toThrow(expect.objectContaining({ code: 'CONFIRMATION_REQUIRED' }));
    const trimmed = { ...plan, operations: plan.operations.map((op) => ({ ...op, items: op.items.slice(0, 1) })) };
    expect(() => assertConfirmed(trimmed, plan.digest)).toThrow(expect.objectContaining({ code: 'CONFIRMATION_REQUIRED' }));
  });

  it('names what changed: a new child, a replaced snapshot, a gone one, data that grew', () => {
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(base));
    const now = listingOf([
      ...base.slice(0, 3),
      row(`${replica}/foreign`, 'filesystem', '4', 4, 100_000, 0),
      row(`${replica}/foreign@f1`, 'snapshot', '55', 9, 8192, '-', 0),
      row(`${replica}/later`, 'filesystem', '6', 10, 50_000, 0),
    ]);
    expect(destructionChanges(plan.operations, now).map((c) => [c.change, c.item.name])).toEqual([
      ['changed', `${replica}/foreign@f1`],
      ['added', `${replica}/later`],
    ]);
    expect(destructionChanges(plan.operations, listingOf(base.slice(0, 3))).map((c) => [c.change, c.item.name])).toEqual([
      ['removed', `${replica}/foreign`],
      ['removed', `${replica}/foreign@f1`],
    ]);
    const rollback = (written: number) => [row(replica, 'filesystem', '2', 2, 300_000, written), row(`${replica}@s1`, 'snapshot', '10', 3, 4096, '-', 0)];
    const rolled = buildDestructionPlan(scope, tools, [{ kind: 'rollback', to: `${replica}@s1` }], listingOf(rollback(70_000)));
    // atime and the like move `written` a little: not a change. Megabytes more are.
    expect(destructionChanges(rolled.operations, listingOf(rollback(80_000)))).toEqual([]);
    expect(destructionChanges(rolled.operations, listingOf(rollback(5_000_000))).map((c) => c.change)).toEqual(['changed']);
  });
});

describe('executing a plan', () => {
  it('lists again first and refuses on any difference, naming it; nothing is destroyed', async () => {
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(base));
    const { host, runner } = fakeHost();
    runner.reply([...base, row(`${replica}/later`, 'filesystem', '6', 10, 50_000, 0)].join('\n'));
    const failure = await executeDestruction(host, plan, plan.digest).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AppFailure);
    expect((failure as AppFailure).code).toBe('CONFIRMATION_REQUIRED');
    expect((failure as AppFailure).message).toContain(`new: ${replica}/later`);
    const error = (failure as AppFailure).appError;
    const now = error.code === 'CONFIRMATION_REQUIRED' ? error.details.plan : undefined;
    expect(now?.digest).not.toBe(plan.digest);
    expect(error.code === 'CONFIRMATION_REQUIRED' && error.details.confirmation).toBe(now?.digest);
    expect(runner.calls.map((c) => c.argv[1])).toEqual(['list']);
    expect(runner.calls[0]!.argv).toContain('-r');
  });

  it("unchanged: releases the task's own holds on what goes, then runs the one guarded command", async () => {
    const plan = buildDestructionPlan(scope, tools, [{ kind: 'destroy-dataset', dataset: replica }], listingOf(base));
    const { host, runner } = fakeHost();
    runner
      .reply(base.join('\n'))
      .reply(`${replica}/foreign@f1\tzfs-replication:task-1\t1700000000\n`)
      .reply({})
      .reply(`destroy\t${replica}/foreign@f1\ndestroy\t${replica}/foreign\ndestroy\t${replica}@own-1\ndestroy\t${replica}\n`);
    const outcome = await executeDestruction(host, plan, plan.digest, { releaseTag: 'zfs-replication:task-1' });
    expect(runner.calls.map((c) => c.argv.slice(1).join(' '))).toEqual([
      expect.stringMatching(/^list /),
      `holds -H -p ${replica}/foreign@f1`,
      `release zfs-replication:task-1 ${replica}/foreign@f1`,
      `destroy -v -p -r ${replica}`,
    ]);
    expect(outcome.destroyed).toEqual([`${replica}/foreign@f1`, `${replica}/foreign`, `${replica}@own-1`, replica]);
  });

  it('a policy prune leaves what changed alone and destroys the rest', async () => {
    const rows = [row(replica, 'filesystem', '2', 2, 300_000, 0), row(`${replica}@a`, 'snapshot', '20', 3, 10, '-', 0), row(`${replica}@b`, 'snapshot', '21', 4, 10, '-', 0)];
    const plan = buildDestructionPlan({ ...scope, purpose: 'prune' }, tools, [{ kind: 'destroy-snapshots', dataset: replica, snapshots: ['a', 'b'] }], listingOf(rows));
    const { host, runner } = fakeHost();
    runner.reply([rows[0]!, rows[1]!, row(`${replica}@b`, 'snapshot', '99', 9, 10, '-', 0)].join('\n')).reply(`destroy\t${replica}@a\nreclaim\t4096\n`);
    const outcome = await executeOperations(host, plan, plan.operations, { onChange: 'skip-changed' });
    expect(runner.calls[1]!.argv.slice(1)).toEqual(['destroy', '-v', '-p', `${replica}@a`]);
    expect(outcome).toMatchObject({ destroyed: [`${replica}@a`], reclaimBytes: 4096 });
    expect(outcome.skipped.map((c) => [c.change, c.item.name])).toEqual([['changed', `${replica}@b`]]);
  });
});
