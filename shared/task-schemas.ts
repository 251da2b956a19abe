import { z } from 'zod';
import { checkCronExpression } from './cron-schedule.ts';
import { checkNamingSchema } from './naming-schema.ts';
import { AppFailure } from './result.ts';
import { RetentionPolicySchema } from './retention.ts';
import { DatasetNameSchema, displayNameSchema, HostSchema, PortSchema, PropertyNameSchema, PropertyValueSchema, ruleString, UsernameSchema } from './schemas.ts';
import { selectionRegexProblem } from './selection-regex.ts';
import { TimeZoneSchema } from './time-zone.ts';
import { plainErrorMap } from './validation-messages.ts';
import { controlCharacterProblem, isSameOrDescendant, quoteName, utf8Length, zfsPropertyNameProblem } from './zfs-names.ts';

// Stored task configuration: replication tasks and periodic snapshot tasks. The wizard, the store file and the
// CLI all validate through these schemas, so a bad value is refused with the same message everywhere.

const NamingSchemaPatternSchema = z.string().superRefine((pattern, context) => {
  for (const issue of checkNamingSchema(pattern)) context.addIssue({ code: 'custom', message: issue.message, input: pattern });
});

// Five cron fields; anything else (6 fields, a step of 70 minutes, nonsense) is refused with a sentence saying what to fix.
const CronExpressionSchema = z.string().superRefine((expression, context) => {
  const problem = checkCronExpression(expression);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

export const ScheduleSchema = z.discriminatedUnion('kind', [
  /** Run only when started by hand (app, CLI or an external cron). */
  z.object({ kind: z.literal('manual') }),
  /** timeZone: the IANA zone the expression is read in (editors propose the NAS's); absent: UTC, as before zones. */
  z.object({ kind: z.literal('cron'), expression: CronExpressionSchema, timeZone: TimeZoneSchema.optional() }),
]);

export const SnapshotSelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  /** timeZone: the wall clock the names were written in (the periodic task's); absent: UTC. */
  z.object({ kind: z.literal('naming-schema'), schemas: z.array(NamingSchemaPatternSchema).min(1), timeZone: TimeZoneSchema.optional() }),
  /** RE2 syntax (shared/selection-regex.ts), matched anywhere in the snapshot name. */
  z.object({ kind: z.literal('regex'), pattern: ruleString(selectionRegexProblem) }),
]);

/** Excludes name children of the dataset they belong to ("tank/a/tmp" under "tank/a"), never the dataset itself. */
function checkExcludes(dataset: string, excludes: readonly string[], context: z.RefinementCtx, path: PropertyKey[]): void {
  excludes.forEach((exclude, index) => {
    if (exclude === dataset || !isSameOrDescendant(exclude, dataset)) {
      context.addIssue({ code: 'custom', path: [...path, index], input: exclude, message: `Exclude ${quoteName(exclude)} is not a child of ${quoteName(dataset)}; an exclude names a dataset below the one it belongs to.` });
    }
  });
}

export const SourceDatasetSchema = z
  .object({
    name: DatasetNameSchema,
    recursive: z.boolean().default(false),
    /** Children (full names) left out of a recursive replication. */
    exclude: z.array(DatasetNameSchema).default([]),
  })
  .superRefine((source, context) => checkExcludes(source.name, source.exclude, context, ['exclude']));

/** An encryption key as `zfs create/load-key -L prompt` reads it on stdin: 64 hex digits, or a passphrase of 8 to 512 bytes on one line. */
export function encryptionKeyProblem(format: 'hex' | 'passphrase', key: string): string | null {
  if (format === 'hex') return /^[0-9a-fA-F]{64}$/.test(key) ? null : 'A hex key is exactly 64 hexadecimal digits (32 bytes).';
  const bytes = key.length > 512 ? 513 : utf8Length(key);
  if (bytes < 8 || bytes > 512) return 'A ZFS passphrase is 8 to 512 bytes on one line.';
  const control = controlCharacterProblem(key);
  // The key itself is never quoted in a message.
  return control === null ? null : `The passphrase ${control}; a ZFS passphrase is one line of text.`;
}

export const EncryptionSchema = z.discriminatedUnion('kind', [
  /** Whatever the source is: an encrypted source is sent raw (-w) and arrives still encrypted with its own key. */
  z.object({ kind: z.literal('as-source') }),
  /** Receive into a new encryption root on the destination. */
  z
    .object({
      kind: z.literal('encrypt-on-destination'),
      keyFormat: z.enum(['hex', 'passphrase']),
      /** Kept in the store only when the user asks for it; otherwise asked for at each run. */
      key: z.string().optional(),
    })
    .superRefine((encryption, context) => {
      const problem = encryption.key === undefined ? null : encryptionKeyProblem(encryption.keyFormat, encryption.key);
      if (problem !== null) context.addIssue({ code: 'custom', path: ['key'], message: problem });
    }),
]);

