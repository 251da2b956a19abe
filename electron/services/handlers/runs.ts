import { randomUUID } from 'node:crypto';
import { AppFailure } from '../../../shared/result.ts';
import type { Caller } from '../rpc/dispatcher.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

type RunVerbs = 'runTask' | 'cancelTask' | 'planTask' | 'startRun' | 'cancelRun' | 'getRun' | 'listActiveRuns' | 'subscribeRuns' | 'unsubscribeRuns';

function clientOf(caller: Caller) {
  if (!caller.client) throw new AppFailure('INVALID_REQUEST', 'Run events go to a window or a bridge connection; this caller has none.', 'Call this from the app (or a bridge WebSocket).');
  return caller.client;
}

/** Runs as objects: start (returns at once), cancel, read, subscribe; and the blocking runTask for scripts. */
export function runHandlers(ctx: CoreContext): HandlerGroup<RunVerbs> {
  const { runs } = ctx;
  const registry = runs.registry;
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  return {
    runTask: async ({ taskId, dryRun, confirmation, destinationKey }) =>
      runs.startReplication(taskId, { by: ctx.by, dryRun, ...optional('confirmation', confirmation), ...optional('destinationKey', destinationKey) }).done,
    cancelTask: ({ taskId }) => ({ cancelled: runs.cancel(taskId) }),
    planTask: ({ task, destinationKey }) => runs.plan({ ...task, id: task.id ?? randomUUID() }, { by: ctx.by, ...optional('destinationKey', destinationKey) }),

    startRun: (request, caller) => {
      // Subscribed before the run exists: not one of its events can be missed.
      const runId = randomUUID();
      const client = request.subscribe ? caller.client : null;
      client?.subscribeRuns(runId);
      try {
        const run =
          request.kind === 'replication'
            ? runs.startReplication(request.taskId, { runId, by: ctx.by, dryRun: request.dryRun, ...optional('confirmation', request.confirmation), ...optional('destinationKey', request.destinationKey) })
            : request.kind === 'repair'
              ? runs.startRepair(request.taskId, { runId, by: ctx.by, confirmation: request.confirmation, ...optional('destinationKey', request.destinationKey) })
              : runs.startSnapshot(request.taskId, { runId, by: ctx.by, dryRun: request.dryRun });
        // The report arrives as runFinished; a failure is in it (and in getRun).
        run.done.catch(() => undefined);
        return run.info();
      } catch (error) {
        client?.unsubscribeRuns(runId);
        throw error;
      }
    },
    cancelRun: ({ runId }) => ({ cancelled: registry.cancel(runId) }),
    getRun: ({ runId }) => {
      const run = registry.get(runId);
      if (!run) throw new AppFailure('NOT_FOUND', 'That run is not running and not among the recent ones.', "Its result is in the task's history (listRuns) and log.");
      return run;
    },
    listActiveRuns: () => registry.list(),
    subscribeRuns: ({ runId }, caller) => {
      const client = clientOf(caller);
      if (runId === undefined) {
        client.subscribeRuns('all');
        return { runs: registry.list() };
      }
      const run = registry.get(runId);
      if (!run) throw new AppFailure('NOT_FOUND', 'That run is not running and not among the recent ones.', "Its result is in the task's history (listRuns) and log.");
      if (run.state === 'running') client.subscribeRuns(runId);
      return { runs: [run] };
    },
    unsubscribeRuns: ({ runId }, caller) => ({ unsubscribed: clientOf(caller).unsubscribeRuns(runId ?? 'all') }),
  };
}
