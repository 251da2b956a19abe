import { z } from 'zod';
import { DestructionChangeSchema, DestructionPlanSchema, DestructiveOperationSchema } from './destruction-plan.ts';
import { AppErrorSchema } from './result.ts';

// What the replication engine, its planner and the task maintenance verbs report: ONE definition, as zod schemas.
// The services build these objects through their z.infer types, the contract (shared/contract.ts) uses the same
// schemas as its responses, and the UI reads them. Strict objects: a field the schema does not name is an error
// (the dispatcher checks every response), so the shape cannot drift between the engine and the screens.

/** An AppError carried inside a report (shared/result.ts): its details typed by its code. */
export const ReportErrorSchema = AppErrorSchema;

// ---- the planner ------------------------------------------------------------------------------------------

/** One stream of a dataset's plan. */
export const SendStepSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('full'), snapshot: z.string() }),
  /** `-i from to` (from may be a bookmark, written `#name`) or `-I from to` with intermediates. */
  z.strictObject({ kind: z.literal('incremental'), from: z.string(), to: z.string(), intermediates: z.boolean() }),
  z.strictObject({ kind: z.literal('resume'), token: z.string() }),
]);
export type SendStep = z.infer<typeof SendStepSchema>;

/** What resolves a divergence: roll the replica back to the common base, or destroy it and send it again in full. */
export const DestructiveStepSchema = z.discriminatedUnion('kind', [
  /** `zfs rollback -r <to>`: the snapshots and bookmarks newer than the common base go, with unsnapshotted writes. */
  z.strictObject({ kind: z.literal('rollback'), to: z.string() }),
  /** `zfs destroy -r <dataset>`: the replica with everything below it. */
  z.strictObject({ kind: z.literal('destroy-dataset'), dataset: z.string() }),
]);
export type DestructiveStep = z.infer<typeof DestructiveStepSchema>;

/** Why a destination cannot simply receive the next stream. */
export const DivergenceSchema = z.discriminatedUnion('reason', [
  z.strictObject({ reason: z.literal('newer-snapshots'), base: z.string(), snapshots: z.array(z.string()) }),
  z.strictObject({ reason: z.literal('written-since-base'), base: z.string(), bytes: z.number() }),
  z.strictObject({ reason: z.literal('no-common-snapshot'), snapshots: z.array(z.string()) }),
  z.strictObject({ reason: z.literal('data-without-snapshots'), usedBytes: z.number() }),
]);
export type Divergence = z.infer<typeof DivergenceSchema>;

/** Why a dataset's plan stops, and what would resolve it. What that destroys is the task's DestructionPlan. */
export const RefusalSchema = z.strictObject({
  divergence: z.array(DivergenceSchema),
  /** What proceeding would do instead of refusing. */
  resolution: DestructiveStepSchema,
});
export type Refusal = z.infer<typeof RefusalSchema>;

// ---- destruction: planned, listed, confirmed and re-checked as one object (shared/destruction-plan.ts) ------
export {
  DestructionChangeSchema,
  DestructionItemSchema,
  DestructionOutcomeSchema,
  DestructionPlanSchema,
  DestructiveOperationSchema,
  type DestructionChange,
  type DestructionItem,
  type DestructionOutcome,
  type DestructionPlan,
  type DestructiveOperation,
} from './destruction-plan.ts';

/** One dataset's plan: what its run sends (or why it sends nothing, or why it refuses). */
export const ReplicationPlanSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('nothing-to-send'), reason: z.string(), steps: z.tuple([]), base: z.string().nullable() }),
  z.strictObject({ status: z.literal('up-to-date'), base: z.string(), steps: z.tuple([]) }),
  z.strictObject({ status: z.literal('ready'), base: z.string().nullable(), destructive: DestructiveStepSchema.nullable(), steps: z.array(SendStepSchema), newest: z.string() }),
  z.strictObject({ status: z.literal('refused'), refusal: RefusalSchema, steps: z.tuple([]) }),
]);
export type ReplicationPlan = z.infer<typeof ReplicationPlanSchema>;

// ---- a run of the engine ----------------------------------------------------------------------------------

export const DatasetReportSchema = z.strictObject({
  source: z.string(),
  destination: z.string(),
  plan: ReplicationPlanSchema,
  /** Snapshots on the destination the lifetime policy prunes before sending (short names). */
  prune: z.array(z.string()),
  /** What this dataset's run destroys, in order: the prune, then a confirmed rollback or destroy. */
  destruction: z.array(DestructiveOperationSchema),
  /** An interrupted receive that cannot be resumed (its source snapshot is gone) and is aborted first: why. */
  abortedResume: z.string().nullable(),
  estimatedBytes: z.number().nullable(),
  bytesSent: z.number(),
  snapshotsSent: z.number(),
  /** Shell-quoted commands, in order (as run, or as a dry run would run them). */
  commands: z.array(z.string()),
});
export type DatasetReport = z.infer<typeof DatasetReportSchema>;

