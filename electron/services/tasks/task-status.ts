import { toAppError, type AppError } from '../../../shared/result.ts';
import type { ReplicationTask, RunRecord, TaskState } from '../../../shared/task-schemas.ts';
import type { CommandRunner } from '../ssh/command-runner.ts';
import { inspectTaskLock } from '../replication/task-lock.ts';
import type { AppStore } from '../store/app-store.ts';
import { taskStateFromHistory } from './task-runs.ts';

// A task's state as every runner sees it: the run history says PENDING / FINISHED / FAILED, and the task lock on
// the source NAS says whether a run is in progress right now, whoever started it (the app, the CLI, cron elsewhere).

export interface LiveTaskStatus {
  task: ReplicationTask;
  /** RUNNING while the lock is held; otherwise the state from the history. */
  state: TaskState;
  /** The run holding the lock now (owner: its "<by> on <host> (pid N) since <time>" line), or null. */
  running: { owner: string | null } | null;
  /** The lock as the source NAS reported it; unknown when the NAS could not be asked. */
  lock: 'held' | 'free' | 'stale-owner' | 'unknown';
  /** Why the lock could not be checked (the state then comes from the history alone). */
  lockError: AppError | null;
  lastRun: RunRecord | null;
}

/** Asks each task's source NAS for its lock, all at once; one unreachable NAS only makes its tasks' live state unknown. */
export async function liveTaskStatuses(store: AppStore, tasks: readonly ReplicationTask[], runnerOf: (connectionId: string) => CommandRunner, signal?: AbortSignal): Promise<LiveTaskStatus[]> {
  return Promise.all(
    tasks.map(async (task): Promise<LiveTaskStatus> => {
      const fromHistory = taskStateFromHistory(store, task.id);
      const lastRun = store.history.last(task.id);
      try {
        const lock = await inspectTaskLock(runnerOf(task.sourceConnectionId), task.id, signal);
        const held = lock.state === 'held';
        return { task, state: held ? 'RUNNING' : fromHistory, running: held ? { owner: lock.owner } : null, lock: lock.state, lockError: null, lastRun };
      } catch (error) {
        return { task, state: fromHistory, running: null, lock: 'unknown', lockError: toAppError(error), lastRun };
      }
    }),
  );
}
