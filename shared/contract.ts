import { z } from 'zod';
import { DestructionOutcomeSchema, DestructionPlanSchema, DoctorReportSchema, PromoteReportSchema, RepairReportSchema, ReportErrorSchema, ResetReportSchema, RunReportSchema } from './replication-reports.ts';
import type { Result } from './result.ts';
import { NotificationSchema, UiCommandSchema } from './desktop-events.ts';
import { ImportItemRefSchema, ImportPlanSchema, ImportResultSchema, PortableConfigSchema } from './portable-config.ts';
import { RetentionDecisionSchema, RetentionRequestSchema } from './retention.ts';
import { ConnectionInputSchema, ConnectionSchema, DatasetNameSchema, HostSchema, PortSchema, SettingsSchema } from './schemas.ts';
import { PeriodicSnapshotTaskDraftSchema, PeriodicSnapshotTaskSchema, ReplicationTaskDraftSchema, ReplicationTaskSchema, RunRecordSchema, TaskStateSchema as StoredTaskStateSchema } from './task-schemas.ts';

// The one contract between the renderer and the main process. Electron IPC, the preload bridge and the
// loopback WebSocket bridge are all generated from these two tables: adding a verb here is the whole job
// on the transport side (the handler lives in electron/services/handlers/<feature>.ts, wired by createCore).

interface VerbSpec {
  request: z.ZodType;
  response: z.ZodType;
  summary: string;
}

const verb = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, summary: string) =>
  ({ request, response, summary }) satisfies VerbSpec;

const Empty = z.object({}).strict();

export const VersionInfoSchema = z.object({
  app: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  chrome: z.string().nullable(),
  platform: z.string(),
  transport: z.enum(['electron', 'bridge', 'cli']),
});
export type VersionInfo = z.output<typeof VersionInfoSchema>;

export const StoreStatusSchema = z.object({
  path: z.string(),
  /** Set when the store file was unreadable at start: where the damaged file was moved to. */
  recoveredFrom: z.string().nullable(),
  message: z.string().nullable(),
  /** What the store had to say since start: entries of the settings file set aside (each named, with why), data migrated. */
  warnings: z.array(z.string()),
  /** Where stored task keys are kept: sealed by the OS keychain (desktop app) or in the 0600 secrets file. */
  secrets: z.enum(['os-keychain', 'file']),
});

const ConnectionRef = z.object({ connectionId: z.string().uuid() }).strict();
const TaskRef = z.object({ taskId: z.string().uuid() }).strict();
export const HostKeyInfoSchema = z.object({ type: z.string(), sha256: z.string() });
const Address = z.object({ host: HostSchema, port: PortSchema });

// The zfs layer's rows (electron/services/zfs: pools.ts, datasets.ts, snapshots.ts) are exactly these types; a unit
// test proves it, so a listing crosses the transports without a copy.
export const PoolSummarySchema = z.object({
  name: z.string(),
  guid: z.string(),
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED. */
  health: z.string(),
  sizeBytes: z.number(),
  allocatedBytes: z.number(),
  freeBytes: z.number(),
  /** Percent of space used, 0-100. */
  capacityPercent: z.number(),
  /** Percent; null when the pool cannot tell. */
  fragmentationPercent: z.number().nullable(),
  readonly: z.boolean(),
});
export const DatasetSummarySchema = z.object({
  name: z.string(),
  type: z.enum(['filesystem', 'volume']),
  guid: z.string(),
  createtxg: z.number(),
  /** Unix seconds. */
  creation: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
  referencedBytes: z.number(),
  /** "off" or the cipher, e.g. "aes-256-gcm". */
  encryption: z.string(),
  /** The dataset whose key this one uses; null when not encrypted. */
  encryptionRoot: z.string().nullable(),
  keyStatus: z.enum(['available', 'unavailable']).nullable(),
  readonly: z.boolean(),
  /** The snapshot this clone was created from; null when not a clone. */
  origin: z.string().nullable(),
  receiveResumeToken: z.string().nullable(),
  /** null for volumes. */
  mounted: z.boolean().nullable(),
  /** A path, "none" or "legacy"; null for volumes. */
  mountpoint: z.string().nullable(),
});
export const SnapshotSummarySchema = z.object({
  name: z.string(),
  type: z.enum(['snapshot', 'bookmark']),
  /** Equal guids on two NAS mean the same snapshot, whatever its name. */
  guid: z.string(),
  createtxg: z.number(),
  /** Unix seconds. */
  creation: z.number(),
  usedBytes: z.number().nullable(),
  referencedBytes: z.number().nullable(),
  /** Number of holds; null for bookmarks. */
  userRefs: z.number().nullable(),
  /** "tank/data" of "tank/data@daily-1". */
  dataset: z.string(),
  /** "daily-1" of "tank/data@daily-1" (or of "tank/data#daily-1"). */
  shortName: z.string(),
});
export type PoolSummary = z.output<typeof PoolSummarySchema>;
export type DatasetSummary = z.output<typeof DatasetSummarySchema>;
export type SnapshotSummary = z.output<typeof SnapshotSummarySchema>;

