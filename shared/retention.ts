import { z } from 'zod';
import { cronSchedule } from './cron-schedule.ts';
import { namingSchema, type NamingSchema } from './naming-schema.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from './task-schemas.ts';
import { civilFromDays, DAY_MS, daysFromCivil, daysInMonth, formatInZone, HOUR_MS, TimeZoneSchema, zoneClock, type ZoneClock } from './time-zone.ts';

// Retention: which snapshots a policy keeps and which it prunes, decided before anything is destroyed, with the
// reason as data, so the review screens show exactly what the engine will then do: the periodic-snapshot prune and
// the replication engine's destination prune call decideRetention with the same request the review builds.
// Pure: no clock, no I/O; `now` and the time zone are inputs.
//
// Two kinds of policy:
// - a lifetime: forever, same as source (replicas), or N hours…years after the time in the snapshot's name;
// - a keep grid, as Proxmox Backup Server prunes (also what sanoid's and restic's counts express): keep the last N,
//   then the newest snapshot of each of the last N hours, days, ISO weeks (Monday to Sunday), months and years that
//   have snapshots, on the zone's wall clock. Rules apply in that order, and each one only counts periods older than
//   what the rules before it already keep, so every kept snapshot has exactly one rule and rank and the counts add
//   up (7 daily + 5 weekly keeps 12). Older snapshots of a period whose newest one a rule keeps are "superseded".
// Guards before any policy: never a held snapshot, never a replication task's common base, never a source snapshot a
// replication task has not sent yet, never a snapshot the naming schemas do not name, and never the newest one.

export const lifetimeUnits = ['hours', 'days', 'weeks', 'months', 'years'] as const;
export type LifetimeUnit = (typeof lifetimeUnits)[number];

/** The keep-grid rules, in the order they apply. */
export const keepRules = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type KeepRule = (typeof keepRules)[number];

/** Hold tag the replication engine puts on each task's common base (`zfs-replication:<task id>`). */
export const replicationHoldTagPrefix = 'zfs-replication:';

const ForeverPolicySchema = z.object({ kind: z.literal('forever') });
/** Replicas only: a snapshot goes once its source counterpart is gone (TrueNAS "Same as Source"). */
const SameAsSourcePolicySchema = z.object({ kind: z.literal('same-as-source') });
const CustomLifetimeSchema = z.object({
  kind: z.literal('custom'),
  amount: z.number().int('The lifetime is a whole number.').min(1, 'A lifetime is at least 1.').max(100_000, 'A lifetime is at most 100,000 units.'),
  unit: z.enum(lifetimeUnits),
});

const keepCount = z.number().int('A keep count is a whole number.').min(0, 'A keep count is 0 or more.').max(100_000, 'A keep count is at most 100,000.').default(0);
const KeepGridPolicySchema = z
  .object({
    kind: z.literal('grid'),
    last: keepCount,
    hourly: keepCount,
    daily: keepCount,
    weekly: keepCount,
    monthly: keepCount,
    yearly: keepCount,
  })
  .refine((grid) => keepRules.some((rule) => grid[rule] > 0), {
    message: 'A keep grid needs at least one count above 0 (e.g. keep 24 hourly and 7 daily); with none it would prune every snapshot.',
  });

/** A lifetime (what tasks store since the first release). */
export const LifetimeSchema = z.discriminatedUnion('kind', [ForeverPolicySchema, SameAsSourcePolicySchema, CustomLifetimeSchema]);
/** What a periodic snapshot task or a replication task's destination keeps: a lifetime or a keep grid. */
export const RetentionPolicySchema = z.discriminatedUnion('kind', [ForeverPolicySchema, SameAsSourcePolicySchema, CustomLifetimeSchema, KeepGridPolicySchema]);

export type Lifetime = z.infer<typeof LifetimeSchema>;
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;
/** As callers may write it: a grid's counts default to 0. */
export type RetentionPolicyInput = z.input<typeof RetentionPolicySchema>;
type KeepGridInput = z.input<typeof KeepGridPolicySchema>;

export const RetentionSnapshotSchema = z.object({
  /** The part after '@'. */
  name: z.string(),
  /** User holds (`userrefs`). */
  holds: z.number().int().min(0).default(0),
  /** Tags of those holds when known (`zfs holds`); `zfs-replication:<task>` marks a task's common base. */
  holdTags: z.array(z.string()).optional(),
  /** `used`: bytes only this snapshot holds, when known. */
  usedBytes: z.number().nonnegative().nullable().optional(),
});