/** Native properties the destination's encryption root decides when the task encrypts on the destination. */
export const encryptionProperties = ['encryption', 'keyformat', 'keylocation', 'pbkdf2iters'] as const;

/** Property lists zfs receive would refuse together, and encryption properties an encrypting task cannot set. */
export function checkPropertyOptions(task: { properties: { exclude: string[]; override: Record<string, string> }; encryption: { kind: string } }, context: z.RefinementCtx): void {
  const { exclude, override } = task.properties;
  const both = exclude.filter((name) => Object.hasOwn(override, name));
  if (both.length > 0) {
    context.addIssue({ code: 'custom', path: ['properties', 'override', both[0]!], message: `Property ${both.join(', ')} is both excluded and overridden; keep it in one list (zfs receive refuses both).` });
  }
  if (task.encryption.kind === 'encrypt-on-destination') {
    const crypto = [...exclude, ...Object.keys(override)].filter((name) => (encryptionProperties as readonly string[]).includes(name));
    if (crypto.length > 0) {
      context.addIssue({ code: 'custom', path: ['properties'], message: `${crypto.join(', ')} cannot be set per task when the destination encrypts: replicas inherit the encryption of the destination parent.` });
    }
  }
}

/** The fields of a stored replication task (exported so file formats can re-key them: zod cannot .omit() after a refinement). */
export const replicationTaskFields = {
  id: z.string().uuid(),
  name: displayNameSchema('Task name', 'Give the task a name.'),
  sourceConnectionId: z.string().uuid(),
  sources: z.array(SourceDatasetSchema).min(1, 'Pick at least one source dataset.'),
  destinationConnectionId: z.string().uuid(),
  /** Parent dataset on the destination; each source lands at <parent>/<source name without its pool>. */
  destinationParent: DatasetNameSchema,
  transport: z.discriminatedUnion('kind', [
    /** zfs send on the source, zfs recv on the destination, bytes piped through the app. */
    z.object({ kind: z.literal('relay') }),
    /** The source runs `zfs send | ssh destination zfs recv` with the NAS-to-NAS key. */
    z.object({ kind: z.literal('direct'), destinationHost: HostSchema, destinationPort: PortSchema.default(22), destinationUser: UsernameSchema.default('root') }),
  ]),
  selection: SnapshotSelectionSchema,
  properties: z
    .object({
      replicate: z.boolean().default(true),
      exclude: z.array(PropertyNameSchema).default([]),
      override: z.record(z.string(), PropertyValueSchema).default({}),
    })
    // Names checked here rather than as the record's key schema: zod reports a bad key as "Invalid key in record".
    .superRefine((properties, context) => {
      for (const name of Object.keys(properties.override)) {
        const problem = zfsPropertyNameProblem(name);
        if (problem !== null) context.addIssue({ code: 'custom', path: ['override', name], input: name, message: problem });
      }
    })
    .default({ replicate: true, exclude: [], override: {} }),
  encryption: EncryptionSchema.default({ kind: 'as-source' }),
  /** On-the-wire compression of the stream (relay: in the app; direct: ssh -C or the NAS's tools). */
  compression: z.enum(['none', 'lz4', 'zstd']).default('none'),
  /** KiB/s; null = unlimited. */
  bandwidthLimitKiBps: z.number().int().min(1).nullable().default(null),
  schedule: ScheduleSchema.default({ kind: 'manual' }),
  /** A lifetime or a keep grid for the destination's snapshots (the field keeps its first name: stored tasks load). */
  destinationLifetime: RetentionPolicySchema.default({ kind: 'same-as-source' }),
  retries: z.number().int().min(0).max(10).default(2),
  /** Set readonly=on on received datasets so nobody writes to a replica by accident. */
  destinationReadonly: z.boolean().default(true),
};

export const ReplicationTaskSchema = z.object(replicationTaskFields).superRefine(checkPropertyOptions);

/**
 * A replication task as the app edits it: no id yet when it is created (saveTask), or a draft the wizard plans
 * before saving. Same rules as a saved task. (zod cannot re-key an object with refinements, hence its own object.)
 */