// The reports of the replication engine and its maintenance verbs: one definition, in shared/replication-reports.ts.
export { DoctorReportSchema, PromoteReportSchema, RepairReportSchema, ResetReportSchema, RunReportSchema } from './replication-reports.ts';

// Periodic snapshot tasks (electron/services/snapshots/periodic-snapshots.ts), as plain data.
export const TakeSnapshotsResultSchema = z.object({ snapshots: z.array(z.string()), command: z.string(), dryRun: z.boolean() });

export const PruneResultSchema = z.object({
  plan: z.object({
    taskId: z.string(),
    now: z.string(),
    datasets: z.array(
      z.object({
        dataset: z.string(),
        /** What was decided on (the review re-decides it with a policy being edited) and every snapshot's fate. */
        request: RetentionRequestSchema,
        decisions: z.array(RetentionDecisionSchema),
        prune: z.array(z.string()),
      }),
    ),
  }),
  dryRun: z.boolean(),
  /** Full names destroyed (or, dry run, that would be). */
  destroyed: z.array(z.string()),
  reclaimBytes: z.number(),
  commands: z.array(z.string()),
});

/** The key of an encrypt-on-destination task whose key is not stored: used for this call only, never kept. */
const DestinationKey = z.string().min(1).max(1024);

// ---- Fleet screens (issue 13): pre-flight test, NAS status, app key removal ---------------------------------
// Kept in one block: the verbs the fleet overview, the add/edit NAS dialog and the key setup need beyond the
// NAS verbs above. Handlers: electron/services/handlers/fleet.ts.

export const PreflightCheckIdSchema = z.enum(['tcp', 'host-key', 'login', 'privilege', 'zfs', 'pools']);
/** ok/warn/fail: done; action: the admin must decide (first-contact host key); skipped: an earlier check failed. */
export const PreflightStatusSchema = z.enum(['ok', 'warn', 'fail', 'action', 'skipped']);

export const PreflightCheckSchema = z.object({
  id: PreflightCheckIdSchema,
  title: z.string(),
  status: PreflightStatusSchema,
  /** What the check found, in a sentence. */
  detail: z.string(),
  /** What to do about a warning or failure. */
  hint: z.string().nullable(),
  /** Lines to copy for the fix: the console command to compare a fingerprint, a sudoers line, zfs allow lines. */
  commands: z.array(z.object({ label: z.string(), command: z.string() })),
  error: ReportErrorSchema.nullable(),
  ms: z.number().nullable(),
});

export const PreflightReportSchema = z.object({
  connectionId: z.string(),
  checkedAt: z.string(),
  /** The worst status of the checks. */
  status: PreflightStatusSchema,
  checks: z.array(PreflightCheckSchema),
  /** The host key the NAS presented, what is pinned, and how they compare. */
  hostKey: z.object({
    state: z.enum(['trusted', 'unconfirmed', 'mismatch', 'unknown']),
    presented: HostKeyInfoSchema.nullable(),
    pinned: HostKeyInfoSchema.nullable(),
  }),
  zfsVersion: z.string().nullable(),
  os: z.string().nullable(),
  pools: z.array(PoolSummarySchema),
});

export const NasStatusSchema = z.object({
  connectionId: z.string(),
  checkedAt: z.string(),
  /** Round trip of a no-op command on the pooled SSH connection. */
  latencyMs: z.number(),
  os: z.string(),
  zfsVersion: z.string(),
  /** The kernel module's version when it differs from the tools' (null: same, or not reported). */
  zfsKernelVersion: z.string().nullable(),
  privilege: z.enum(['root', 'sudo', 'delegated']),
  loginIsRoot: z.boolean(),
  pools: z.array(PoolSummarySchema),
});

