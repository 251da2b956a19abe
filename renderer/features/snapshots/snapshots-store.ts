import { create } from 'zustand';
import type { NasSnapshotListing, VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import { fateText, type SnapshotFate } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';
import { request } from '../../lib/request.ts';
import { snapshotRows, type SnapshotRow } from './snapshot-rows.ts';

export { newestFirst, snapshotRows, type SnapshotRow } from './snapshot-rows.ts';

// The snapshot screens' slice: one NAS listing (a dataset and its descendants, or every pool) with each snapshot's
// fate decided by the shared retention function (shared/snapshot-fates.ts), and the periodic snapshot tasks.

export interface SnapshotListing {
  connectionId: string;
  dataset: string | null;
  loading: boolean;
  error: AppError | null;
  listing: NasSnapshotListing | null;
  rows: SnapshotRow[];
}

interface SnapshotsState {
  current: SnapshotListing | null;
  snapshotTasks: PeriodicSnapshotTask[];
  replicationTasks: ReplicationTask[];
  tasksLoaded: boolean;
  /** The task the retention review showed last: coming back to the screen (the sidebar) shows it again. */
  reviewedTaskId: string | null;
  setReviewedTaskId(taskId: string): void;
  loadTasks(): Promise<void>;
  load(connectionId: string, dataset: string | null): Promise<void>;
  reload(): Promise<void>;
}

export const useSnapshots = create<SnapshotsState>((set, get) => ({
  current: null,
  snapshotTasks: [],
  replicationTasks: [],
  tasksLoaded: false,
  reviewedTaskId: null,
  setReviewedTaskId: (taskId) => set({ reviewedTaskId: taskId }),

  loadTasks: async () => {
    const [snapshotTasks, tasks] = await Promise.all([request('listSnapshotTasks', {}, { quiet: true }), request('listTasks', {}, { quiet: true })]);
    set({
      snapshotTasks: snapshotTasks.ok ? snapshotTasks.value : get().snapshotTasks,
      replicationTasks: tasks.ok ? tasks.value.map((t: VerbResponse<'listTasks'>[number]) => t.task) : get().replicationTasks,
      tasksLoaded: true,
    });
    const current = get().current;
    if (current?.listing) set({ current: { ...current, rows: snapshotRows(current.connectionId, current.listing, get().snapshotTasks, get().replicationTasks) } });
  },

  load: async (connectionId, dataset) => {
    const previous = get().current;
    const same = previous?.connectionId === connectionId && previous.dataset === dataset;
    set({ current: { connectionId, dataset, loading: true, error: null, listing: same ? previous.listing : null, rows: same ? previous.rows : [] } });
    if (!get().tasksLoaded) await get().loadTasks();
    const result = await request('listNasSnapshots', { connectionId, ...(dataset ? { dataset } : {}) }, { quiet: true, connectionId });
    const now = get().current;
    if (now?.connectionId !== connectionId || now.dataset !== dataset) return; // another listing was asked for since
    if (!result.ok) {
      set({ current: { ...now, loading: false, error: result.error } });
      return;
    }
    set({ current: { connectionId, dataset, loading: false, error: null, listing: result.value, rows: snapshotRows(connectionId, result.value, get().snapshotTasks, get().replicationTasks) } });
  },

  reload: async () => {
    const current = get().current;
    if (current) await get().load(current.connectionId, current.dataset);
  },
}));

/** A fate's line, with replication task names from the store (made only for the rows drawn). */
export function fateLine(fate: SnapshotFate): string {
  const tasks = useSnapshots.getState().replicationTasks;
  // The snapshot table asks twice in a row for the same row (the cell's tooltip, then its text): one line made.
  if (lastLine.fate !== fate || lastLine.tasks !== tasks) lastLine = { fate, tasks, line: fateText(fate, (id) => tasks.find((t) => t.id === id)?.name ?? id) };
  return lastLine.line;
}
let lastLine: { fate: SnapshotFate | null; tasks: unknown; line: string } = { fate: null, tasks: null, line: '' };
