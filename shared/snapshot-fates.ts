import { cronSchedule } from './cron-schedule.ts';
import { decideRetention, describeReason, periodicRetentionRequest, replicationHoldTagPrefix, replicationNeedsOf, type RetentionDecision, type RetentionReason } from './retention.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from './task-schemas.ts';
import { formatInZone } from './time-zone.ts';

// The "fate" column of the snapshot table: for every snapshot of a NAS listing, what will happen to it and why —
// kept by which rule of which periodic snapshot task, pruned when by which task, held, a replication task's common
// base, or governed by no policy. Decided by the same decideRetention the prune runs (periodicRetentionRequest,
// replicationNeedsOf), so the table says what the prune will do. Pure: `now` is an input.

export interface FateSnapshot {
  /** Full name "tank/docs@auto-…". */
  name: string;
  dataset: string;
  shortName: string;
  userRefs: number | null;
  usedBytes: number | null;
}

export type FateKind = 'keep' | 'prune' | 'held' | 'base' | 'none';

export interface SnapshotFate {
  /** keep: a policy keeps it; prune: a policy prunes it; held / base: a guard keeps it; none: no policy governs it. */
  kind: FateKind;
  /** One short line: "daily #3 of Hourly docs", "pruned at the next run of Hourly docs (2026-12-02 10:00)". */
  text: string;
  /** The periodic snapshot task whose policy decided it, if any. */
  taskId: string | null;
  /** When it goes: the next run of the task that prunes it (or a lifetime's end); null when not planned. */
  pruneAt: number | null;
  reason: RetentionReason | null;
}

export interface FateInput {
  connectionId: string;
  snapshots: readonly FateSnapshot[];
  holdTags: Readonly<Record<string, readonly string[]>>;
  snapshotTasks: readonly PeriodicSnapshotTask[];
  replicationTasks: readonly ReplicationTask[];
  now: number;
}

/** Whether a periodic snapshot task takes (and prunes) snapshots of this dataset. */
export function taskCovers(task: Pick<PeriodicSnapshotTask, 'dataset' | 'recursive' | 'exclude'>, dataset: string): boolean {
  if (dataset === task.dataset) return true;
  if (!task.recursive || !dataset.startsWith(`${task.dataset}/`)) return false;
  return !task.exclude.some((excluded) => dataset === excluded || dataset.startsWith(`${excluded}/`));
}

/** The next scheduled run of a task after `now`; null for a manual schedule (or one that never runs again). */
export function nextRunOf(task: Pick<PeriodicSnapshotTask, 'schedule' | 'timeZone'>, now: number): number | null {
  if (task.schedule.kind !== 'cron') return null;
  try {
    return cronSchedule(task.schedule.expression, task.schedule.timeZone ?? task.timeZone ?? 'UTC').next(new Date(now)).getTime();
  } catch {
    return null;
  }
}

function fateOfDecision(decision: RetentionDecision, task: PeriodicSnapshotTask, taskName: (id: string) => string, nextRun: number | null): SnapshotFate {
  const zone = task.timeZone ?? 'UTC';
  const reason = decision.reason;
  const label = `${task.namingSchema} (${task.dataset})`;
  const base = { taskId: task.id, reason };
  if (decision.fate === 'prune') {
    const when = nextRun === null ? 'when the task runs' : `at the next run, ${formatInZone(nextRun, zone)}`;
    return { ...base, kind: 'prune', pruneAt: nextRun, text: `pruned ${when}: ${describeReason(reason, { timeZone: zone, taskName })} (${label})` };
  }
  if (reason.kind === 'held') return { ...base, kind: 'held', pruneAt: null, text: describeReason(reason, { timeZone: zone, taskName }) };
  if (reason.kind === 'common-base' || reason.kind === 'not-yet-replicated') return { ...base, kind: 'base', pruneAt: null, text: describeReason(reason, { timeZone: zone, taskName }) };
  const pruneAt = reason.kind === 'within-lifetime' ? reason.until : null;
  return { ...base, kind: 'keep', pruneAt, text: `${describeReason(reason, { timeZone: zone, taskName })} (${label})` };
}

/** Guards alone, for a snapshot no policy governs: its holds say whether a replication task needs it. */
function unmanagedFate(snapshot: FateSnapshot, tags: readonly string[] | undefined, taskName: (id: string) => string): SnapshotFate {
  const bases = (tags ?? []).filter((t) => t.startsWith(replicationHoldTagPrefix)).map((t) => t.slice(replicationHoldTagPrefix.length));
  if (bases.length > 0) {
    const reason: RetentionReason = { kind: 'common-base', taskIds: bases };
    return { kind: 'base', text: describeReason(reason, { taskName }), taskId: null, pruneAt: null, reason };
  }
  if ((snapshot.userRefs ?? 0) > 0) {
    const reason: RetentionReason = { kind: 'held', holds: snapshot.userRefs ?? 0 };
    return { kind: 'held', text: `${describeReason(reason)}${tags && tags.length > 0 ? ` — ${tags.map((t) => `"${t}"`).join(', ')}` : ''}`, taskId: null, pruneAt: null, reason };
  }
  return { kind: 'none', text: 'no retention policy: kept until destroyed by hand', taskId: null, pruneAt: null, reason: null };
}

const rank: Record<FateKind, number> = { base: 4, held: 3, prune: 2, keep: 1, none: 0 };

/** The fate of every snapshot of the listing, by full name. */
export function snapshotFates(input: FateInput): Map<string, SnapshotFate> {
  const names = new Map<string, string>([...input.replicationTasks.map((t) => [t.id, t.name] as const), ...input.snapshotTasks.map((t) => [t.id, `${t.namingSchema} on ${t.dataset}`] as const)]);
  const taskName = (id: string) => names.get(id) ?? id;
  const byDataset = new Map<string, FateSnapshot[]>();
  for (const s of input.snapshots) {
    let list = byDataset.get(s.dataset);
    if (!list) byDataset.set(s.dataset, (list = []));
    list.push(s);
  }
  const tasks = input.snapshotTasks.filter((t) => t.connectionId === input.connectionId);
  const nextRuns = new Map(tasks.map((t) => [t.id, nextRunOf(t, input.now)]));
  const fates = new Map<string, SnapshotFate>();
  for (const [dataset, list] of byDataset) {
    const request = list.map((s) => {
      const holdTags = input.holdTags[s.name];
      return { name: s.shortName, holds: s.userRefs ?? 0, usedBytes: s.usedBytes, ...(holdTags ? { holdTags: [...holdTags] } : {}) };
    });
    for (const task of tasks) {
      if (!taskCovers(task, dataset)) continue;
      const decisions = decideRetention(periodicRetentionRequest(task, request, input.now, replicationNeedsOf(input.replicationTasks, input.connectionId, dataset)));
      decisions.forEach((decision, i) => {
        if (decision.reason.kind === 'not-in-schema') return;
        const name = list[i]!.name;
        const fate = fateOfDecision(decision, task, taskName, nextRuns.get(task.id) ?? null);
        const before = fates.get(name);
        // Two tasks naming the same snapshot: if either prunes it, it goes (each prune acts alone), so "pruned"
        // beats "kept"; the guards (held, common base) are the same in every task's decision.
        if (!before || rank[fate.kind] > rank[before.kind]) fates.set(name, fate);
      });
    }
    for (const s of list) if (!fates.has(s.name)) fates.set(s.name, unmanagedFate(s, input.holdTags[s.name], taskName));
  }
  return fates;
}

export const fateWords: Record<FateKind, string> = { keep: 'kept', prune: 'pruned', held: 'held', base: 'common base', none: 'no policy' };
