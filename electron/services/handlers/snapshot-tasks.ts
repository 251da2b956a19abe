import { pruneSnapshots } from '../snapshots/periodic-snapshots.ts';
import { plainPruneResult } from '../tasks/snapshot-task-runs.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

type SnapshotTaskVerbs = 'listSnapshotTasks' | 'saveSnapshotTask' | 'removeSnapshotTask' | 'runSnapshotTask' | 'pruneSnapshotTask';

/** Periodic snapshot tasks: saved, run now (a run object, waited for here), pruned by their lifetime. */
export function snapshotTaskHandlers(ctx: CoreContext): HandlerGroup<SnapshotTaskVerbs> {
  const { store, nas, runs } = ctx;
  return {
    listSnapshotTasks: () => store.listSnapshotTasks(),
    saveSnapshotTask: (input) => store.saveSnapshotTask(input),
    removeSnapshotTask: ({ id }) => {
      runs.cancel(id);
      return { removed: store.removeSnapshotTask(id) };
    },
    runSnapshotTask: async ({ taskId, dryRun }) => {
      // The run passes the replication tasks to the prune: it keeps what they have not sent yet.
      const result = await runs.startSnapshot(taskId, { by: ctx.by, dryRun }).done;
      if (!dryRun) ctx.log('info', `Periodic snapshot ${result.taken.snapshots.join(', ')}${result.pruned.destroyed.length > 0 ? `; pruned ${result.pruned.destroyed.join(', ')}` : ''}.`);
      return result;
    },
    pruneSnapshotTask: async ({ taskId, dryRun }) => {
      const task = store.getSnapshotTask(taskId);
      const pruned = await pruneSnapshots(task, await nas.host(task.connectionId), new Date(), { dryRun, replicationTasks: store.listTasks() });
      if (!dryRun && pruned.destroyed.length > 0) ctx.log('info', `Pruned ${pruned.destroyed.join(', ')}.`);
      return { taskId, pruned: plainPruneResult(pruned) };
    },
  };
}