export const RetentionRequestSchema = z.object({
  /** Snapshots of ONE dataset, oldest first, as `zfs list -s createtxg` lists them. */
  snapshots: z.array(RetentionSnapshotSchema),
  policy: RetentionPolicySchema,
  /** The policy governs the snapshots these schemas name; any other snapshot is never pruned. */
  namingSchemas: z.array(z.string()).min(1),
  /** The zone of the names' wall clock and of the grid's hours, days, weeks, months and years. */
  timeZone: TimeZoneSchema.default('UTC'),
  /** Milliseconds since the epoch. */
  now: z.number(),
  /** Snapshots a replication task's next incremental starts from. */
  commonBases: z.array(z.object({ taskId: z.string(), name: z.string() })).default([]),
  /**
   * Source side: replication tasks that send this dataset. Every snapshot after a task's base (in list order) that
   * the task selects is not yet replicated. base: the task's common base; null: never replicated (all are needed);
   * absent: the snapshot holding the task's hold tag. namingSchemas: what the task selects; null or absent: all.
   */
  replications: z.array(z.object({ taskId: z.string(), base: z.string().nullable().optional(), namingSchemas: z.array(z.string()).nullable().optional() })).default([]),
  /** Replica side, for "same as source": the snapshot names still on the source; null: unknown (nothing goes). */
  sourceNames: z.array(z.string()).nullable().default(null),
});

export type RetentionSnapshot = z.input<typeof RetentionSnapshotSchema>;
export type RetentionRequest = z.input<typeof RetentionRequestSchema>;
/** With every default filled in: what crosses the contract (the review re-decides it with another policy). */
export type RetentionSnapshotData = z.output<typeof RetentionSnapshotSchema>;
export type RetentionRequestData = z.output<typeof RetentionRequestSchema>;
/** A replication task that sends a dataset, as the source-side guard needs it. */
export type ReplicationNeed = NonNullable<RetentionRequest['replications']>[number];

const ruleEnum = z.enum(keepRules);
/** Why a snapshot is kept or pruned. Times are milliseconds since the epoch. */
export const RetentionReasonSchema = z.discriminatedUnion('kind', [
  // Guards: kept whatever the policy says.
  z.object({ kind: z.literal('common-base'), taskIds: z.array(z.string()) }),
  z.object({ kind: z.literal('held'), holds: z.number() }),
  z.object({ kind: z.literal('not-yet-replicated'), taskIds: z.array(z.string()) }),
  z.object({ kind: z.literal('not-in-schema') }),
  z.object({ kind: z.literal('newest') }),
  // The policy keeps it.
  z.object({ kind: z.literal('rule'), rule: ruleEnum, n: z.number() }),
  z.object({ kind: z.literal('within-lifetime'), until: z.number() }),
  z.object({ kind: z.literal('forever') }),
  z.object({ kind: z.literal('on-source') }),
  z.object({ kind: z.literal('source-unknown') }),
  // The policy prunes it.
  z.object({ kind: z.literal('expired'), on: z.number() }),
  z.object({ kind: z.literal('gone-from-source') }),
  z.object({ kind: z.literal('superseded'), rule: ruleEnum, by: z.string() }),
  z.object({ kind: z.literal('outside-grid') }),
]);
export type RetentionReason = z.infer<typeof RetentionReasonSchema>;
export type RetentionReasonKind = RetentionReason['kind'];

export const pruneReasonKinds: ReadonlySet<RetentionReasonKind> = new Set(['expired', 'gone-from-source', 'superseded', 'outside-grid']);
export const guardReasonKinds: ReadonlySet<RetentionReasonKind> = new Set(['common-base', 'held', 'not-yet-replicated', 'not-in-schema', 'newest']);

export const RetentionDecisionSchema = z.object({
  name: z.string(),
  /** The instant its name encodes (ms); null when no naming schema names it. */
  time: z.number().nullable(),
  fate: z.enum(['keep', 'prune']),
  /** The reason that decided the fate: a guard when one applies, else the policy's. */
  reason: RetentionReasonSchema,
  /** What the policy alone says (differs from reason when a guard keeps a snapshot the policy would prune). */
  policyReason: RetentionReasonSchema,
  /** When the policy lets it go (a lifetime's end; ms); null when that depends on snapshots yet to come. */
  prunableAt: z.number().nullable(),
  usedBytes: z.number().nullable(),
});
export type RetentionDecision = z.infer<typeof RetentionDecisionSchema>;

