import { AppFailure } from '../../../shared/result.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** Task logs: read from an offset, or follow them in a window (taskLog events, whoever writes the file). */
export function logHandlers(ctx: CoreContext): HandlerGroup<'readTaskLog' | 'tailTaskLog' | 'untailTaskLog'> {
  const { store, taskLog } = ctx;
  /** A replication or a periodic snapshot task: both keep a log under their id. */
  const taskIdOf = (taskId: string) => {
    if (store.listTasks().some((t) => t.id === taskId) || store.listSnapshotTasks().some((t) => t.id === taskId)) return taskId;
    throw new AppFailure('NOT_FOUND', 'There is no task with that id.', 'Reload the task list.');
  };
  /** Tails by client and task: one per pair; stopped with untail or when the client goes. */
  const tails = new Map<string, () => void>();
  return {
    readTaskLog: ({ taskId, offset, maxBytes }) => ({ ...taskLog.read(taskIdOf(taskId), offset, maxBytes), path: taskLog.path(taskId) }),
    tailTaskLog: ({ taskId, offset }, caller) => {
      const client = caller.client;
      if (!client) throw new AppFailure('INVALID_REQUEST', 'Following a log needs an event connection (a window or a bridge client).', 'Use readTaskLog from a script.');
      const id = taskIdOf(taskId);
      const key = `${client.id}:${id}`;
      tails.get(key)?.();
      const from = offset ?? taskLog.read(id, Number.MAX_SAFE_INTEGER, 1024).size;
      const stopFollowing = taskLog.follow(id, from, (chunk) => client.send('taskLog', { taskId: id, ...chunk }));
      const forget = client.onClose(() => stop());
      const stop = () => {
        stopFollowing();
        forget();
        tails.delete(key);
      };
      tails.set(key, stop);
      return { offset: from };
    },
    untailTaskLog: ({ taskId }, caller) => {
      const stop = caller.client ? tails.get(`${caller.client.id}:${taskId}`) : undefined;
      stop?.();
      return { stopped: stop !== undefined };
    },
  };
}