export const AppKeyInfoSchema = z.object({ publicKey: z.string(), type: z.string(), sha256: z.string() });

const fleetVerbs = {
  preflightConnection: verb(
    ConnectionRef,
    PreflightReportSchema,
    'Test a saved NAS step by step (TCP, host key, login, privilege, OpenZFS, pools), each with its result and fix; streams preflightStep events.',
  ),
  nasStatus: verb(ConnectionRef, NasStatusSchema, 'Reachability, SSH latency, OpenZFS version, privilege and pools of a saved NAS (the fleet overview).'),
  getAppKey: verb(Empty, AppKeyInfoSchema, "The app's own SSH public key (created on first use) and its fingerprint."),
  removeAppKey: verb(
    ConnectionRef,
    z.object({ removed: z.number() }),
    "Undo the key setup: remove the app's public key from the login user's authorized_keys on the NAS (over the key login itself).",
  ),
} as const;

const fleetEvents = {
  /** One check of a running pre-flight test (the add/edit NAS checklist). */
  preflightStep: z.object({ connectionId: z.string(), check: PreflightCheckIdSchema, state: z.enum(['running', 'ok', 'warn', 'fail', 'action', 'skipped']), detail: z.string().optional() }),
} as const;

// ---- end of the fleet block ------------------------------------------------------------------------------------

// ---- the snapshot screens' block (renderer/features/snapshots, retention, snapshot-tasks, calendar) -------------
// Handlers: electron/services/handlers/snapshots.ts. Every destroy and rollback is a DestructionPlan (planned, shown
// in the one confirmation, confirmed by its digest, re-checked on the NAS right before acting).

const SnapshotNameList = z.array(z.string().min(1).max(1024)).min(1, 'Choose at least one snapshot.').max(100_000);

export const NasSnapshotListingSchema = z.object({
  /** "root@nas-a:22", for messages. */
  host: z.string(),
  /** The dataset listed (recursively), or null: every pool of the NAS. */
  dataset: z.string().nullable(),
  /** Snapshots only (no bookmarks), oldest first per dataset. */
  snapshots: z.array(SnapshotSummarySchema),
  /** Tags of the holds on each held snapshot ("zfs-replication:<task id>" marks a task's common base). */
  holdTags: z.record(z.string(), z.array(z.string())),
  listedAt: z.string(),
});
export type NasSnapshotListing = z.output<typeof NasSnapshotListingSchema>;

/** A periodic snapshot task's retention, as its prune decides it now (the review re-decides it with an edited policy). */
export const SnapshotTaskReviewSchema = PruneResultSchema.shape.plan;

const snapshotScreenVerbs = {
  listNasSnapshots: verb(
    ConnectionRef.extend({ dataset: DatasetNameSchema.optional() }).strict(),
    NasSnapshotListingSchema,
    'Every snapshot of a dataset and its descendants (or of the whole NAS), with used, referenced, holds and the hold tags.',
  ),
  planSnapshotDestroy: verb(
    ConnectionRef.extend({ snapshots: SnapshotNameList }).strict(),
    DestructionPlanSchema,
    'What destroying these snapshots would destroy (one atomic command per dataset) and the space zfs destroy -nv says it frees; held snapshots and common bases are refused with the reason. Changes nothing.',
  ),
  planSnapshotRollback: verb(
    ConnectionRef.extend({ snapshot: z.string().min(1).max(1024) }).strict(),
    DestructionPlanSchema,
    'What rolling a dataset back to this snapshot destroys: every newer snapshot and bookmark, and what was written since. Changes nothing.',
  ),
  executeSnapshotDestruction: verb(
    ConnectionRef.extend({ plan: DestructionPlanSchema, confirmation: z.string().min(1) }).strict(),
    DestructionOutcomeSchema,
    'Carry out a destroy or rollback plan the admin confirmed (its digest): the NAS is listed again first and any difference refuses it.',
  ),
  setSnapshotHolds: verb(
    ConnectionRef.extend({ action: z.enum(['hold', 'release']), tag: z.string().min(1).max(200), snapshots: SnapshotNameList }).strict(),
    z.object({ snapshots: z.array(z.string()) }),
    'Put a user hold (zfs hold TAG …) on snapshots, or release one. A held snapshot cannot be destroyed by anyone.',
  ),
  reviewSnapshotTask: verb(
    TaskRef,
    SnapshotTaskReviewSchema,
    "The fate of every snapshot a periodic snapshot task's policy governs, with the reason, as its prune would decide it now. Changes nothing.",
  ),
  planSnapshotTaskPrune: verb(
    TaskRef,
    z.object({ plan: DestructionPlanSchema.nullable(), review: SnapshotTaskReviewSchema }),
    "The destruction plan of a periodic snapshot task's prune: exactly the snapshots its review shows as pruned (null: nothing to prune). Changes nothing.",
  ),
} as const;

