import { create } from 'zustand';
import type { NasSnapshotListing, VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import { fateText, type SnapshotFate } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';
import { request } from '../../lib/request.ts';
import { snapshotRows, withFates, type SnapshotRow } from './snapshot-rows.ts';

export { newestFirst, snapshotRows, withFates, type SnapshotRow } from './snapshot-rows.ts';

// The snapshot screens' slice: one NAS listing (a dataset and its descendants, or every pool) with each snapshot's
// fate decided by the shared retention function (shared/snapshot-fates.ts), and the periodic snapshot tasks.

/**
 * A listing without its snapshots: they are kept once, as the table's rows (SnapshotRow). Keeping the listing's
 * snapshots beside the rows kept 100,000 more objects (and their guids) alive for nothing the screen shows.
 */
export type ListingHead = Omit<NasSnapshotListing, 'snapshots'>;

/** The listing's head: everything but its snapshots. */
function headOf({ snapshots: _snapshots, ...head }: NasSnapshotListing): ListingHead {
  return head;
}

export interface SnapshotListing {
  connectionId: string;
  dataset: string | null;
  loading: boolean;
  error: AppError | null;
  listing: ListingHead | null;
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
    if (current?.listing) {
      const context = { connectionId: current.connectionId, holdTags: current.listing.holdTags, snapshotTasks: get().snapshotTasks, replicationTasks: get().replicationTasks, now: Date.now() };
      set({ current: { ...current, rows: withFates(current.rows, context) } });
    }
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
    set({ current: { connectionId, dataset, loading: false, error: null, listing: headOf(result.value), rows: snapshotRows(connectionId, result.value, get().snapshotTasks, get().replicationTasks) } });
  },

  reload: async () => {
    const current = get().current;
    if (current) await get().load(current.connectionId, current.dataset);
  },
}));

/**
 * A fate's line, with replication task names from the store, made when a row is drawn and kept per fate: rows share
 * their fate objects (snapshotFates interns them), so a scroll frame finds most lines made already instead of
 * formatting the same dates and labels again for every row it brings into view (and the cell's tooltip and text ask
 * twice in a row). A new task list (names may have changed) starts afresh; lines of fates no row has any more go with
 * their fates (weak keys).
 */
export function fateLine(fate: SnapshotFate): string {
  const tasks = useSnapshots.getState().replicationTasks;
  if (lines.tasks !== tasks) lines = { tasks, byFate: new WeakMap() };
  let line = lines.byFate.get(fate);
  if (line === undefined) {
    line = fateText(fate, (id) => tasks.find((t) => t.id === id)?.name ?? id);
    lines.byFate.set(fate, line);
  }
  return line;
}
let lines: { tasks: unknown; byFate: WeakMap<SnapshotFate, string> } = { tasks: null, byFate: new WeakMap() };
