import { z } from 'zod';
import { cronSchedule } from './cron-schedule.ts';
import { checkNamingSchema } from './naming-schema.ts';
import { lifetimeUnits } from './retention-plan.ts';
import { HostSchema, PortSchema } from './schemas.ts';

// Stored task configuration: replication tasks and periodic snapshot tasks. The wizard, the store file and the
// CLI all validate through these schemas, so a bad value is refused with the same message everywhere.

/** A dataset path as typed by the user; the zfs layer validates it fully before it reaches a command. */
const DatasetPathSchema = z
  .string()
  .trim()
  .min(1, 'Enter a dataset, e.g. tank/data.')
  .refine((v) => !v.startsWith('-') && !v.startsWith('/') && !v.endsWith('/') && !v.includes('@') && !v.includes('#'), {
    message: 'A dataset is written pool/path, e.g. tank/data (no leading "-" or "/", no "@" or "#").',
  });

const NamingSchemaPatternSchema = z.string().superRefine((pattern, context) => {
  for (const issue of checkNamingSchema(pattern)) context.addIssue({ code: 'custom', message: issue.message });
});

const CronExpressionSchema = z.string().superRefine((expression, context) => {
  try {
    cronSchedule(expression).next(new Date(0));
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const ScheduleSchema = z.discriminatedUnion('kind', [
  /** Run only when started by hand (app, CLI or an external cron). */
  z.object({ kind: z.literal('manual') }),
  z.object({ kind: z.literal('cron'), expression: CronExpressionSchema }),
]);

export const LifetimeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('forever') }),
  z.object({ kind: z.literal('same-as-source') }),
  z.object({ kind: z.literal('custom'), amount: z.number().int().min(1).max(100_000), unit: z.enum(lifetimeUnits) }),
]);

export const SnapshotSelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('naming-schema'), schemas: z.array(NamingSchemaPatternSchema).min(1) }),
  z.object({
    kind: z.literal('regex'),
    pattern: z.string().refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'Not a valid regular expression.'),
  }),
]);

export const SourceDatasetSchema = z.object({
  name: DatasetPathSchema,
  recursive: z.boolean().default(false),
  /** Children (full names) left out of a recursive replication. */
  exclude: z.array(DatasetPathSchema).default([]),
});

export const EncryptionSchema = z.discriminatedUnion('kind', [
  /** Whatever the source is: an encrypted source is sent raw (-w) and arrives still encrypted with its own key. */
  z.object({ kind: z.literal('as-source') }),
  /** Receive into a new encryption root on the destination. */
  z.object({
    kind: z.literal('encrypt-on-destination'),
    keyFormat: z.enum(['hex', 'passphrase']),
    /** Kept in the store only when the user asks for it; otherwise asked for at each run. */
    key: z.string().min(8).optional(),
  }),
]);

export const ReplicationTaskSchema = z.object({
  id: z.string().uuid(),
  name: z.string().trim().min(1).max(64),
  sourceConnectionId: z.string().uuid(),
  sources: z.array(SourceDatasetSchema).min(1, 'Pick at least one source dataset.'),
  destinationConnectionId: z.string().uuid(),
  /** Parent dataset on the destination; each source lands at <parent>/<source name without its pool>. */
  destinationParent: DatasetPathSchema,
  transport: z.discriminatedUnion('kind', [
    /** zfs send on the source, zfs recv on the destination, bytes piped through the app. */
    z.object({ kind: z.literal('relay') }),
    /** The source runs `zfs send | ssh destination zfs recv` with the NAS-to-NAS key. */
    z.object({ kind: z.literal('direct'), destinationHost: HostSchema, destinationPort: PortSchema.default(22), destinationUser: z.string().default('root') }),
  ]),
  selection: SnapshotSelectionSchema,
  properties: z
    .object({
      replicate: z.boolean().default(true),
      exclude: z.array(z.string()).default([]),
      override: z.record(z.string(), z.string()).default({}),
    })
    .default({ replicate: true, exclude: [], override: {} }),
  encryption: EncryptionSchema.default({ kind: 'as-source' }),
  /** On-the-wire compression of the stream (relay: in the app; direct: ssh -C or the NAS's tools). */
  compression: z.enum(['none', 'lz4', 'zstd']).default('none'),
  /** KiB/s; null = unlimited. */
  bandwidthLimitKiBps: z.number().int().min(1).nullable().default(null),
  schedule: ScheduleSchema.default({ kind: 'manual' }),
  destinationLifetime: LifetimeSchema.default({ kind: 'same-as-source' }),
  retries: z.number().int().min(0).max(10).default(2),
  /** Set readonly=on on received datasets so nobody writes to a replica by accident. */
  destinationReadonly: z.boolean().default(true),
});

export const PeriodicSnapshotTaskSchema = z.object({
  id: z.string().uuid(),
  connectionId: z.string().uuid(),
  dataset: DatasetPathSchema,
  recursive: z.boolean().default(true),
  exclude: z.array(DatasetPathSchema).default([]),
  namingSchema: NamingSchemaPatternSchema,
  schedule: ScheduleSchema,
  lifetime: LifetimeSchema,
});

export type ReplicationTask = z.infer<typeof ReplicationTaskSchema>;
export type ReplicationTaskInput = z.input<typeof ReplicationTaskSchema>;
export type PeriodicSnapshotTask = z.infer<typeof PeriodicSnapshotTaskSchema>;
export type Schedule = z.infer<typeof ScheduleSchema>;
export type SnapshotSelection = z.infer<typeof SnapshotSelectionSchema>;

/** One run of a replication task, as kept in its run history (the full report goes to the task's log file). */
export const RunRecordSchema = z.object({
  id: z.string().uuid(),
  taskId: z.string().uuid(),
  startedAt: z.string(),
  finishedAt: z.string(),
  result: z.enum(['FINISHED', 'FAILED', 'REFUSED', 'DRY_RUN']),
  /** Who started it: "app", "cli", "schedule". */
  by: z.string(),
  bytesSent: z.number().nonnegative(),
  snapshotsSent: z.number().int().nonnegative(),
  /** finishedAt - startedAt; filled in by the run history (the dashboard charts it). */
  durationMs: z.number().nonnegative(),
  /** bytesSent over the duration (0 for a run under a millisecond); filled in by the run history. */
  bytesPerSecond: z.number().nonnegative(),
  datasets: z.array(
    z.object({
      source: z.string(),
      destination: z.string(),
      status: z.string(),
      bytesSent: z.number().nonnegative(),
      snapshotsSent: z.number().int().nonnegative(),
    }),
  ),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
});

export type RunRecord = z.infer<typeof RunRecordSchema>;

/** The states a task shows (TrueNAS and retadm users know these). */
export const TaskStateSchema = z.enum(['PENDING', 'RUNNING', 'FINISHED', 'FAILED']);
export type TaskState = z.infer<typeof TaskStateSchema>;