const DatedNameSchema = z.object({ name: z.string(), time: z.number() });
export const RetentionSummarySchema = z.object({
  total: z.number(),
  keep: z.number(),
  prune: z.number(),
  /** Decisive reasons, counted. */
  byReason: z.record(z.string(), z.number()),
  /** Kept snapshots per keep-grid rule. */
  byRule: z.record(z.string(), z.number()),
  /** Sum of `used` of the pruned snapshots: at least what pruning frees (neighbours' shared blocks come on top;
   * the engine's `zfs destroy -nv` gives the exact figure). null when no pruned snapshot's size is known. */
  reclaimBytes: z.number().nullable(),
  /** Every pruned snapshot's size was known. */
  reclaimBytesComplete: z.boolean(),
  oldestKept: DatedNameSchema.nullable(),
  newestKept: DatedNameSchema.nullable(),
  /** The earliest time a kept snapshot's lifetime ends (the next prune that will remove something). */
  nextPruneAt: z.number().nullable(),
});
export type RetentionSummary = z.infer<typeof RetentionSummarySchema>;

export const RetentionDiffSchema = z.object({
  /** Snapshots whose fate differs, in snapshot order. */
  changes: z.array(z.object({ name: z.string(), time: z.number().nullable(), from: RetentionDecisionSchema.shape.fate, to: RetentionDecisionSchema.shape.fate, was: RetentionReasonSchema, now: RetentionReasonSchema })),
  newlyPruned: z.number(),
  newlyKept: z.number(),
  /** Change in reclaimBytes (positive: the proposed policy frees more). */
  reclaimBytesDelta: z.number().nullable(),
});
export type RetentionDiff = z.infer<typeof RetentionDiffSchema>;

export const RetentionProjectionSchema = z.object({
  points: z.array(z.object({ at: z.number(), count: z.number(), estimatedBytes: z.number().nullable() })),
  /** Snapshots the schedule takes over the horizon. */
  runs: z.number(),
  /** The schedule takes more snapshots than the projection follows (runs stop at the limit). */
  truncated: z.boolean(),
});
export type RetentionProjection = z.infer<typeof RetentionProjectionSchema>;

// ---------------------------------------------------------------------------------------------------------------

/** `from` plus a lifetime, on the zone's wall clock: Jan 31 + 1 month is Feb 28 (clamped), a day is a calendar day. */
export function addLifetime(from: number, amount: number, unit: LifetimeUnit, timeZone: string = 'UTC'): number {
  if (unit === 'hours') return from + amount * HOUR_MS;
  const clock = zoneClock(timeZone);
  const wall = clock.wall(from);
  if (unit === 'days' || unit === 'weeks') return clock.instant(wall + amount * (unit === 'weeks' ? 7 : 1) * DAY_MS);
  // Calendar arithmetic on day numbers (a Date per snapshot costs more than the rest of the decision).
  const day = Math.floor(wall / DAY_MS);
  const timeOfDay = wall - day * DAY_MS;
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  const index = year * 12 + (month - 1) + (unit === 'months' ? amount : 12 * amount);
  const targetYear = Math.floor(index / 12);
  const targetMonth = index - targetYear * 12 + 1;
  const targetDay = Math.min(dayOfMonth, daysInMonth(targetYear, targetMonth));
  return clock.instant(daysFromCivil(targetYear, targetMonth, targetDay) * DAY_MS + timeOfDay);
}

/** The period each grid rule buckets a wall-clock time into (`last`: every snapshot is its own). */
function bucketOf(rule: KeepRule, wall: number, index: number): number {
  switch (rule) {
    case 'last':
      return index;
    case 'hourly':
      return Math.floor(wall / HOUR_MS);
    case 'daily':
      return Math.floor(wall / DAY_MS);
    case 'weekly':
      // ISO weeks run Monday to Sunday; day 0 (1970-01-01) was a Thursday, so day -3 starts week 0.
      return Math.floor((Math.floor(wall / DAY_MS) + 3) / 7);
    case 'monthly':
      return monthIndexOfDay(Math.floor(wall / DAY_MS));
    case 'yearly':
      return Math.floor(monthIndexOfDay(Math.floor(wall / DAY_MS)) / 12);
  }
}

/** year * 12 + month - 1 of a day number (civilFromDays without the object: the grid asks it 100,000 times). */
function monthIndexOfDay(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return (era * 400 + yoe + (month <= 2 ? 1 : 0)) * 12 + month - 1;
}

const KEEP = 1;
const PRUNE = 2;

interface GridMarks {
  mark: Uint8Array;
  rule: Uint8Array;
  rank: Int32Array;
  /** For superseded snapshots: the index of the kept snapshot of the same period. */
  by: Int32Array;
}

