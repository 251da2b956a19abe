import { describe, expect, it } from 'vitest';
import type { DestructionPlan, DoctorReport, PromoteReport, RepairReport } from '../../../../shared/replication-reports.ts';
import { commandsInFix, deleteKeeps, destructionCommands, destructionItems, doctorSteps, doctorSummary, repairLists, replicasToPromote, resetItems } from '../../../../renderer/features/tasks/maintenance-model.ts';

const plan: DestructionPlan = {
  purpose: 'divergence', taskId: 't', connectionId: 'c', host: 'root@nas-b:22', refused: [], reclaimBytes: null, digest: 'abc',
  operations: [
    {
      kind: 'rollback', to: 'backup/docs@s1', command: "zfs rollback -r 'backup/docs@s1'",
      items: [
        { kind: 'snapshot', name: 'backup/docs@mine', guid: '1', bytes: 2048, note: 'not on the source' },
        { kind: 'written-data', name: 'backup/docs', guid: '2', bytes: 1_048_576, note: 'since @s1' },
      ],
    },
    { kind: 'destroy-dataset', dataset: 'backup/other', command: "zfs destroy -r 'backup/other'", items: [{ kind: 'bookmark', name: 'backup/other#b', guid: '3', bytes: null, note: null }, { kind: 'snapshot', name: 'backup/docs@mine', guid: '1', bytes: 2048, note: 'not on the source' }] },
  ],
};

describe('maintenance lists', () => {
  it('lists every destroyed item once, with what it is, its size and why', () => {
    expect(destructionItems(plan)).toEqual([
      { label: 'backup/docs@mine', detail: 'snapshot, 2.0 KiB, not on the source' },
      { label: 'backup/docs', detail: 'data written since the last snapshot, 1.0 MiB, since @s1' },
      { label: 'backup/other#b', detail: 'bookmark' },
    ]);
    expect(destructionCommands(plan)).toEqual(["zfs rollback -r 'backup/docs@s1'", "zfs destroy -r 'backup/other'"]);
    expect(destructionItems(null)).toEqual([]);
  });

  it("turns the doctor's checks into a checklist with each failure's fix", () => {
    const report: DoctorReport = {
      taskId: 't', checkedAt: 'now', status: 'fail',
      checks: [
        { id: 'ssh', title: 'SSH', status: 'ok', detail: 'both answer', hint: null },
        { id: 'readonly', title: 'Read-only replica', status: 'fail', detail: 'backup/docs is writable', hint: 'zfs set readonly=on backup/docs' },
        { id: 'holds', title: 'Holds', status: 'warn', detail: 'no hold', hint: 'Run Repair' },
      ],
    };
    expect(doctorSteps(report).map((s) => [s.id, s.state, s.fix])).toEqual([['ssh', 'done', null], ['readonly', 'failed', 'zfs set readonly=on backup/docs'], ['holds', 'warn', 'Run Repair']]);
    expect(doctorSummary(report)).toBe('1 failed, 1 with a warning of 3 checks.');
    expect(doctorSummary({ ...report, status: 'ok', checks: [report.checks[0]!] })).toBe('All 1 checks passed.');
  });

  it('lists the repair, reset and delete in words', () => {
    const repair = { actions: ['Hold @s1 on both sides'], destruction: plan } as unknown as RepairReport;
    expect(repairLists(repair)).toMatchObject({ actions: ['Hold @s1 on both sides'], healthy: false });
    expect(repairLists(repair).destroys).toHaveLength(3);
    expect(resetItems({ taskId: 't', dryRun: true, released: { source: ['tank/docs@s1'], destination: ['backup/docs@s1'] }, lockFiles: ['/var/run/zrd.lock'], unmarked: [], commands: [] }).map((i) => i.detail)).toEqual([
      'hold released on the source', 'hold released on the destination', 'lock file removed',
    ]);
    expect(deleteKeeps({ sources: [{ name: 'tank/docs', recursive: false, exclude: [] }], destinationParent: 'backup' }, 'nas-a', 'nas-b')[0]).toBe('Source datasets and their snapshots on nas-a: tank/docs');
  });

  it("finds the commands in a doctor's fix, to copy", () => {
    expect(commandsInFix('A write there makes the next run refuse. Set it back: zfs set readonly=on backup/docs.v2')).toEqual(['zfs set readonly=on backup/docs.v2']);
    expect(commandsInFix('Run `zfs release zfs-replication:x tank/a@s` then retry. Or zfs destroy tank/b.')).toEqual(['zfs release zfs-replication:x tank/a@s']);
    expect(commandsInFix('Run repair: it shows the minimal plan.')).toEqual([]);
  });
});

describe('promote', () => {
  const base: PromoteReport = { taskId: 't', dryRun: true, promotedAt: '2026-12-01T10:00:00.000Z', promoted: [], mounted: [], notes: [], commands: ["/usr/sbin/zfs set readonly=off 'zfs-replication:promoted=t promoted 2026-12-01T10:00:00.000Z by app' 'backup/r/my data'", '/usr/sbin/zfs set readonly=off zfs-replication:promoted=x backup/r/data', "/usr/sbin/zfs mount backup/r/data"], failback: [] };
  it('lists the replicas a dry run would make writable (the engine leaves promoted empty until it promotes)', () => {
    expect(replicasToPromote(base)).toEqual(['backup/r/my data', 'backup/r/data']);
    expect(replicasToPromote({ ...base, failback: [{ from: 'backup/r/data', to: 'tank/data', base: 's1', rollbackDestroys: [], commands: [] }] })).toEqual(['backup/r/data']);
    expect(replicasToPromote({ ...base, dryRun: false, promoted: ['backup/r/data'] })).toEqual(['backup/r/data']);
  });
});
