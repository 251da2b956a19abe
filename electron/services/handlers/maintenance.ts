import { doctorTask, promoteTask, repairTask, resetTask } from '../replication/task-maintenance.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** The maintenance verbs of a replication task (the CLI's doctor, repair, reset and promote). */
export function maintenanceHandlers(ctx: CoreContext): HandlerGroup<'doctorTask' | 'repairTask' | 'resetTask' | 'promoteTask'> {
  const { store, engineDeps } = ctx;
  return {
    doctorTask: ({ taskId }) => doctorTask(store.getTask(taskId), engineDeps(taskId)),
    // A proposal (dry run, or no confirmation yet) answers at once; applying it is a run (events, log, history).
    repairTask: ({ taskId, dryRun, confirmation, destinationKey }) =>
      !dryRun && confirmation !== undefined
        ? ctx.runs.startRepair(taskId, { by: ctx.by, confirmation, ...(destinationKey === undefined ? {} : { destinationKey }) }).done
        : repairTask(store.getTask(taskId), engineDeps(taskId), { dryRun, ...(confirmation === undefined ? {} : { confirmation }), ...(destinationKey === undefined ? {} : { destinationKey }) }),
    resetTask: ({ taskId, dryRun }) => resetTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),
    promoteTask: ({ taskId, dryRun }) => promoteTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),
  };
}