/** The keep grid over `order` (indices, newest first); `walls` indexed like the snapshots. */
function markGrid(policy: KeepGridInput, order: ArrayLike<number>, walls: Float64Array, size: number): GridMarks {
  const marks: GridMarks = { mark: new Uint8Array(size), rule: new Uint8Array(size), rank: new Int32Array(size), by: new Int32Array(size).fill(-1) };
  const kept: number[] = [];
  keepRules.forEach((rule, ruleIndex) => {
    const count = policy[rule] ?? 0;
    if (count <= 0) return;
    // Periods a previous rule already keeps a snapshot of are left alone: this rule reaches further back.
    const covered = new Set<number>();
    for (const i of kept) covered.add(bucketOf(rule, walls[i]!, i));
    const chosen = new Map<number, number>();
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      if (marks.mark[i] !== 0) continue;
      const bucket = bucketOf(rule, walls[i]!, i);
      if (covered.has(bucket)) continue;
      const keeper = chosen.get(bucket);
      if (keeper === undefined) {
        if (chosen.size >= count) break;
        chosen.set(bucket, i);
        marks.mark[i] = KEEP;
        marks.rule[i] = ruleIndex;
        marks.rank[i] = chosen.size;
        kept.push(i);
      } else {
        marks.mark[i] = PRUNE;
        marks.rule[i] = ruleIndex;
        marks.by[i] = keeper;
      }
    }
  });
  return marks;
}

const schemaCache = new Map<string, NamingSchema>();
function cachedSchema(pattern: string, timeZone: string): NamingSchema {
  const key = `${timeZone}\u0000${pattern}`;
  let schema = schemaCache.get(key);
  if (!schema) {
    if (schemaCache.size > 1000) schemaCache.clear();
    schema = namingSchema(pattern, timeZone);
    schemaCache.set(key, schema);
  }
  return schema;
}

function timeOf(name: string, schemas: readonly NamingSchema[]): number | null {
  // Indexed, not for-of: called once per snapshot.
  for (let s = 0; s < schemas.length; s++) {
    const time = schemas[s]!.parseTime(name);
    if (time !== null) return time;
  }
  return null;
}

/** Indices of the dated snapshots, newest first (same time: later in the list first). */
function newestFirst(times: Float64Array): Int32Array {
  let count = 0;
  let ordered = true;
  let previous = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    if (Number.isNaN(time)) continue;
    if (time < previous) ordered = false;
    previous = time;
    count++;
  }
  // Filled in place (a growing number[] of 100,000 indices, then a copy, was garbage of every decision).
  const dated = new Int32Array(count);
  // zfs lists by createtxg, which is nearly always the names' order too: then the reverse order is the sort.
  for (let i = times.length - 1, k = 0; i >= 0; i--) if (!Number.isNaN(times[i]!)) dated[ordered ? k++ : count - 1 - k++] = i;
  if (!ordered) dated.sort((a, b) => times[b]! - times[a]! || b - a);
  return dated;
}

const constantReasons = {
  forever: { kind: 'forever' },
  onSource: { kind: 'on-source' },
  sourceUnknown: { kind: 'source-unknown' },
  goneFromSource: { kind: 'gone-from-source' },
  outsideGrid: { kind: 'outside-grid' },
  notInSchema: { kind: 'not-in-schema' },
  newest: { kind: 'newest' },
} as const satisfies Record<string, RetentionReason>;

interface PolicyVerdicts {
  reasons: RetentionReason[];
  /** NaN: not known. */
  prunableAt: Float64Array;
}

/**
 * What the policy alone says of every dated snapshot (undated ones get not-in-schema). `times`: NaN when undated
 * (typed arrays spare 100,000 boxed numbers).
 */
function judge(policy: RetentionPolicyInput, names: readonly string[], times: Float64Array, now: number, clock: ZoneClock, sourceNames: ReadonlySet<string> | null): PolicyVerdicts {
  const size = times.length;
  const reasons: RetentionReason[] = new Array(size);
  const prunableAt = new Float64Array(size).fill(NaN);
  const dated = (i: number) => !Number.isNaN(times[i]!);
  switch (policy.kind) {
    case 'forever':
      for (let i = 0; i < size; i++) reasons[i] = dated(i) ? constantReasons.forever : constantReasons.notInSchema;
      break;
    case 'same-as-source':
      for (let i = 0; i < size; i++) {
        if (!dated(i)) reasons[i] = constantReasons.notInSchema;
        else if (!sourceNames) reasons[i] = constantReasons.sourceUnknown;
        else reasons[i] = sourceNames.has(names[i]!) ? constantReasons.onSource : constantReasons.goneFromSource;
      }
      break;
    case 'custom':
      for (let i = 0; i < size; i++) {
        const time = times[i]!;
        if (Number.isNaN(time)) {
          reasons[i] = constantReasons.notInSchema;
          continue;
        }
        const until = addLifetime(time, policy.amount, policy.unit, clock.zone);
        prunableAt[i] = until;
        reasons[i] = now >= until ? { kind: 'expired', on: until } : { kind: 'within-lifetime', until };
      }
      break;
    case 'grid': {
      const order = newestFirst(times);
      const walls = new Float64Array(size);
      for (let k = 0; k < order.length; k++) walls[order[k]!] = clock.wall(times[order[k]!]!);
      const marks = markGrid(policy, order, walls, size);
      // The snapshots a kept one supersedes share one reason (the rule is its keeper's): an hourly listing under a
      // grid has ~100,000 superseded snapshots and a few hundred keepers. Reasons are data, never mutated.
      const superseded = new Map<number, RetentionReason>();
      for (let i = 0; i < size; i++) {
        if (!dated(i)) reasons[i] = constantReasons.notInSchema;
        else if (marks.mark[i] === KEEP) reasons[i] = { kind: 'rule', rule: keepRules[marks.rule[i]!]!, n: marks.rank[i]! };
        else if (marks.mark[i] === PRUNE) {
          const keeper = marks.by[i]!;
          let reason = superseded.get(keeper);
          if (!reason) superseded.set(keeper, (reason = { kind: 'superseded', rule: keepRules[marks.rule[i]!]!, by: names[keeper]! }));
          reasons[i] = reason;
        } else reasons[i] = constantReasons.outsideGrid;
      }
      break;
    }
  }
  return { reasons, prunableAt };
}