// ---- end of the snapshot screens' block --------------------------------------------------------------------------

export const verbs = {
  ping: verb(
    z.object({ message: z.string().max(1000) }),
    z.object({ message: z.string(), receivedAt: z.string() }),
    'Echo a message: proves a transport round trip.',
  ),
  getVersion: verb(Empty, VersionInfoSchema, 'Versions of the app and its runtime, and which transport serves it.'),
  getStoreStatus: verb(Empty, StoreStatusSchema, 'Where settings live, and whether a damaged store was set aside at start.'),
  getSettings: verb(Empty, SettingsSchema, 'Read the app settings.'),
  updateSettings: verb(SettingsSchema.partial().strict(), SettingsSchema, 'Change some settings; returns all of them.'),
  listConnections: verb(Empty, z.array(ConnectionSchema), 'Saved NAS connections.'),
  saveConnection: verb(ConnectionInputSchema, ConnectionSchema, 'Create a NAS connection, or update one when id is given.'),
  removeConnection: verb(
    z.object({ id: z.string().uuid() }).strict(),
    z.object({ removed: z.boolean() }),
    'Forget a saved NAS connection (nothing on the NAS is touched).',
  ),

  // NAS connections over SSH: host-key trust, key exchange, probing.
  probeHostKey: verb(ConnectionRef, HostKeyInfoSchema, "Fetch the NAS's SSH host key fingerprint for the admin to compare with the NAS console."),
  confirmHostKey: verb(
    ConnectionRef.extend({ sha256: z.string().startsWith('SHA256:') }),
    ConnectionSchema,
    'Pin the host key the admin confirmed (the NAS must still present exactly that key).',
  ),
  testConnection: verb(
    ConnectionRef,
    z.object({ handshakeMs: z.number(), cipher: z.string().nullable(), hostKey: HostKeyInfoSchema, os: z.string(), zfsVersion: z.string(), jsonOutput: z.boolean(), /** The NAS's IANA zone (schedules and names default to it); null: unknown. */ timeZone: z.string().nullable() }),
    'Log in with the key and probe what the NAS can do.',
  ),
  installAppKey: verb(
    ConnectionRef.extend({ password: z.string().min(1).max(1024) }),
    z.object({ added: z.boolean(), hostKey: HostKeyInfoSchema, keyLoginMs: z.number() }),
    "Use the password once to install the app's key, then verify a key-only login. The password is not stored.",
  ),
  establishNasTrust: verb(
    z.object({ sourceConnectionId: z.string().uuid(), destinationConnectionId: z.string().uuid(), destinationAddress: Address, reverseAddress: Address.optional() }).strict(),
    z.object({ directions: z.array(z.object({ from: z.string(), to: z.string() })) }),
    'Let the source NAS log in to the destination NAS (and back, when reverseAddress is given) for direct replication.',
  ),
  removeNasTrust: verb(
    z.object({ sourceConnectionId: z.string().uuid(), destinationConnectionId: z.string().uuid(), bothDirections: z.boolean().default(false) }).strict(),
    z.object({ directions: z.number() }),
    'Remove exactly what establishNasTrust added.',
  ),
  zfsAllowCommands: verb(
    TaskRef,
    z.object({ source: z.string(), destination: z.string(), revokeSource: z.string(), revokeDestination: z.string(), notes: z.array(z.string()) }),
    "The minimal `zfs allow` lines a task needs on each side, for connections using delegated privilege.",
  ),
  listPools: verb(ConnectionRef, z.array(PoolSummarySchema), 'Pools of a NAS with health and space.'),
  listDatasets: verb(ConnectionRef.extend({ root: DatasetNameSchema.optional() }), z.array(DatasetSummarySchema), 'Filesystems and volumes of a NAS (under root).'),
  listSnapshots: verb(ConnectionRef.extend({ dataset: DatasetNameSchema, recursive: z.boolean().default(false) }), z.array(SnapshotSummarySchema), 'Snapshots and bookmarks of a dataset, oldest first.'),

  // Replication tasks.
  listTasks: verb(Empty, z.array(z.object({ task: ReplicationTaskSchema, state: StoredTaskStateSchema, lastRun: RunRecordSchema.nullable() })), 'Replication tasks with their state and last run.'),
  saveTask: verb(ReplicationTaskDraftSchema, ReplicationTaskSchema, 'Create a replication task, or update one when id is given.'),
  removeTask: verb(z.object({ id: z.string().uuid() }).strict(), z.object({ removed: z.boolean() }), 'Delete a task and its history (nothing on the NAS is touched).'),
  runTask: verb(
    TaskRef.extend({ dryRun: z.boolean().default(false), confirmation: z.string().optional(), destinationKey: DestinationKey.optional() }),
    RunReportSchema,
    'Run a task now (or plan it with dryRun). A diverged destination is refused until the returned confirmation is passed back. destinationKey: the key of an encrypt-on-destination task that does not store it (never stored or logged).',
  ),
  cancelTask: verb(TaskRef, z.object({ cancelled: z.boolean() }), 'Stop a running task; the next run resumes the transfer.'),
  listRuns: verb(
    TaskRef.extend({ limit: z.number().int().min(1).max(10_000).optional() }),
    z.array(RunRecordSchema),
    'Run history of a task, oldest first (with limit: the newest `limit` runs). Up to 1000 runs are kept per task.',
  ),

  // Maintenance of a replication task (the CLI's doctor, repair, reset and promote).
  doctorTask: verb(TaskRef, DoctorReportSchema, 'Check ssh, privileges, versions, pools, read-only replicas, resume tokens, the common base, holds and the lock. Changes nothing.'),
  repairTask: verb(
    TaskRef.extend({ dryRun: z.boolean().default(false), confirmation: z.string().optional(), destinationKey: DestinationKey.optional() }),
    RepairReportSchema,
    'After a destination rollback or a lost base: the minimal repair (holds, resend from the newest common snapshot or bookmark). Applied only when the returned confirmation is passed back.',
  ),
  resetTask: verb(TaskRef.extend({ dryRun: z.boolean().default(false) }), ResetReportSchema, "Remove the task's holds, lock files and promote mark on the NAS (never data)."),
  promoteTask: verb(
    TaskRef.extend({ dryRun: z.boolean().default(false) }),
    PromoteReportSchema,
    'Failover: make the replicas writable and stop replicating into them; returns the failback plan.',
  ),

  // Periodic snapshot tasks.
  listSnapshotTasks: verb(Empty, z.array(PeriodicSnapshotTaskSchema), 'Periodic snapshot tasks.'),
  saveSnapshotTask: verb(PeriodicSnapshotTaskDraftSchema, PeriodicSnapshotTaskSchema, 'Create a periodic snapshot task, or update one when id is given.'),
  removeSnapshotTask: verb(z.object({ id: z.string().uuid() }).strict(), z.object({ removed: z.boolean() }), 'Delete a periodic snapshot task (its snapshots stay on the NAS).'),
  runSnapshotTask: verb(
    TaskRef.extend({ dryRun: z.boolean().default(false) }),
    z.object({ taskId: z.string(), taken: TakeSnapshotsResultSchema, pruned: PruneResultSchema }),
    'Run a periodic snapshot task now: take its snapshot, then prune by its lifetime (or, dryRun, say what that would do).',
  ),
  pruneSnapshotTask: verb(
    TaskRef.extend({ dryRun: z.boolean().default(false) }),
    z.object({ taskId: z.string(), pruned: PruneResultSchema }),
    "Prune by a periodic snapshot task's lifetime only (never a held snapshot); dryRun lists what would go.",
  ),

  // Export and import (shared/portable-config.ts): one file of connections (with their pinned host keys) and tasks,
  // never a private key, a password or an encryption key. Conflicts by name are listed before anything is replaced.
  exportConfig: verb(Empty, PortableConfigSchema, 'Connections (with their host-key pins) and tasks as one file; no keys, passwords or encryption keys.'),
  planImport: verb(
    z.object({ document: PortableConfigSchema }).strict(),
    ImportPlanSchema,
    'What importing the file would add, leave as it is, and where it conflicts by name with what is here. Changes nothing.',
  ),
  importConfig: verb(
    z.object({ document: PortableConfigSchema, replace: z.array(ImportItemRefSchema).default([]), dryRun: z.boolean().default(false) }).strict(),
    ImportResultSchema,
    'Import the file: new entries are added, identical ones left, and a conflicting entry is replaced only when named in replace (else skipped).',
  ),
  schedulerStatus: verb(
    Empty,
    z.object({
      /** running: this process runs the schedules; standby: another one does (holder); stopped: none started here. */
      state: z.enum(['running', 'standby', 'stopped']),
      holder: z.object({ pid: z.number(), program: z.string(), host: z.string(), since: z.string() }).nullable(),
      paused: z.boolean(),
    }),
    'Who runs the schedules of this settings folder, and whether they are paused (settings.schedulesPaused).',
  ),
  ...fleetVerbs,
  ...snapshotScreenVerbs,
} as const;

