import type { CoreContext, HandlerGroup } from './context.ts';

/** Saved replication tasks and their history. */
export function taskHandlers(ctx: CoreContext): HandlerGroup<'listTasks' | 'saveTask' | 'removeTask' | 'listRuns'> {
  const { store, runs } = ctx;
  return {
    listTasks: () => store.listTasks().map((task) => ({ task, state: runs.state(task.id), activeRun: runs.activeRun(task.id), lastRun: store.history.last(task.id) })),
    saveTask: (input) => store.saveTask(input),
    removeTask: ({ id }) => {
      if (runs.isRunning(id)) runs.cancel(id);
      return { removed: store.removeTask(id) };
    },
    listRuns: ({ taskId, limit }) => store.history.list(taskId, limit === undefined ? {} : { limit }),
  };
}