function holdTagTasks(tags: readonly string[] | undefined): string[] {
  if (!tags) return [];
  return tags.filter((tag) => tag.startsWith(replicationHoldTagPrefix)).map((tag) => tag.slice(replicationHoldTagPrefix.length));
}

/**
 * The fate of every snapshot of one dataset under a policy, with its reason, in the order given. The same request
 * gives the same answer in the renderer (review) and in the engine (prune).
 */
export function decideRetention(request: RetentionRequest): RetentionDecision[] {
  const { reasons, times, verdicts } = decide(request);
  const snapshots = request.snapshots;
  const decisions: RetentionDecision[] = new Array(snapshots.length);
  for (let i = 0; i < snapshots.length; i++) {
    const reason = reasons[i]!;
    decisions[i] = {
      name: snapshots[i]!.name,
      time: Number.isNaN(times[i]!) ? null : times[i]!,
      fate: pruneReasonKinds.has(reason.kind) ? 'prune' : 'keep',
      reason,
      policyReason: verdicts.reasons[i]!,
      prunableAt: Number.isNaN(verdicts.prunableAt[i]!) ? null : verdicts.prunableAt[i]!,
      usedBytes: snapshots[i]!.usedBytes ?? null,
    };
  }
  return decisions;
}

/**
 * decideRetention's reasons alone (each decision's `reason`; its fate is prune when pruneReasonKinds has the reason's
 * kind), for a caller that needs no more: the snapshot table decides 100,000 snapshots while a listing loads, and
 * 100,000 decision objects were garbage the next major GC compacted during the table's first scroll frames.
 */
export function retentionReasons(request: RetentionRequest): RetentionReason[] {
  return decide(request).reasons;
}

/** The decisive reason of each snapshot, with what decideRetention reports next to it. */
function decide(request: RetentionRequest): { reasons: RetentionReason[]; times: Float64Array; verdicts: PolicyVerdicts } {
  const timeZone = request.timeZone ?? 'UTC';
  const clock = zoneClock(timeZone);
  const schemas = request.namingSchemas.map((pattern) => cachedSchema(pattern, timeZone));
  const snapshots = request.snapshots;
  const size = snapshots.length;
  const names = snapshots.map((s) => s.name);
  const times = new Float64Array(size);
  for (let i = 0; i < size; i++) times[i] = timeOf(names[i]!, schemas) ?? NaN;

  // Guards.
  const commonBaseOf = new Map<string, string[]>();
  const addBase = (name: string, taskId: string) => {
    const list = commonBaseOf.get(name) ?? [];
    if (!list.includes(taskId)) list.push(taskId);
    commonBaseOf.set(name, list);
  };
  for (const base of request.commonBases ?? []) addBase(base.name, base.taskId);
  // Indexed: a for-of over 100,000 snapshots made an iterator result for each where it ran unoptimized.
  for (let i = 0; i < size; i++) {
    const snapshot = snapshots[i]!;
    if (snapshot.holdTags) for (const taskId of holdTagTasks(snapshot.holdTags)) addBase(snapshot.name, taskId);
  }

  const notYetReplicated: (string[] | undefined)[] = new Array(size);
  for (const replication of request.replications ?? []) {
    let baseIndex = -1;
    if (replication.base === undefined) {
      const tag = replicationHoldTagPrefix + replication.taskId;
      for (let i = size - 1; i >= 0; i--) {
        if (snapshots[i]!.holdTags?.includes(tag)) {
          baseIndex = i;
          break;
        }
      }
    } else if (replication.base !== null) {
      baseIndex = names.lastIndexOf(replication.base);
    }
    const selects = replication.namingSchemas ? replication.namingSchemas.map((pattern) => cachedSchema(pattern, timeZone)) : null;
    for (let i = baseIndex + 1; i < size; i++) {
      if (selects && timeOf(names[i]!, selects) === null) continue;
      (notYetReplicated[i] ??= []).push(replication.taskId);
    }
  }

  let newest = -1;
  for (let i = 0; i < size; i++) {
    const time = times[i]!;
    if (!Number.isNaN(time) && (newest < 0 || time >= times[newest]!)) newest = i;
  }

  const sourceNames = request.sourceNames ? new Set(request.sourceNames) : null;
  const verdicts = judge(request.policy, names, times, request.now, clock, sourceNames);

  const reasons: RetentionReason[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const snapshot = snapshots[i]!;
    const policyReason = verdicts.reasons[i]!;
    const bases = commonBaseOf.size > 0 ? commonBaseOf.get(snapshot.name) : undefined;
    const holds = snapshot.holds ?? 0;
    if (bases) reasons[i] = { kind: 'common-base', taskIds: bases };
    else if (holds > 0) reasons[i] = { kind: 'held', holds };
    else if (notYetReplicated[i]) reasons[i] = { kind: 'not-yet-replicated', taskIds: notYetReplicated[i]! };
    else if (i === newest && pruneReasonKinds.has(policyReason.kind)) reasons[i] = constantReasons.newest;
    else reasons[i] = policyReason;
  }
  return { reasons, times, verdicts };
}

