import { doctorTask, promoteTask, repairTask, resetTask } from '../replication/task-maintenance.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** The maintenance verbs of a replication task (the CLI's doctor, repair, reset and promote). */
export function maintenanceHandlers(ctx: CoreContext): HandlerGroup<'doctorTask' | 'repairTask' | 'resetTask' | 'promoteTask'> {
  const { store, engineDeps } = ctx;
  return {
    doctorTask: ({ taskId }) => doctorTask(store.getTask(taskId), engineDeps(taskId)),
    repairTask: ({ taskId, dryRun, confirmation, destinationKey }) =>
      repairTask(store.getTask(taskId), engineDeps(taskId), { dryRun, ...(confirmation === undefined ? {} : { confirmation }), ...(destinationKey === undefined ? {} : { destinationKey }) }),
    resetTask: ({ taskId, dryRun }) => resetTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),
    promoteTask: ({ taskId, dryRun }) => promoteTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),
  };
}