/** Every refused dataset's divergence, and the one destruction plan whose digest confirms resolving all of them. */
export const RunRefusalSchema = z.strictObject({
  divergence: z.array(z.strictObject({ dataset: z.string(), divergence: z.array(DivergenceSchema), resolution: DestructiveStepSchema })),
  destruction: DestructionPlanSchema,
  /** The plan's items in words, one line each. */
  wouldLose: z.array(z.string()),
  /** The plan's digest: pass it back (--confirm) to proceed with exactly this plan. */
  confirmation: z.string(),
  /** Refused right before acting: how the destination differs from the plan that was confirmed. */
  changes: z.array(DestructionChangeSchema),
});
export type RunRefusal = z.infer<typeof RunRefusalSchema>;

export const RunResultSchema = z.enum(['FINISHED', 'FAILED', 'REFUSED', 'DRY_RUN']);

export const RunReportSchema = z.strictObject({
  taskId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  result: RunResultSchema,
  datasets: z.array(DatasetReportSchema),
  bytesSent: z.number(),
  snapshotsSent: z.number(),
  /** For REFUSED: what proceeding would destroy, and the digest confirming it. */
  refusal: RunRefusalSchema.nullable(),
  error: ReportErrorSchema.nullable(),
});
export type RunReport = z.infer<typeof RunReportSchema>;

// ---- maintenance: doctor ----------------------------------------------------------------------------------

export const CheckStatusSchema = z.enum(['ok', 'warn', 'fail']);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const DoctorCheckSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  status: CheckStatusSchema,
  detail: z.string(),
  hint: z.string().nullable(),
});
export type DoctorCheck = z.infer<typeof DoctorCheckSchema>;

export const DoctorReportSchema = z.strictObject({
  taskId: z.string(),
  checkedAt: z.string(),
  /** The worst of the checks. */
  status: CheckStatusSchema,
  checks: z.array(DoctorCheckSchema),
});
export type DoctorReport = z.infer<typeof DoctorReportSchema>;

// ---- maintenance: repair ----------------------------------------------------------------------------------

/** Full snapshot names. */
export const HoldChangesSchema = z.strictObject({ hold: z.array(z.string()), release: z.array(z.string()) });
export type HoldChanges = z.infer<typeof HoldChangesSchema>;

export const RepairDatasetSchema = z.strictObject({
  source: z.string(),
  destination: z.string(),
  /** The newest usable common snapshot or bookmark; null when there is none (a full resend). */
  base: z.strictObject({ name: z.string(), kind: z.enum(['snapshot', 'bookmark']) }).nullable(),
  /** What the engine will do, after the confirmed destruction (if any). */
  plan: ReplicationPlanSchema,
  abortedResume: z.string().nullable(),
});
export type RepairDataset = z.infer<typeof RepairDatasetSchema>;

export const RepairReportSchema = z.strictObject({
  taskId: z.string(),
  datasets: z.array(RepairDatasetSchema),
  holds: z.strictObject({ source: HoldChangesSchema, destination: HoldChangesSchema }),
  /** What the repair destroys on the destination (a diverged replica's rollback or destroy); null when nothing. */
  destruction: DestructionPlanSchema.nullable(),
  /** In words, in order: everything applying the repair does. Empty when the task is healthy. */
  actions: z.array(z.string()),
  /** Digest of the actions and the destruction plan, bound to the task: pass it back to apply exactly this repair. */
  confirmation: z.string(),
  applied: z.boolean(),
  /** The replication run that applied the repair. */
  run: RunReportSchema.nullable(),
  error: ReportErrorSchema.nullable(),
});
export type RepairReport = z.infer<typeof RepairReportSchema>;

// ---- maintenance: reset -----------------------------------------------------------------------------------

export const ResetReportSchema = z.strictObject({
  taskId: z.string(),
  dryRun: z.boolean(),
  /** Snapshots whose hold by this task was (or, dry run, would be) released. */
  released: z.strictObject({ source: z.array(z.string()), destination: z.array(z.string()) }),
  /** Lock files removed on the source. */
  lockFiles: z.array(z.string()),
  /** Replicas whose promoted mark was cleared (the relationship can replicate again). */
  unmarked: z.array(z.string()),
  commands: z.array(z.string()),
});
export type ResetReport = z.infer<typeof ResetReportSchema>;

// ---- maintenance: promote ---------------------------------------------------------------------------------

export const FailbackPlanSchema = z.strictObject({
  /** The promoted replica, now the primary. */
  from: z.string(),
  /** The old source, which receives the changes back. */
  to: z.string(),
  /** Newest snapshot both sides have (by GUID); null: no incremental failback, the old source needs a full resend. */
  base: z.string().nullable(),
  /** Old-source snapshots newer than the base, destroyed by the failback's rollback. */
  rollbackDestroys: z.array(z.string()),
  /** The commands of the failback, in order (the snapshot name is chosen when it runs). */
  commands: z.array(z.string()),
});
export type FailbackPlan = z.infer<typeof FailbackPlanSchema>;

export const PromoteReportSchema = z.strictObject({
  taskId: z.string(),
  dryRun: z.boolean(),
  promotedAt: z.string(),
  /** Replicas made writable (readonly=off) and marked as promoted. */
  promoted: z.array(z.string()),
  mounted: z.array(z.string()),
  notes: z.array(z.string()),
  commands: z.array(z.string()),
  failback: z.array(FailbackPlanSchema),
});
export type PromoteReport = z.infer<typeof PromoteReportSchema>;