export const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

export const TaskStateSchema = StoredTaskStateSchema;

export const events = {
  log: z.object({
    at: z.string(),
    level: LogLevelSchema,
    source: z.string(),
    message: z.string(),
    taskId: z.string().optional(),
  }),
  progress: z.object({
    taskId: z.string(),
    dataset: z.string(),
    bytesSent: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative().nullable(),
    bytesPerSecond: z.number().nonnegative(),
    etaSeconds: z.number().nonnegative().nullable(),
  }),
  status: z.object({
    taskId: z.string(),
    state: TaskStateSchema,
    detail: z.string().optional(),
  }),
  connectionsChanged: z.object({ connections: z.array(ConnectionSchema) }),
  /** One step of a guided key exchange (a checklist in the UI). */
  keyExchangeStep: z.object({ connectionId: z.string(), step: z.string(), status: z.enum(['running', 'done', 'failed']), detail: z.string().optional() }),
  settingsChanged: SettingsSchema,
  /** Something the user should hear about (electron/services/desktop/notifications.ts): a native notification in Electron, a toast in the window. */
  notification: NotificationSchema,
  /** A menu item, shortcut, tray item or notification click asks the window to do something (the command palette's commands). */
  uiCommand: UiCommandSchema,

  ...fleetEvents,
} as const;

