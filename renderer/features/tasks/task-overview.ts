import type { RunInfo, VerbResponse } from '../../../shared/contract.ts';
import { cronSchedule } from '../../../shared/cron-schedule.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';

// The dashboard's reading of a task, as plain functions of data (tested without a DOM): its state with the kind of
// run in progress, when it runs next, and how far its replica lags behind the source compared with its schedule.

export type TaskEntry = VerbResponse<'listTasks'>[number];

/** PENDING, FINISHED, FAILED, or RUNNING with what the run in progress sends (TrueNAS's running_full / running_inc). */
export interface TaskStateView {
  state: TaskEntry['state'];
  running: 'running_full' | 'running_inc' | null;
  /** The state as the table shows it: "RUNNING (running_inc)". */
  label: string;
}

/** A run sends in full when any dataset's plan starts with a full send; otherwise incremental (or a resume). */
export function runningKind(run: Pick<RunInfo, 'datasets'>): 'running_full' | 'running_inc' {
  return run.datasets.some((d) => d.detail !== null && /^full\b/.test(d.detail)) ? 'running_full' : 'running_inc';
}

export function taskStateView(entry: Pick<TaskEntry, 'state' | 'activeRun'>, liveRun?: RunInfo | null): TaskStateView {
  // The task list can lag behind the run's own events: a run this screen saw end is over, whatever the list still says
  // (a refused run's page said "RUNNING (running_inc)" above "Refused: the destination diverged").
  const ended = liveRun && liveRun.state !== 'running' ? liveRun : null;
  const active = ended && entry.activeRun?.runId === ended.runId ? null : entry.activeRun;
  const run = liveRun && liveRun.state === 'running' ? liveRun : active && active.state === 'running' ? active : null;
  if (run) {
    const running = runningKind(run);
    return { state: 'RUNNING', running, label: `RUNNING (${running})` };
  }
  // As the history reads it: a real run that ended leaves FINISHED or FAILED (refused and cancelled included); a dry
  // run changes nothing.
  const state = entry.state === 'RUNNING' && ended && !ended.dryRun ? (ended.state === 'finished' ? 'FINISHED' : 'FAILED') : entry.state;
  return { state, running: null, label: state };
}

/** The time zone a task's schedule is read in (UTC when the schedule names none). */
export function scheduleZone(task: Pick<ReplicationTask, 'schedule'>): string | null {
  return task.schedule.kind === 'cron' ? (task.schedule.timeZone ?? 'UTC') : null;
}

/** The next scheduled run; null for a task run by hand, or an expression that never matches again. */
export function nextRun(task: Pick<ReplicationTask, 'schedule'>, now: Date): Date | null {
  if (task.schedule.kind !== 'cron') return null;
  try {
    return cronSchedule(task.schedule.expression, task.schedule.timeZone ?? 'UTC').next(now);
  } catch {
    return null;
  }
}

/** The schedule's interval around `now` (the gap between its next two runs); null for a task run by hand. */
export function scheduleIntervalMs(task: Pick<ReplicationTask, 'schedule'>, now: Date): number | null {
  if (task.schedule.kind !== 'cron') return null;
  try {
    const [a, b] = cronSchedule(task.schedule.expression, task.schedule.timeZone ?? 'UTC').nextRuns(2, now);
    return a && b ? b.getTime() - a.getTime() : null;
  } catch {
    return null;
  }
}

export type LagLevel = 'on-time' | 'late' | 'stale' | 'no-replica' | 'unscheduled' | 'unknown';

export interface LagView {
  level: LagLevel;
  /** Age of the newest snapshot the destination holds (the newest common one), ms; null when there is none. */
  ageMs: number | null;
  /** In words, for the table and the map: "on time (2 h)", "late (3 d, every day)". */
  label: string;
}

// A replica is on time while its newest snapshot is younger than one and a half intervals (the snapshot is taken
// up to an interval before the run that sends it), late up to three intervals (a run or two missed), stale after.
export const lagThresholds = { late: 1.5, stale: 3 } as const;

export function formatAge(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(ms / 3_600_000);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/**
 * How far the replica lags: `newestReplicated` is the creation time of the newest snapshot on the destination
 * (a received snapshot keeps its source's creation time, and the engine only ever adds the source's snapshots, so
 * it is the newest common snapshot); null when the destination has none; undefined when it was not read (yet).
 */
export function lagOf(newestReplicated: Date | null | undefined, intervalMs: number | null, now: Date): LagView {
  if (newestReplicated === undefined) return { level: 'unknown', ageMs: null, label: 'checking…' };
  if (newestReplicated === null) return { level: 'no-replica', ageMs: null, label: 'no replica yet' };
  const ageMs = Math.max(0, now.getTime() - newestReplicated.getTime());
  const age = formatAge(ageMs);
  if (intervalMs === null) return { level: 'unscheduled', ageMs, label: `${age} old (run by hand)` };
  if (ageMs <= intervalMs * lagThresholds.late) return { level: 'on-time', ageMs, label: `on time (${age})` };
  if (ageMs <= intervalMs * lagThresholds.stale) return { level: 'late', ageMs, label: `late (${age})` };
  return { level: 'stale', ageMs, label: `stale (${age})` };
}

/** The destination dataset a source lands in: <parent>/<last part of the source's name> (the engine's destinationNameOf). */
export function destinationOf(task: Pick<ReplicationTask, 'destinationParent'>, source: string): string {
  const tail = source.includes('/') ? source.slice(source.lastIndexOf('/') + 1) : source;
  return `${task.destinationParent}/${tail}`;
}

/** "nas-a:tank/docs, tank/photos" */
export function sourcesLabel(task: Pick<ReplicationTask, 'sources'>): string {
  return task.sources.map((s) => `${s.name}${s.recursive ? ' (+children)' : ''}`).join(', ');
}

export function transportLabel(task: Pick<ReplicationTask, 'transport'>): string {
  return task.transport.kind === 'relay' ? 'relay (through the app)' : 'direct (NAS to NAS)';
}

/** The text a search matches: name, NAS names, datasets, state, transport. */
export function searchText(entry: TaskEntry, names: { source: string; destination: string }): string {
  const t = entry.task;
  return [t.name, names.source, names.destination, ...t.sources.map((s) => s.name), t.destinationParent, entry.state, t.transport.kind].join(' ').toLowerCase();
}

export type StateFilter = 'all' | 'problems' | 'RUNNING' | 'FAILED' | 'PENDING' | 'FINISHED';

/** problems: failed, late or stale. */
export function matchesStateFilter(filter: StateFilter, state: TaskEntry['state'], lag: LagLevel): boolean {
  if (filter === 'all') return true;
  if (filter === 'problems') return state === 'FAILED' || lag === 'late' || lag === 'stale';
  return state === filter;
}
