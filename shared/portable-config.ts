import { z } from 'zod';
import { ConnectionInputSchema, PinnedHostKeySchema } from './schemas.ts';
import { checkPropertyOptions, checkSnapshotTaskExcludes, periodicSnapshotTaskFields, replicationTaskFields } from './task-schemas.ts';

// Connections and tasks as a person writes them in a file and as one installation hands them to another: tasks name
// their NAS connections by name (ids differ between installations), nothing secret is in them (no private key, no
// password, no encryption key), and a connection carries its pinned host key so trust moves with it. The CLI's
// `task add --file`, `export` and `import` and the app's export/import verbs all read and write these shapes; the
// README's JSON Schema is generated from them (z.toJSONSchema), so the documentation cannot drift from the code.

/** A saved connection's name (or id): how a task file points at a NAS. */
const ConnectionName = z.string().trim().min(1, 'Name a saved connection, e.g. "nas-a".').max(64);

/** A replication task in a file: the stored task without its id, its connections by name, and never its key. */
const { id: _taskId, sourceConnectionId: _sourceId, destinationConnectionId: _destinationId, ...taskFileFields } = replicationTaskFields;
const { id: _snapshotTaskId, connectionId: _connectionId, ...snapshotTaskFileFields } = periodicSnapshotTaskFields;

export const TaskFileSchema = z
  .object({
    ...taskFileFields,
    /** The source NAS: a saved connection's name (or id). */
    sourceConnection: ConnectionName,
    /** The destination NAS: a saved connection's name (or id). */
    destinationConnection: ConnectionName,
  })
  .strict()
  .superRefine(checkPropertyOptions);

/** A periodic snapshot task in a file: its NAS by connection name. */
export const SnapshotTaskFileSchema = z
  .object({ ...snapshotTaskFileFields, connection: ConnectionName })
  .strict()
  .superRefine(checkSnapshotTaskExcludes);

/** A connection in an export: what the app needs to reach the NAS again, with its pinned host key, without secrets. */
export const PortableConnectionSchema = ConnectionInputSchema.omit({ id: true })
  .extend({ hostKey: PinnedHostKeySchema.nullable().default(null) })
  .strict();

export const portableConfigFormat = 'zfs-replication-desktop/config';

export const PortableConfigSchema = z
  .object({
    format: z.literal(portableConfigFormat),
    version: z.literal(1),
    exportedAt: z.string(),
    connections: z.array(PortableConnectionSchema).default([]),
    tasks: z.array(TaskFileSchema).default([]),
    snapshotTasks: z.array(SnapshotTaskFileSchema).default([]),
  })
  .strict();

export type TaskFile = z.output<typeof TaskFileSchema>;
export type TaskFileInput = z.input<typeof TaskFileSchema>;
export type SnapshotTaskFile = z.output<typeof SnapshotTaskFileSchema>;
export type PortableConnection = z.output<typeof PortableConnectionSchema>;
export type PortableConfig = z.output<typeof PortableConfigSchema>;
export type PortableConfigInput = z.input<typeof PortableConfigSchema>;

export const ImportItemKindSchema = z.enum(['connection', 'task', 'snapshotTask']);
export type ImportItemKind = z.output<typeof ImportItemKindSchema>;

/** One entry of an import: identified by kind and name (a snapshot task's name is "<connection>:<dataset>"). */
export const ImportItemRefSchema = z.object({ kind: ImportItemKindSchema, name: z.string() }).strict();

export const ImportItemSchema = ImportItemRefSchema.extend({
  /**
   * add: new here. same: already here, identical. conflict: a different entry of that name is here (replaced only when
   * named in `replace`). invalid: cannot be imported (why in `problem`).
   */
  status: z.enum(['add', 'same', 'conflict', 'invalid']),
  /** What differs from the entry already here (conflict), e.g. ["host", "port"]. */
  differences: z.array(z.string()),
  problem: z.string().nullable(),
});

export const ImportPlanSchema = z.object({
  items: z.array(ImportItemSchema),
  /** Things the admin must do after importing (keys to install, files to copy). */
  notes: z.array(z.string()),
});

export const ImportResultSchema = ImportPlanSchema.extend({
  /** What was written, by entry. */
  applied: z.array(ImportItemRefSchema.extend({ action: z.enum(['added', 'replaced', 'skipped', 'unchanged', 'failed']), problem: z.string().nullable() })),
  dryRun: z.boolean(),
});

export type ImportPlan = z.output<typeof ImportPlanSchema>;
export type ImportItem = z.output<typeof ImportItemSchema>;
export type ImportResult = z.output<typeof ImportResultSchema>;

/** How a snapshot task is named in an import plan and on the command line: "<connection>:<dataset>". */
export function snapshotTaskName(connectionName: string, dataset: string): string {
  return `${connectionName}:${dataset}`;
}

/** The JSON Schemas the README documents (input side: what a file may contain, defaults applied on read). */
export function taskFileJsonSchema(): unknown {
  return z.toJSONSchema(TaskFileSchema, { io: 'input', unrepresentable: 'any' });
}

export function snapshotTaskFileJsonSchema(): unknown {
  return z.toJSONSchema(SnapshotTaskFileSchema, { io: 'input', unrepresentable: 'any' });
}

export function portableConfigJsonSchema(): unknown {
  return z.toJSONSchema(PortableConfigSchema, { io: 'input', unrepresentable: 'any' });
}
