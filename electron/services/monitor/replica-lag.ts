import type { ReplicationTask, RunRecord } from '../../../shared/task-schemas.ts';
import { scheduledTimesBetween } from '../schedules/task-scheduler.ts';
import { cronSchedule } from '../../../shared/cron-schedule.ts';

// How far each replica lags its schedule, from the run history in the settings folder (whoever ran the task: the
// app, the daemon, cron): the scheduled times that passed since the start of the last successful run (a replica
// holds what the source had when that run started), each given a grace period to run in. Used by
// `zfs-replication status --monitor` (Nagios/Icinga) and by the desktop's "replica later than its schedule" notice.

export type LagState = 'ok' | 'warning' | 'critical' | 'unscheduled';

export interface LagThresholds {
  /** Missed scheduled times from which the replica is WARNING (default 1). */
  warnMissed: number;
  /** Missed scheduled times from which the replica is CRITICAL (default 2). */
  critMissed: number;
  /** How long after its time a run may take before that time counts as missed; default: half the interval, 30 s to 1 h. */
  graceMs?: number;
}

export const defaultLagThresholds: LagThresholds = { warnMissed: 1, critMissed: 2 };

export interface ReplicaLag {
  taskId: string;
  taskName: string;
  state: LagState;
  /** Scheduled times missed (counted up to the scheduler's limit; `capped` beyond). */
  missed: number;
  capped: boolean;
  /** Start of the last successful run (ISO), or null. */
  lastSuccessAt: string | null;
  /** now - lastSuccessAt, in seconds; null without a success. */
  lagSeconds: number | null;
  /** The first scheduled time missed (ISO), or null. */
  overdueSince: string | null;
  /** The last run's error when it failed. */
  lastError: string | null;
  /** One phrase: "missed 3 scheduled runs, last replicated 2 h ago". */
  summary: string;
}

/** "45 s", "12 min", "1 h 31 min", "14 h", "2 d". */
export function formatAge(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 60 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 10 * 3600) {
    const minutes = Math.round(seconds / 60);
    return `${Math.floor(minutes / 60)} h${minutes % 60 === 0 ? '' : ` ${minutes % 60} min`}`;
  }
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** Half the schedule's interval around `at`, kept between 30 s and one hour. */
export function defaultGraceMs(schedule: { expression: string; timeZone?: string | undefined }, at: Date): number {
  const cron = cronSchedule(schedule.expression, schedule.timeZone);
  const first = cron.next(at);
  const interval = cron.next(first).getTime() - first.getTime();
  return Math.min(3600_000, Math.max(30_000, Math.floor(interval / 2)));
}

/** The lag of one task's replica at `now`, from its history (oldest first). */
export function replicaLag(task: ReplicationTask, history: readonly RunRecord[], now: Date, thresholds: LagThresholds = defaultLagThresholds): ReplicaLag {
  const real = history.filter((run) => run.result !== 'DRY_RUN');
  const lastSuccess = real.filter((run) => run.result === 'FINISHED').at(-1) ?? null;
  const lastRun = real.at(-1) ?? null;
  const lastError = lastRun && lastRun.result !== 'FINISHED' ? (lastRun.error?.message ?? lastRun.result) : null;
  const base = {
    taskId: task.id,
    taskName: task.name,
    lastSuccessAt: lastSuccess?.startedAt ?? null,
    lagSeconds: lastSuccess ? Math.max(0, (now.getTime() - Date.parse(lastSuccess.startedAt)) / 1000) : null,
    lastError,
  };
  if (task.schedule.kind !== 'cron') {
    return { ...base, state: 'unscheduled', missed: 0, capped: false, overdueSince: null, summary: 'not scheduled (manual)' };
  }
  // Without a success, lateness counts from the first attempt; with no run at all there is nothing to measure yet.
  const reference = lastSuccess?.startedAt ?? real[0]?.startedAt ?? null;
  if (reference === null) {
    return { ...base, state: 'warning', missed: 0, capped: false, overdueSince: null, summary: 'never replicated yet' };
  }
  const from = new Date(Date.parse(reference));
  const grace = thresholds.graceMs ?? defaultGraceMs(task.schedule, from);
  const until = new Date(now.getTime() - grace);
  const times = until.getTime() > from.getTime() ? scheduledTimesBetween(task.schedule, from, until) : null;
  const missed = times?.count ?? 0;
  // A replica that never arrived is never OK, even before its first time counts as missed.
  const state: LagState = missed >= thresholds.critMissed ? 'critical' : missed >= thresholds.warnMissed || !lastSuccess ? 'warning' : 'ok';
  const last = lastSuccess ? `last replicated ${formatAge(base.lagSeconds!)} ago` : 'never replicated';
  const failed = lastError ? `; last run failed: ${lastError}` : '';
  const summary = missed === 0 ? `on schedule, ${last}${failed}` : `missed ${missed}${times?.capped ? '+' : ''} scheduled run${missed === 1 ? '' : 's'}, ${last}${failed}`;
  return { ...base, state, missed, capped: times?.capped ?? false, overdueSince: times ? times.first.toISOString() : null, summary };
}

export type MonitorStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const monitorExitCodes: Record<MonitorStatus, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Nagios plugin output: one line, worst first, with performance data (lag in seconds per task). */
export function monitorLine(lags: readonly ReplicaLag[]): { status: MonitorStatus; line: string } {
  const scheduled = lags.filter((lag) => lag.state !== 'unscheduled');
  const critical = scheduled.filter((lag) => lag.state === 'critical');
  const warning = scheduled.filter((lag) => lag.state === 'warning');
  const ok = scheduled.filter((lag) => lag.state === 'ok');
  const status: MonitorStatus = critical.length > 0 ? 'CRITICAL' : warning.length > 0 ? 'WARNING' : 'OK';
  const perfdata = scheduled.map((lag) => `'${lag.taskName.replace(/['=\s]/g, '_')}_lag'=${lag.lagSeconds === null ? 'U' : `${Math.round(lag.lagSeconds)}s`}`).join(' ');
  let text: string;
  if (scheduled.length === 0) text = 'no scheduled replication tasks';
  else if (status === 'OK') text = `${ok.length} scheduled replica${ok.length === 1 ? '' : 's'} on schedule`;
  else {
    const parts = [...critical, ...warning].map((lag) => `${lag.taskName} ${lag.summary}`);
    text = `${parts.join('; ')}${ok.length > 0 ? `; ${ok.length} other${ok.length === 1 ? '' : 's'} OK` : ''}`;
  }
  return { status, line: `${status}: ${text.replace(/[\r\n|]/g, ' ')}${perfdata ? ` | ${perfdata}` : ''}` };
}