export type Verbs = typeof verbs;
export type VerbName = keyof Verbs;
export type EventName = keyof typeof events;
/** What a caller may send (defaults not yet applied). */
export type VerbRequest<K extends VerbName> = z.input<Verbs[K]['request']>;
/** What a handler receives (validated, defaults applied). */
export type VerbParsedRequest<K extends VerbName> = z.output<Verbs[K]['request']>;
export type VerbResponse<K extends VerbName> = z.output<Verbs[K]['response']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const verbNames = Object.keys(verbs) as VerbName[];
export const eventNames = Object.keys(events) as EventName[];

export function isVerbName(name: unknown): name is VerbName {
  return typeof name === 'string' && Object.hasOwn(verbs, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** IPC channel names; prefixed so our handlers never collide with Electron's or a library's. */
export const verbChannel = (name: VerbName) => `zrd:verb:${name}`;
export const eventChannel = (name: EventName) => `zrd:event:${name}`;

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

/** window.api, as the preload exposes it and as the WebSocket client imitates it. */
export type Api = {
  [K in VerbName]: (request: VerbRequest<K>) => Promise<Result<VerbResponse<K>>>;
} & {
  on<E extends EventName>(event: E, listener: EventListener<E>): () => void;
};

/** Messages of the loopback WebSocket bridge. */
export type BridgeClientMessage = { id: number; verb: string; request: unknown };
export type BridgeServerMessage =
  | { id: number; result: Result<unknown> }
  | { event: EventName; payload: unknown };

/** Sub-protocol names the bridge accepts; the token rides in the second one (a browser cannot set headers). */
export const bridgeProtocol = 'zrd.v1';
export const bridgeTokenPrefix = 'token.';
