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
  /** The periodic snapshot task whose policy decided it, if any. */
  taskId: string | null;
  /** When it goes: the next run of the task that prunes it (or a lifetime's end); null when not planned. */
  pruneAt: number | null;
  reason: RetentionReason | null;
  /** The zone of the task's names (dates in the text). */
  timeZone: string;
  /** "auto-%Y-%m-%d_%H-%M (tank/docs)": which task, in the text. */
  policyLabel: string | null;
  /** Hold tags, for a snapshot held outside any policy. */
  holdTags: readonly string[];
}

/**
 * One short line, made only when shown (a table draws a screenful of 100,000 rows: formatting every date up front
 * would cost seconds): "daily #3: newest of its day (auto-… (tank/docs))", "pruned at the next run, 2026-12-02 10:00: …".
 */
export function fateText(fate: SnapshotFate, taskName: (id: string) => string = (id) => id): string {
  const zone = fate.timeZone;
  const why = fate.reason ? describeReason(fate.reason, { timeZone: zone, taskName }) : '';
  const label = fate.policyLabel ? ` (${fate.policyLabel})` : '';
  switch (fate.kind) {
    case 'prune':
      return `pruned ${fate.pruneAt === null ? 'when the task runs' : `at the next run, ${formatInZone(fate.pruneAt, zone)}`}: ${why}${label}`;
    case 'keep':
      return `${why}${label}`;
    case 'held':
      return `${why}${fate.holdTags.length > 0 ? ` — ${fate.holdTags.map((t) => `"${t}"`).join(', ')}` : ''}`;
    case 'base':
      return why;
    default:
      return 'no retention policy: kept until destroyed by hand';
  }
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

function fateOfDecision(decision: RetentionDecision, task: PeriodicSnapshotTask, nextRun: number | null, holdTags: readonly string[]): SnapshotFate {
  const reason = decision.reason;
  const base = { taskId: task.id, reason, timeZone: task.timeZone ?? 'UTC', policyLabel: `${task.namingSchema} on ${task.dataset}`, holdTags };
  if (decision.fate === 'prune') return { ...base, kind: 'prune', pruneAt: nextRun };
  if (reason.kind === 'held') return { ...base, kind: 'held', pruneAt: null, policyLabel: null };
  if (reason.kind === 'common-base' || reason.kind === 'not-yet-replicated') return { ...base, kind: 'base', pruneAt: null, policyLabel: null };
  return { ...base, kind: 'keep', pruneAt: reason.kind === 'within-lifetime' ? reason.until : null };
}

/** Guards alone, for a snapshot no policy governs: its holds say whether a replication task needs it. */
function unmanagedFate(snapshot: FateSnapshot, tags: readonly string[] = []): SnapshotFate {
  const base = { taskId: null, pruneAt: null, timeZone: 'UTC', policyLabel: null, holdTags: tags };
  const bases = tags.filter((t) => t.startsWith(replicationHoldTagPrefix)).map((t) => t.slice(replicationHoldTagPrefix.length));
  if (bases.length > 0) return { ...base, kind: 'base', reason: { kind: 'common-base', taskIds: bases } };
  if ((snapshot.userRefs ?? 0) > 0) return { ...base, kind: 'held', reason: { kind: 'held', holds: snapshot.userRefs ?? 0 } };
  return { ...base, kind: 'none', reason: null };
}

const rank: Record<FateKind, number> = { base: 4, held: 3, prune: 2, keep: 1, none: 0 };

/** Everything a fate says, as one string: two fates with the same key read the same and act the same. */
const fateKey = (fate: SnapshotFate) => JSON.stringify([fate.kind, fate.taskId, fate.pruneAt, fate.timeZone, fate.policyLabel, fate.holdTags, fate.reason]);

/**
 * One object per distinct fate: most snapshots share theirs with many others (every snapshot past a keep grid is
 * "pruned at the next run: older than every keep rule reaches"), and a listing of 100,000 snapshots kept 100,000
 * fates alive with as many reasons, labels and hold-tag arrays — a third of the window's heap, which every major GC
 * marks again while the snapshot table scrolls. Returns the fate given, or the equal one seen before.
 */
export function fateInterner(): (fate: SnapshotFate) => SnapshotFate {
  const seen = new Map<string, SnapshotFate>();
  return (fate) => {
    const key = fateKey(fate);
    const before = seen.get(key);
    if (before) return before;
    seen.set(key, fate);
    return fate;
  };
}

/** The fate of every snapshot of the listing, by full name; equal fates are one object (fateInterner). */
export function snapshotFates(input: FateInput): Map<string, SnapshotFate> {
  const byDataset = new Map<string, FateSnapshot[]>();
  for (const s of input.snapshots) {
    let list = byDataset.get(s.dataset);
    if (!list) byDataset.set(s.dataset, (list = []));
    list.push(s);
  }
  const tasks = input.snapshotTasks.filter((t) => t.connectionId === input.connectionId);
  const nextRuns = new Map(tasks.map((t) => [t.id, nextRunOf(t, input.now)]));
  const fates = new Map<string, SnapshotFate>();
  const intern = fateInterner();
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
        const fate = fateOfDecision(decision, task, nextRuns.get(task.id) ?? null, input.holdTags[name] ?? []);
        const before = fates.get(name);
        // Two tasks naming the same snapshot: if either prunes it, it goes (each prune acts alone), so "pruned"
        // beats "kept"; the guards (held, common base) are the same in every task's decision.
        if (!before || rank[fate.kind] > rank[before.kind]) fates.set(name, fate);
      });
    }
    for (const s of list) fates.set(s.name, intern(fates.get(s.name) ?? unmanagedFate(s, input.holdTags[s.name])));
  }
  return fates;
}

export const fateWords: Record<FateKind, string> = { keep: 'kept', prune: 'pruned', held: 'held', base: 'common base', none: 'no policy' };
