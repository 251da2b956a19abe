import { create } from 'zustand';
import type { EventPayload, RunInfo, VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import type { RunRecord } from '../../../shared/task-schemas.ts';
import { onEvent } from '../../lib/event-stream.ts';
import { request } from '../../lib/request.ts';
import { applyFinished, applyLog, applyProgress, applyStep, liveRunOf, type LiveRun } from './run-model.ts';
import { destinationOf, type TaskEntry } from './task-overview.ts';

// The dashboard's slice: every task with its state, the live runs (from run events: the dashboard subscribes to all
// runs once), the age of each replica's newest snapshot (for the lag), and each task's run history. Views read it
// with selectors; these actions are the only way it changes.

export interface ReplicaAge {
  /** Creation of the newest snapshot on the destination (ISO); null: the destination has none (or no replica). */
  newest: string | null;
  checkedAt: string;
}

export interface HistoryEntry {
  loading: boolean;
  runs: RunRecord[];
  error: AppError | null;
}

interface TasksState {
  tasks: TaskEntry[];
  connections: Connection[];
  loaded: boolean;
  loadError: AppError | null;
  /** By task id; absent: not checked (yet), or the NAS could not be asked (`replicaErrors` says why). */
  replicaAges: Record<string, ReplicaAge>;
  replicaErrors: Record<string, AppError>;
  /** Live and recently finished runs by run id. */
  runs: Record<string, LiveRun>;
  /** The newest run seen per task (run id). */
  latestRun: Record<string, string>;
  history: Record<string, HistoryEntry>;
  subscribed: boolean;

  load(): Promise<void>;
  loadTasks(): Promise<void>;
  checkReplicas(): Promise<void>;
  subscribeAll(): Promise<void>;
  loadHistory(taskId: string): Promise<void>;
  /** Starts a replication (with a confirmation digest: the destruction the admin confirmed); the run id, or null. */
  runNow(taskId: string, confirmation?: string): Promise<string | null>;
  stop(runId: string): Promise<boolean>;
  removeTask(taskId: string): Promise<boolean>;
  /** A run the view follows (the route's run id) that this window has not seen yet. */
  fetchRun(runId: string): Promise<void>;
}

export const useTasks = create<TasksState>((set, get) => ({
  tasks: [],
  connections: [],
  loaded: false,
  loadError: null,
  replicaAges: {},
  replicaErrors: {},
  runs: {},
  latestRun: {},
  history: {},
  subscribed: false,

  load: async () => {
    const [connections] = await Promise.all([request('listConnections', {}, { quiet: true }), get().loadTasks(), get().subscribeAll()]);
    if (connections.ok) set({ connections: connections.value });
    void get().checkReplicas();
  },

  loadTasks: async () => {
    const result = await request('listTasks', {}, { quiet: true });
    if (!result.ok) {
      set({ loadError: result.error, loaded: true });
      return;
    }
    const now = Date.now();
    set((s) => {
      const runs = { ...s.runs };
      const latestRun = { ...s.latestRun };
      for (const entry of result.value) {
        if (entry.activeRun && !runs[entry.activeRun.runId]) {
          runs[entry.activeRun.runId] = liveRunOf(entry.activeRun, now);
          latestRun[entry.task.id] = entry.activeRun.runId;
        }
      }
      return { tasks: result.value, loaded: true, loadError: null, runs, latestRun };
    });
  },

  checkReplicas: async () => {
    const { tasks } = get();
    await Promise.all(
      tasks.map(async ({ task }) => {
        // The lag of a task is its most lagging source: the oldest of the newest snapshots of its replicas.
        let oldestNewest: number | null | undefined;
        for (const source of task.sources) {
          const dataset = destinationOf(task, source.name);
          const result = await request('listSnapshots', { connectionId: task.destinationConnectionId, dataset, recursive: false }, { quiet: true, connectionId: task.destinationConnectionId });
          if (!result.ok) {
            if (result.error.code === 'DATASET_NOT_FOUND' || /does not exist|not found/i.test(result.error.message)) {
              oldestNewest = null;
              continue;
            }
            set((s) => ({ replicaErrors: { ...s.replicaErrors, [task.id]: result.error } }));
            return;
          }
          const newest = result.value.filter((snap) => snap.type === 'snapshot').reduce<number | null>((max, snap) => (max === null || snap.creation > max ? snap.creation : max), null);
          if (newest === null) oldestNewest = null;
          else if (oldestNewest !== null) oldestNewest = oldestNewest === undefined ? newest : Math.min(oldestNewest, newest);
        }
        const age: ReplicaAge = { newest: oldestNewest ? new Date(oldestNewest * 1000).toISOString() : null, checkedAt: new Date().toISOString() };
        set((s) => {
          const { [task.id]: _dropped, ...replicaErrors } = s.replicaErrors;
          return { replicaAges: { ...s.replicaAges, [task.id]: age }, replicaErrors };
        });
      }),
    );
  },

  subscribeAll: async () => {
    if (get().subscribed) return;
    const result = await request('subscribeRuns', {}, { quiet: true });
    if (!result.ok) return;
    const now = Date.now();
    set((s) => {
      const runs = { ...s.runs };
      const latestRun = { ...s.latestRun };
      for (const info of result.value.runs) {
        runs[info.runId] = liveRunOf(info, now, runs[info.runId]);
        const current = latestRun[info.taskId] ? runs[latestRun[info.taskId]!] : undefined;
        if (!current || Date.parse(current.info.startedAt) <= Date.parse(info.startedAt)) latestRun[info.taskId] = info.runId;
      }
      return { runs, latestRun, subscribed: true };
    });
  },

  loadHistory: async (taskId) => {
    set((s) => ({ history: { ...s.history, [taskId]: { runs: s.history[taskId]?.runs ?? [], loading: true, error: null } } }));
    const result = await request('listRuns', { taskId, limit: 500 }, { quiet: true });
    set((s) => ({ history: { ...s.history, [taskId]: result.ok ? { runs: result.value, loading: false, error: null } : { runs: s.history[taskId]?.runs ?? [], loading: false, error: result.error } } }));
  },

  runNow: async (taskId, confirmation) => {
    const name = get().tasks.find((t) => t.task.id === taskId)?.task.name ?? 'the task';
    const result = await request('startRun', { kind: 'replication', taskId, ...(confirmation ? { confirmation } : {}) }, { action: `Run ${name}` });
    if (!result.ok) return null;
    addRun(result.value);
    return result.value.runId;
  },

  stop: async (runId) => {
    const result = await request('cancelRun', { runId }, { action: 'Stop the run' });
    return result.ok && result.value.cancelled;
  },

  removeTask: async (taskId) => {
    const result = await request('removeTask', { id: taskId }, { action: 'Delete the task' });
    if (!result.ok) return false;
    set((s) => ({ tasks: s.tasks.filter((t) => t.task.id !== taskId) }));
    return true;
  },

  fetchRun: async (runId) => {
    if (get().runs[runId]) return;
    const result = await request('getRun', { runId }, { quiet: true });
    if (result.ok) addRun(result.value);
  },
}));

function addRun(info: RunInfo): void {
  useTasks.setState((s) => ({
    runs: { ...s.runs, [info.runId]: liveRunOf(info, Date.now(), s.runs[info.runId]) },
    latestRun: { ...s.latestRun, [info.taskId]: info.runId },
  }));
}

function updateRun(runId: string, update: (run: LiveRun) => LiveRun): void {
  useTasks.setState((s) => {
    const run = s.runs[runId];
    return run ? { runs: { ...s.runs, [runId]: update(run) } } : {};
  });
}

// Run events reach this store whichever view is open (one event stream for the app).
onEvent('runStarted', ({ run }) => addRun(run));
onEvent('runStep', (step) => updateRun(step.runId, (run) => applyStep(run, step)));
onEvent('runProgress', (progress) => updateRun(progress.runId, (run) => applyProgress(run, progress, Date.now())));
onEvent('runLog', (line) => updateRun(line.runId, (run) => applyLog(run, line)));
onEvent('runFinished', (finished: EventPayload<'runFinished'>) => {
  useTasks.setState((s) => ({
    runs: { ...s.runs, [finished.run.runId]: applyFinished(s.runs[finished.run.runId], finished, Date.now()) },
    latestRun: s.latestRun[finished.run.taskId] ? s.latestRun : { ...s.latestRun, [finished.run.taskId]: finished.run.runId },
  }));
  const { history } = useTasks.getState();
  if (history[finished.run.taskId]) void useTasks.getState().loadHistory(finished.run.taskId);
  void useTasks.getState().checkReplicas();
});

// A task's state changed (a run started or ended here, in the CLI or the daemon): the list reads it again, at most
// once per half second however many arrive.
let reloadTimer: ReturnType<typeof setTimeout> | null = null;
onEvent('status', () => {
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    if (useTasks.getState().loaded) void useTasks.getState().loadTasks();
  }, 500);
});

export type { VerbResponse };