function tasksHolding(snapshots: readonly RetentionSnapshot[]): string[] {
  const ids = new Set<string>();
  for (const snapshot of snapshots) for (const taskId of holdTagTasks(snapshot.holdTags)) ids.add(taskId);
  return [...ids];
}

/**
 * The request for a periodic snapshot task's dataset (the prune and its review build it here, so they agree).
 * replications: the tasks sending this dataset (replicationNeedsOf); absent: the tasks whose hold is on a snapshot.
 */
export function periodicRetentionRequest(
  task: Pick<PeriodicSnapshotTask, 'namingSchema' | 'timeZone' | 'lifetime'>,
  snapshots: RetentionSnapshotData[],
  now: number,
  replications?: readonly ReplicationNeed[],
): RetentionRequestData {
  return {
    snapshots,
    policy: task.lifetime,
    namingSchemas: [task.namingSchema],
    timeZone: task.timeZone ?? 'UTC',
    now,
    commonBases: [],
    replications: replications ? [...replications] : tasksHolding(snapshots).map((taskId) => ({ taskId })),
    sourceNames: null,
  };
}

/**
 * The request for a replication task's destination dataset (the engine's prune and the review build it here).
 * null: the task selects snapshots without a naming schema, so their names carry no time and nothing is pruned.
 */
export function replicaRetentionRequest(
  task: Pick<ReplicationTask, 'id' | 'selection' | 'destinationLifetime'>,
  destinationSnapshots: RetentionSnapshotData[],
  options: { now: number; commonBase: string | null; sourceNames: readonly string[] | null },
): RetentionRequestData | null {
  if (task.selection.kind !== 'naming-schema') return null;
  return {
    snapshots: destinationSnapshots,
    policy: task.destinationLifetime,
    namingSchemas: task.selection.schemas,
    timeZone: task.selection.timeZone ?? 'UTC',
    now: options.now,
    commonBases: options.commonBase ? [{ taskId: task.id, name: options.commonBase }] : [],
    replications: [],
    sourceNames: options.sourceNames ? [...options.sourceNames] : null,
  };
}

/** The replication tasks (from the store) that send `dataset` of this NAS, with what each selects. */
export function replicationNeedsOf(tasks: readonly ReplicationTask[], connectionId: string, dataset: string): ReplicationNeed[] {
  return tasks
    .filter((task) => task.sourceConnectionId === connectionId)
    .filter((task) =>
      task.sources.some(
        (source) =>
          dataset === source.name ||
          (source.recursive && dataset.startsWith(`${source.name}/`) && !source.exclude.some((excluded) => dataset === excluded || dataset.startsWith(`${excluded}/`))),
      ),
    )
    // A regex selection is taken as "everything": the guard may keep more, never less.
    .map((task) => ({ taskId: task.id, namingSchemas: task.selection.kind === 'naming-schema' ? task.selection.schemas : null }));
}

/** The short names decideRetention prunes, in list order (what the engine destroys). */
export function prunedNames(decisions: readonly RetentionDecision[]): string[] {
  const names: string[] = [];
  for (const decision of decisions) if (decision.fate === 'prune') names.push(decision.name);
  return names;
}

