import type { CoreContext, HandlerGroup } from './context.ts';

/** Running a replication task now, and stopping it. */
export function runHandlers(ctx: CoreContext): HandlerGroup<'runTask' | 'cancelTask'> {
  const { bus, runs } = ctx;
  return {
    runTask: async ({ taskId, dryRun, confirmation, destinationKey }) => {
      if (!dryRun) bus.emit('status', { taskId, state: 'RUNNING' });
      // The key goes to this run's engine only: TaskRuns keeps it out of the history and the log.
      const report = await runs.run(taskId, { by: ctx.by, dryRun, ...(confirmation === undefined ? {} : { confirmation }), ...(destinationKey === undefined ? {} : { destinationKey }) });
      if (!dryRun) bus.emit('status', { taskId, state: report.result === 'FINISHED' ? 'FINISHED' : 'FAILED', ...(report.error ? { detail: report.error.message } : {}) });
      return report;
    },
    cancelTask: ({ taskId }) => ({ cancelled: runs.cancel(taskId) }),
  };
}
