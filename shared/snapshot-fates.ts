import { cronSchedule } from './cron-schedule.ts';
import { describeReason, periodicRetentionRequest, pruneReasonKinds, replicationHoldTagPrefix, replicationNeedsOf, retentionReasons, type RetentionReason, type RetentionSnapshotData } from './retention.ts';
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
  /** Number of holds (0 when the listing said none). */
  holds: number;
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

/**
 * The hold tags of a snapshot, looked up only when it has holds: the listing asks `zfs holds` about held snapshots
 * alone, so one without holds has no tags. That also keeps 100,000 names out of Chromium's string table: there, a Map
 * or Set lookup with a string key internalizes the string (Node's V8 does not), every major GC then visits each entry
 * of the table, and that was 5–7 ms of the pause that came during the snapshot table's scroll. (An object indexed by
 * the names internalized them too, in both.)
 */
export function holdTagLookup(holdTags: Readonly<Record<string, readonly string[]>>): (name: string, holds: number) => readonly string[] | undefined {
  const tagsOf = new Map(Object.entries(holdTags));
  return (name, holds) => (holds > 0 ? tagsOf.get(name) : undefined);
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

/**
 * The fate a task's decision gives a snapshot. Written out field by field in one order (no spread of a shared base):
 * every fate has one shape, and no intermediate object is made per snapshot.
 */
function fateOfReason(reason: RetentionReason, task: PeriodicSnapshotTask, policyLabel: string, nextRun: number | null, holdTags: readonly string[]): SnapshotFate {
  const timeZone = task.timeZone ?? 'UTC';
  if (pruneReasonKinds.has(reason.kind)) return { kind: 'prune', taskId: task.id, pruneAt: nextRun, reason, timeZone, policyLabel, holdTags };
  if (reason.kind === 'held') return { kind: 'held', taskId: task.id, pruneAt: null, reason, timeZone, policyLabel: null, holdTags };
  if (reason.kind === 'common-base' || reason.kind === 'not-yet-replicated') return { kind: 'base', taskId: task.id, pruneAt: null, reason, timeZone, policyLabel: null, holdTags };
  return { kind: 'keep', taskId: task.id, pruneAt: reason.kind === 'within-lifetime' ? reason.until : null, reason, timeZone, policyLabel, holdTags };
}

/** A fate's hold tags when the snapshot has none: one array for all of them. */
const noHoldTags: readonly string[] = Object.freeze([]);

/** Guards alone, for a snapshot no policy governs: its holds say whether a replication task needs it. */
function unmanagedFate(snapshot: FateSnapshot, tags: readonly string[] = noHoldTags): SnapshotFate {
  const bases = tags.filter((t) => t.startsWith(replicationHoldTagPrefix)).map((t) => t.slice(replicationHoldTagPrefix.length));
  const reason: RetentionReason | null = bases.length > 0 ? { kind: 'common-base', taskIds: bases } : snapshot.holds > 0 ? { kind: 'held', holds: snapshot.holds } : null;
  return { kind: reason === null ? 'none' : reason.kind === 'held' ? 'held' : 'base', taskId: null, pruneAt: null, reason, timeZone: 'UTC', policyLabel: null, holdTags: tags };
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

/**
 * The fate of every snapshot of the listing, in the listing's order; equal fates are one object (fateInterner).
 * Made while a listing of 100,000 snapshots loads, and what it leaves behind is compacted by the major GC that comes
 * during the table's first scroll frames: no map by name, no decision object per snapshot, and a fate is made (and
 * its interning key written) once per reason object — the snapshots one keeper supersedes share their reason.
 */
export function snapshotFateList(input: FateInput): SnapshotFate[] {
  return decideFates(input, null);
}

/** The fate of every snapshot of the listing, by full name; equal fates are one object (fateInterner). */
export function snapshotFates(input: FateInput): Map<string, SnapshotFate> {
  const firstTask = new Int32Array(input.snapshots.length).fill(-1);
  const list = decideFates(input, firstTask);
  // The names in the order they always came: per dataset, those the tasks decide (each task's in turn), then the rest.
  const byDataset = groupByDataset(input.snapshots);
  const taskCount = Math.max(0, ...firstTask) + 1;
  const fates = new Map<string, SnapshotFate>();
  for (const indices of byDataset.values()) {
    for (let t = 0; t < taskCount; t++) for (const i of indices) if (firstTask[i] === t) fates.set(input.snapshots[i]!.name, list[i]!);
    for (const i of indices) if (firstTask[i] === -1) fates.set(input.snapshots[i]!.name, list[i]!);
  }
  return fates;
}

/** Indices of the snapshots of each dataset, in list order. */
function groupByDataset(snapshots: readonly FateSnapshot[]): Map<string, number[]> {
  const byDataset = new Map<string, number[]>();
  for (let i = 0; i < snapshots.length; i++) {
    const dataset = snapshots[i]!.dataset;
    let list = byDataset.get(dataset);
    if (!list) byDataset.set(dataset, (list = []));
    list.push(i);
  }
  return byDataset;
}

/** firstTask: when given, filled with the index (among the NAS's tasks) of the first task that decided each snapshot. */
function decideFates(input: FateInput, firstTask: Int32Array | null): SnapshotFate[] {
  const snapshots = input.snapshots;
  const tasks = input.snapshotTasks.filter((t) => t.connectionId === input.connectionId);
  const nextRuns = tasks.map((t) => nextRunOf(t, input.now));
  const labels = tasks.map((t) => `${t.namingSchema} on ${t.dataset}`);
  const fates: SnapshotFate[] = new Array(snapshots.length);
  const intern = fateInterner();
  const tagsOf = holdTagLookup(input.holdTags);
  let none: SnapshotFate | undefined;
  for (const [dataset, indices] of groupByDataset(snapshots)) {
    let request: RetentionSnapshotData[] | null = null;
    for (let t = 0; t < tasks.length; t++) {
      const task = tasks[t]!;
      if (!taskCovers(task, dataset)) continue;
      // One request per dataset, shared by its tasks (usedBytes is left out: reasons do not depend on it).
      request ??= indices.map((i) => {
        const s = snapshots[i]!;
        const holdTags = tagsOf(s.name, s.holds);
        return { name: s.shortName, holds: s.holds, holdTags: holdTags ? [...holdTags] : undefined };
      });
      const reasons = retentionReasons(periodicRetentionRequest(task, request, input.now, replicationNeedsOf(input.replicationTasks, input.connectionId, dataset)));
      // A snapshot without hold tags gets the fate of its reason object: content-equal for the same reason, so the
      // interner would return the same object anyway, without writing a key per snapshot.
      const byReason = new Map<RetentionReason, SnapshotFate>();
      for (let k = 0; k < indices.length; k++) {
        const reason = reasons[k]!;
        if (reason.kind === 'not-in-schema') continue;
        const i = indices[k]!;
        const tags = tagsOf(snapshots[i]!.name, snapshots[i]!.holds);
        let fate = tags ? undefined : byReason.get(reason);
        if (!fate) {
          fate = intern(fateOfReason(reason, task, labels[t]!, nextRuns[t]!, tags ?? noHoldTags));
          if (!tags) byReason.set(reason, fate);
        }
        const before = fates[i];
        // Two tasks naming the same snapshot: if either prunes it, it goes (each prune acts alone), so "pruned"
        // beats "kept"; the guards (held, common base) are the same in every task's decision.
        if (!before || rank[fate.kind] > rank[before.kind]) {
          fates[i] = fate;
          if (firstTask && !before) firstTask[i] = t;
        }
      }
    }
    // Indexed loops: a for-of over 100,000 indices made an iterator result for each where it ran unoptimized.
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (fates[i]) continue;
      const s = snapshots[i]!;
      const tags = tagsOf(s.name, s.holds);
      // Most unmanaged snapshots are neither held nor tagged: one fate for them all.
      if (!tags && s.holds === 0) fates[i] = none ??= intern(unmanagedFate(s));
      else fates[i] = intern(unmanagedFate(s, tags));
    }
  }
  return fates;
}

export const fateWords: Record<FateKind, string> = { keep: 'kept', prune: 'pruned', held: 'held', base: 'common base', none: 'no policy' };