/** Counts, bytes and the kept range, for the review's summary line. */
export function summarizeRetention(decisions: readonly RetentionDecision[]): RetentionSummary {
  const byReason: Record<string, number> = {};
  const byRule: Record<string, number> = {};
  let keep = 0;
  let reclaim = 0;
  let reclaimKnown = 0;
  let oldest: RetentionDecision | null = null;
  let newest: RetentionDecision | null = null;
  let nextPruneAt: number | null = null;
  for (const decision of decisions) {
    const { reason } = decision;
    byReason[reason.kind] = (byReason[reason.kind] ?? 0) + 1;
    if (decision.fate === 'prune') {
      if (decision.usedBytes !== null) {
        reclaim += decision.usedBytes;
        reclaimKnown++;
      }
      continue;
    }
    keep++;
    if (reason.kind === 'rule') byRule[reason.rule] = (byRule[reason.rule] ?? 0) + 1;
    if (decision.time !== null) {
      if (!oldest || decision.time < oldest.time!) oldest = decision;
      if (!newest || decision.time >= newest.time!) newest = decision;
    }
    if (reason.kind === 'within-lifetime' && (nextPruneAt === null || reason.until < nextPruneAt)) nextPruneAt = reason.until;
  }
  const prune = decisions.length - keep;
  return {
    total: decisions.length,
    keep,
    prune,
    byReason,
    byRule,
    reclaimBytes: reclaimKnown > 0 ? reclaim : prune === 0 ? 0 : null,
    reclaimBytesComplete: reclaimKnown === prune,
    oldestKept: oldest ? { name: oldest.name, time: oldest.time! } : null,
    newestKept: newest ? { name: newest.name, time: newest.time! } : null,
    nextPruneAt,
  };
}

/** What changes from the current policy's decisions to a proposed policy's, over the same snapshots. */
export function diffRetention(current: readonly RetentionDecision[], proposed: readonly RetentionDecision[]): RetentionDiff {
  if (current.length !== proposed.length) throw new RangeError('diffRetention compares decisions over the same snapshots (same length, same order).');
  const changes: RetentionDiff['changes'] = [];
  let newlyPruned = 0;
  let newlyKept = 0;
  for (let i = 0; i < current.length; i++) {
    const a = current[i]!;
    const b = proposed[i]!;
    if (a.name !== b.name) throw new RangeError(`diffRetention: snapshot ${i} is ${a.name} in one list and ${b.name} in the other.`);
    if (a.fate === b.fate) continue;
    if (b.fate === 'prune') newlyPruned++;
    else newlyKept++;
    changes.push({ name: a.name, time: a.time, from: a.fate, to: b.fate, was: a.reason, now: b.reason });
  }
  const before = summarizeRetention(current).reclaimBytes;
  const after = summarizeRetention(proposed).reclaimBytes;
  return { changes, newlyPruned, newlyKept, reclaimBytesDelta: before === null || after === null ? null : after - before };
}

export interface ProjectionInput {
  /** The dataset as it is, and the policy to project. */
  request: RetentionRequest;
  /** The task's schedule: each run takes one snapshot. */
  schedule: { expression: string; timeZone?: string };
  /** End of the projection (ms). */
  until: number;
  /** Points on the curve, evenly spaced from now to `until` (default 60). */
  points?: number;
  /** For a replica with "same as source": the source's policy (absent: projected as forever). */
  sourcePolicy?: RetentionPolicyInput;
  /** At most this many future runs are followed (default 200,000). */
  runLimit?: number;
}

/**
 * Snapshot count (and an estimate of space) over time if the schedule keeps taking snapshots and the policy keeps
 * pruning. Holds other than a replication task's stay where they are; a task's common base and what it has not
 * sent yet are assumed sent at its next run.
 */
