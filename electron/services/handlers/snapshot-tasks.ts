import type { PruneResultSchema } from '../../../shared/contract.ts';
import type { z } from 'zod';
import { pruneSnapshots, type PruneResult } from '../snapshots/periodic-snapshots.ts';
import { runSnapshotTask } from '../tasks/snapshot-task-runs.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** A prune result is plain data already (shared/retention.ts decides; times are epoch milliseconds). */
function plainPruneResult(result: PruneResult): z.output<typeof PruneResultSchema> {
  return result;
}

type SnapshotTaskVerbs = 'listSnapshotTasks' | 'saveSnapshotTask' | 'removeSnapshotTask' | 'runSnapshotTask' | 'pruneSnapshotTask';

/** Periodic snapshot tasks: saved, run now, pruned by their lifetime. */
export function snapshotTaskHandlers(ctx: CoreContext): HandlerGroup<SnapshotTaskVerbs> {
  const { store, nas } = ctx;
  return {
    listSnapshotTasks: () => store.listSnapshotTasks(),
    saveSnapshotTask: (input) => store.saveSnapshotTask(input),
    removeSnapshotTask: ({ id }) => ({ removed: store.removeSnapshotTask(id) }),
    runSnapshotTask: async ({ taskId, dryRun }) => {
      // The replication tasks tell the prune what they have not sent yet.
      const { taken, pruned } = await runSnapshotTask(store.getSnapshotTask(taskId), nas, { dryRun, replicationTasks: store.listTasks() });
      if (!dryRun) ctx.log('info', `Periodic snapshot ${taken.snapshots.join(', ')}${pruned.destroyed.length > 0 ? `; pruned ${pruned.destroyed.join(', ')}` : ''}.`);
      return { taskId, taken, pruned: plainPruneResult(pruned) };
    },
    pruneSnapshotTask: async ({ taskId, dryRun }) => {
      const task = store.getSnapshotTask(taskId);
      const pruned = await pruneSnapshots(task, await nas.host(task.connectionId), new Date(), { dryRun, replicationTasks: store.listTasks() });
      if (!dryRun && pruned.destroyed.length > 0) ctx.log('info', `Pruned ${pruned.destroyed.join(', ')}.`);
      return { taskId, pruned: plainPruneResult(pruned) };
    },
  };
}
