import { cronSchedule } from '../../../shared/cron-schedule.ts';

// The schedule calendar's data: every run of every scheduled task in a week, each with its typical duration (the
// median of its recent runs), runs that overlap another run on the same NAS, and runs that would not finish before
// the task's next start. Pure (no clock, no I/O), so it is unit-tested and the view only draws.

export interface CalendarTask {
  id: string;
  name: string;
  kind: 'replication' | 'snapshot';
  /** The NAS boxes the run works on (overlaps count per NAS). */
  connectionIds: readonly string[];
  expression: string;
  timeZone: string;
  /** ms; null: no history yet. */
  typicalMs: number | null;
}

export interface CalendarRun {
  taskId: string;
  start: number;
  end: number;
  /** Another task's run on a shared NAS is under way at the same time. */
  overlaps: string[];
  /** Lasts past the task's own next start (that start is skipped: runs of one task never overlap). */
  overruns: boolean;
}

/** Assumed when a task has no history: a snapshot takes seconds; a replication, a few minutes. */
export const defaultDurationMs = { replication: 5 * 60_000, snapshot: 60_000 } as const;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function weekRuns(tasks: readonly CalendarTask[], from: number, to: number, perTaskLimit = 3000): CalendarRun[] {
  const runs: CalendarRun[] = [];
  for (const task of tasks) {
    let times: Date[];
    try {
      times = cronSchedule(task.expression, task.timeZone).runsBetween(new Date(from), new Date(to), perTaskLimit + 1);
    } catch {
      continue;
    }
    const duration = task.typicalMs ?? defaultDurationMs[task.kind];
    times.forEach((time, i) => {
      const start = time.getTime();
      const next = times[i + 1]?.getTime() ?? null;
      runs.push({ taskId: task.id, start, end: start + duration, overlaps: [], overruns: next !== null && start + duration > next });
    });
  }
  runs.sort((a, b) => a.start - b.start);
  const nasOf = new Map(tasks.map((t) => [t.id, new Set(t.connectionIds)]));
  // Sweep: compare each run with the runs still under way when it starts.
  const open: CalendarRun[] = [];
  for (const run of runs) {
    for (let i = open.length - 1; i >= 0; i--) if (open[i]!.end <= run.start) open.splice(i, 1);
    const mine = nasOf.get(run.taskId)!;
    for (const other of open) {
      if (other.taskId === run.taskId) continue;
      if (![...nasOf.get(other.taskId)!].some((c) => mine.has(c))) continue;
      if (!run.overlaps.includes(other.taskId)) run.overlaps.push(other.taskId);
      if (!other.overlaps.includes(run.taskId)) other.overlaps.push(run.taskId);
    }
    open.push(run);
  }
  return runs;
}
