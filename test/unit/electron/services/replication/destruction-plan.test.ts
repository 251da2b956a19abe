import { describe, expect, it } from 'vitest';
import { runReplicationTask, type EngineNas } from '../../../../../electron/services/replication/replication-engine.ts';
import type { RunOptions } from '../../../../../electron/services/ssh/command-runner.ts';
import { RunReportSchema } from '../../../../../shared/replication-reports.ts';
import { ReplicationTaskSchema } from '../../../../../shared/task-schemas.ts';
import { FakeNas } from '../tasks/fake-nas.ts';
import { testCapabilities } from '../zfs/fake-runner.ts';

// A diverged destination through the engine, both NAS at the runner seam: the refusal is one destruction plan that
// lists what `zfs destroy -r` really takes (a child the source never had included), its digest confirms only that,
// and the destination is listed again right before anything is destroyed.

const sourceId = '11111111-1111-4111-8111-111111111111';
const destinationId = '22222222-2222-4222-8222-222222222222';
const task = ReplicationTaskSchema.parse({
  id: '33333333-3333-4333-8333-333333333333',
  name: 'nightly',
  sourceConnectionId: sourceId,
  sources: [{ name: 'tank/data' }],
  destinationConnectionId: destinationId,
  destinationParent: 'backup/r',
  transport: { kind: 'relay' },
  selection: { kind: 'all' },
});
const replica = 'backup/r/data';

/** The destination has a replica with its own snapshot (no common one) and a child the source never had. */
function bed() {
  const source = new FakeNas('root@src:22', 'tank');
  const destination = new FakeNas('root@dst:22', 'backup');
  source.addDataset('tank');
  source.addDataset('tank/data');
  source.addSnapshot('tank/data', 's1');
  destination.addDataset('backup');
  destination.addDataset('backup/r');
  destination.addDataset(replica);
  destination.addSnapshot(replica, 'own-1');
  destination.addDataset(`${replica}/foreign`);
  destination.addSnapshot(`${replica}/foreign`, 'f1');
  const nas = async (id: string): Promise<EngineNas> => {
    const runner = id === sourceId ? source : destination;
    return { host: { runner, capabilities: testCapabilities }, privilege: 'root', label: runner.label };
  };
  return { source, destination, nas };
}

describe('a diverged destination', () => {
  it('is refused with ONE plan listing everything destroy -r takes, the foreign child included; nothing changes', async () => {
    const { destination, nas } = bed();
    const report = await runReplicationTask(task, { nas });
    expect(report.result).toBe('REFUSED');
    const plan = report.refusal!.destruction;
    expect(plan).toMatchObject({ purpose: 'divergence', taskId: task.id, connectionId: destinationId, host: 'root@dst:22' });
    expect(plan.operations.map((op) => op.command)).toEqual([`/usr/sbin/zfs destroy -v -p -r ${replica}`]);
    expect(plan.operations[0]!.items.map((i) => [i.kind, i.name, i.guid])).toEqual([
      ['filesystem', replica, destination.datasets.get(replica)!.guid],
      ['snapshot', `${replica}@own-1`, destination.snapshot(`${replica}@own-1`)!.guid],
      ['filesystem', `${replica}/foreign`, destination.datasets.get(`${replica}/foreign`)!.guid],
      ['snapshot', `${replica}/foreign@f1`, destination.snapshot(`${replica}/foreign@f1`)!.guid],
    ]);
    expect(plan.operations[0]!.items.find((i) => i.name === `${replica}/foreign`)?.note).toBe('not on the source: not replicated by this task');
    expect(report.refusal!.confirmation).toBe(plan.digest);
    expect(report.refusal!.wouldLose.join('\n')).toContain(`${replica}/foreign@f1`);
    expect(report.error?.code).toBe('CONFIRMATION_REQUIRED');
    expect(destination.changes()).toEqual([]);
    expect(RunReportSchema.parse(report)).toEqual(report);
  });

  it('a digest given before a new child appeared confirms nothing: refused again, the new child listed', async () => {
    const { destination, nas } = bed();
    const first = await runReplicationTask(task, { nas });
    destination.addDataset(`${replica}/later`);
    const again = await runReplicationTask(task, { nas }, { confirmation: first.refusal!.confirmation });
    expect(again.result).toBe('REFUSED');
    expect(again.error?.message).toContain('does not cover what is on the destination now');
    expect(again.refusal!.wouldLose.join('\n')).toContain(`${replica}/later`);
    expect(again.refusal!.confirmation).not.toBe(first.refusal!.confirmation);
    expect(destination.changes()).toEqual([]);
  });

  it('a change between the plan and the destroy (the re-check right before acting) refuses the run and names it', async () => {
    const { destination, nas } = bed();
    const first = await runReplicationTask(task, { nas });
    // Someone creates a child while the confirmed run is under way: after the run's own listing, before the destroy.
    let listings = 0;
    const run = destination.run.bind(destination);
    destination.run = async (argv: readonly string[], options?: RunOptions) => {
      const result = await run(argv, options);
      if (argv[1] === 'list' && argv.includes('all') && ++listings === 1) destination.addDataset(`${replica}/meanwhile`);
      return result;
    };
    const report = await runReplicationTask(task, { nas }, { confirmation: first.refusal!.confirmation });
    expect(report.result).toBe('REFUSED');
    expect(report.refusal!.changes.map((c) => [c.change, c.item.name])).toEqual([['added', `${replica}/meanwhile`]]);
    expect(report.error?.message).toContain(`new: ${replica}/meanwhile`);
    expect(report.refusal!.wouldLose.join('\n')).toContain(`${replica}/meanwhile`);
    // Listed again before acting, and nothing destroyed.
    expect(destination.changes().filter((argv) => argv[1] === 'destroy' || argv[1] === 'rollback')).toEqual([]);
    expect(destination.datasets.has(`${replica}/foreign`)).toBe(true);
  });

  it('the same destruction under another task is not confirmed by this task\'s digest', async () => {
    const { nas } = bed();
    const first = await runReplicationTask(task, { nas });
    const other = await runReplicationTask({ ...task, id: '44444444-4444-4444-8444-444444444444' }, { nas }, { confirmation: first.refusal!.confirmation, dryRun: true });
    expect(other.result).toBe('REFUSED');
    expect(other.refusal!.confirmation).not.toBe(first.refusal!.confirmation);
  });
});