export const ReplicationTaskDraftSchema = z.object({ ...replicationTaskFields, id: z.string().uuid().optional() }).superRefine(checkPropertyOptions);

/** The fields of a stored periodic snapshot task (exported for file formats, as above). */
export const periodicSnapshotTaskFields = {
  id: z.string().uuid(),
  connectionId: z.string().uuid(),
  dataset: DatasetNameSchema,
  recursive: z.boolean().default(true),
  exclude: z.array(DatasetNameSchema).default([]),
  namingSchema: NamingSchemaPatternSchema,
  /** The wall clock of the names and of the keep grid's days (editors propose the NAS's); absent: UTC, as before zones. */
  timeZone: TimeZoneSchema.optional(),
  schedule: ScheduleSchema,
  /** A lifetime or a keep grid (the field keeps its first name: stored tasks load). */
  lifetime: RetentionPolicySchema,
};

export const checkSnapshotTaskExcludes = (task: { dataset: string; exclude: string[] }, context: z.RefinementCtx) => checkExcludes(task.dataset, task.exclude, context, ['exclude']);

export const PeriodicSnapshotTaskSchema = z.object(periodicSnapshotTaskFields).superRefine(checkSnapshotTaskExcludes);

/** A periodic snapshot task being created (no id yet) or edited. */
export const PeriodicSnapshotTaskDraftSchema = z.object({ ...periodicSnapshotTaskFields, id: z.string().uuid().optional() }).superRefine(checkSnapshotTaskExcludes);

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

// ---- Validating a whole task where it is used ---------------------------------------------------------------

/** "sources[0].exclude[1]" for a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : `${text === '' ? '' : '.'}${String(part)}`;
  return text === '' ? '(the task)' : text;
}

/** Fields whose values never appear in a message or a log. */
const secretFields = new Set(['key', 'destinationKey', 'password']);

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

export interface FieldIssue {
  /** Where, as zod reports it (["sources", 0, "name"]): the UI marks the field in place. */
  path: (string | number)[];
  /** Where, e.g. "sources[0].name". */
  field: string;
  /** The sentence, which quotes the value where it is shown (never for secrets). */
  message: string;
  /** The value as found (strings cut to 200 characters; secrets hidden). */
  value?: unknown;
}

/** The problems of a value refused by a schema, one per field, with the value found there. */
export function fieldIssues(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = fieldPath(issue.path);
    const secret = issue.path.some((part) => typeof part === 'string' && secretFields.has(part));
    const found = secret ? undefined : valueAt(input, issue.path);
    const value = typeof found === 'string' && found.length > 200 ? `${found.slice(0, 200)}...` : found;
    // Zod's own messages ("expected string, received number") do not say what was there; ours quote it already.
    const shown = issue.code !== 'custom' && !secret && found !== undefined && (typeof found !== 'object' || found === null) ? ` (found ${quoteName(String(found))})` : '';
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    return { path, field, message: `${issue.message}${shown}`, ...(secret || found === undefined ? {} : { value }) };
  });
}

/**
 * The failure for a task that cannot run as written (a hand-edited settings file, an older app's task, a draft):
 * INVALID_REQUEST naming every bad field and its value, thrown before any connection opens.
 */
export function invalidTaskFailure(kind: 'Task' | 'Periodic snapshot task', input: unknown, error: z.ZodError): AppFailure {
  const issues = fieldIssues(error, input);
  const rawName = valueAt(input, ['name']);
  const name = typeof rawName === 'string' && rawName.trim() !== '' ? ` ${quoteName(rawName)}` : '';
  const list = issues.map((issue) => `${issue.field}: ${issue.message}`).join(' ');
  return new AppFailure(
    'INVALID_REQUEST',
    `${kind}${name} is not valid: ${list}`,
    'Nothing was sent to any NAS. Correct the task (in the app, or in the settings file) and run it again.',
    { issues },
  );
}

/** The task, validated as a whole (every name, host, user, property, pattern and key) and with defaults applied. */
export function assertRunnableTask(task: unknown): ReplicationTask {
  const parsed = ReplicationTaskSchema.safeParse(task, { error: plainErrorMap });
  if (!parsed.success) throw invalidTaskFailure('Task', task, parsed.error);
  return parsed.data;
}

export function assertRunnableSnapshotTask(task: unknown): PeriodicSnapshotTask {
  const parsed = PeriodicSnapshotTaskSchema.safeParse(task, { error: plainErrorMap });
  if (!parsed.success) throw invalidTaskFailure('Periodic snapshot task', task, parsed.error);
  return parsed.data;
}