export function projectRetention(input: ProjectionInput): RetentionProjection {
  const { request } = input;
  const timeZone = request.timeZone ?? 'UTC';
  const clock = zoneClock(timeZone);
  const now = request.now;
  const decisions = decideRetention(request);
  const policy = request.policy.kind === 'same-as-source' ? (input.sourcePolicy ?? { kind: 'forever' as const }) : request.policy;
  const policyForJudge = policy.kind === 'same-as-source' ? ({ kind: 'forever' } as const) : policy;

  // Snapshots that stay whatever happens: outside the schemas, or held by someone other than a replication task.
  let fixed = 0;
  let fixedBytes = 0;
  let living: { time: number; bytes: number | null }[] = [];
  let knownBytes = 0;
  let knownCount = 0;
  request.snapshots.forEach((snapshot, i) => {
    const decision = decisions[i]!;
    if (decision.usedBytes !== null && decision.time !== null) {
      knownBytes += decision.usedBytes;
      knownCount++;
    }
    if (decision.fate === 'prune') return;
    const foreignHold = (snapshot.holds ?? 0) > holdTagTasks(snapshot.holdTags).length;
    if (decision.time === null || foreignHold) {
      fixed++;
      fixedBytes += decision.usedBytes ?? 0;
    } else living.push({ time: decision.time, bytes: decision.usedBytes });
  });
  const averageBytes = knownCount > 0 ? knownBytes / knownCount : null;

  const limit = input.runLimit ?? 200_000;
  const runs = cronSchedule(input.schedule.expression, input.schedule.timeZone ?? timeZone).estimateRunsBetween(new Date(now), new Date(input.until), limit + 1);
  const truncated = runs.length > limit;
  if (truncated) runs.length = limit;

  const pointCount = Math.max(1, input.points ?? 60);
  const step = (input.until - now) / pointCount;
  const points: RetentionProjection['points'] = [];
  let next = 0;
  for (let p = 1; p <= pointCount; p++) {
    const at = Math.round(now + p * step);
    while (next < runs.length && runs[next]!.getTime() <= at) living.push({ time: runs[next++]!.getTime(), bytes: null });
    const times = Float64Array.from(living, (s) => s.time);
    // Names only label superseded snapshots, which the projection does not show.
    const verdicts = judge(policyForJudge, new Array<string>(times.length).fill(''), times, at, clock, null);
    let newestIndex = -1;
    for (let i = 0; i < times.length; i++) if (newestIndex < 0 || times[i]! >= times[newestIndex]!) newestIndex = i;
    living = living.filter((_, i) => i === newestIndex || !pruneReasonKinds.has(verdicts.reasons[i]!.kind));
    const bytes = averageBytes === null ? null : fixedBytes + living.reduce((sum, s) => sum + (s.bytes ?? averageBytes), 0);
    points.push({ at, count: fixed + living.length, estimatedBytes: bytes });
  }
  return { points, runs: runs.length, truncated };
}

const ruleWords: Record<KeepRule, { label: string; period: string }> = {
  last: { label: 'last', period: 'snapshot' },
  hourly: { label: 'hourly', period: 'hour' },
  daily: { label: 'daily', period: 'day' },
  weekly: { label: 'weekly', period: 'week' },
  monthly: { label: 'monthly', period: 'month' },
  yearly: { label: 'yearly', period: 'year' },
};

/** A policy in words: "kept forever", "kept 2 weeks", "keep 24 hourly, 7 daily", "same as the source: …". */
export function describePolicy(policy: RetentionPolicyInput): string {
  if (policy.kind === 'forever') return 'kept forever';
  if (policy.kind === 'same-as-source') return 'same as the source: a snapshot goes once the source no longer has it';
  if (policy.kind === 'custom') return `kept ${policy.amount} ${policy.amount === 1 ? policy.unit.slice(0, -1) : policy.unit}`;
  return `keep ${keepRules.filter((rule) => (policy[rule] ?? 0) > 0).map((rule) => `${policy[rule]} ${rule}`).join(', ')}`;
}

/** One line for a reason, for the table, the timeline's labels and the confirmation (never colour alone). */
export function describeReason(reason: RetentionReason, options: { timeZone?: string; taskName?: (taskId: string) => string } = {}): string {
  const zone = options.timeZone ?? 'UTC';
  const tasks = (ids: readonly string[]) => ids.map((id) => options.taskName?.(id) ?? id).join(', ');
  switch (reason.kind) {
    case 'common-base':
      return `common base of ${tasks(reason.taskIds)}: the next incremental starts from it`;
    case 'held':
      return `held (${reason.holds} hold${reason.holds === 1 ? '' : 's'}): ZFS will not destroy it`;
    case 'not-yet-replicated':
      return `not yet replicated by ${tasks(reason.taskIds)}`;
    case 'not-in-schema':
      return 'not named by the naming schema: this policy never prunes it';
    case 'newest':
      return 'newest snapshot: always kept';
    case 'rule':
      return reason.rule === 'last' ? `keep last: #${reason.n}` : `${ruleWords[reason.rule].label} #${reason.n}: newest of its ${ruleWords[reason.rule].period}`;
    case 'within-lifetime':
      return `within its lifetime, until ${formatInZone(reason.until, zone)}`;
    case 'forever':
      return 'kept forever';
    case 'on-source':
      return 'still on the source';
    case 'source-unknown':
      return "the source's snapshots are unknown: nothing is pruned";
    case 'expired':
      return `expired on ${formatInZone(reason.on, zone)}`;
    case 'gone-from-source':
      return 'no longer on the source';
    case 'superseded':
      return `${ruleWords[reason.rule].label}: a newer snapshot of the same ${ruleWords[reason.rule].period} is kept (${reason.by})`;
    case 'outside-grid':
      return 'older than every keep rule reaches';
  }
}
