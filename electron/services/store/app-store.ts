import { randomUUID } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import type Conf from 'conf';
import type { Options } from 'conf';
import { z } from 'zod';
import { AppFailure } from '../../../shared/result.ts';
import {
  ConnectionInputSchema,
  ConnectionSchema,
  SettingsSchema,
  defaultSettings,
  type Connection,
  type ConnectionInput,
  type Settings,
} from '../../../shared/schemas.ts';
import {
  PeriodicSnapshotTaskSchema,
  ReplicationTaskSchema,
  RunRecordSchema,
  type PeriodicSnapshotTask,
  type ReplicationTask,
  type ReplicationTaskInput,
  type RunRecord,
  assertRunnableTask,
} from '../../../shared/task-schemas.ts';

// One JSON file holds settings and saved connections. The desktop app opens it through electron-store, the
// CLI and the loopback bridge through conf (the library electron-store wraps), all with the options below,
// so the schema and the migrations are the same whoever opens it. conf writes atomically (temp file + rename).

export interface StoreData {
  settings: Settings;
  connections: Connection[];
  tasks: ReplicationTask[];
  snapshotTasks: PeriodicSnapshotTask[];
  /** Newest last; at most runsKeptPerTask per task. */
  runs: RunRecord[];
}

/** Version of the store file's layout (not of the app): bump it and add a migration when the layout changes. */
export const storeLayoutVersion = '1.1.0';

export const runsKeptPerTask = 50;

/** JSON Schema for conf's validator. Defaults are zod's business (applied when reading), and ajv's strict mode
 * refuses a `default` inside oneOf, so they are left out. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const withoutDefaults = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(withoutDefaults);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'default' && key !== '$schema').map(([key, value]) => [key, withoutDefaults(value)]));
  };
  return withoutDefaults(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })) as Record<string, unknown>;
}

export function storeOptions(cwd: string): Options<StoreData> {
  return {
    cwd,
    configName: 'config',
    projectName: 'zfs-replication-desktop',
    projectVersion: storeLayoutVersion,
    defaults: { settings: defaultSettings, connections: [], tasks: [], snapshotTasks: [], runs: [] },
    schema: {
      settings: jsonSchemaOf(SettingsSchema),
      connections: jsonSchemaOf(z.array(ConnectionSchema)),
      tasks: jsonSchemaOf(z.array(ReplicationTaskSchema)),
      snapshotTasks: jsonSchemaOf(z.array(PeriodicSnapshotTaskSchema)),
      runs: jsonSchemaOf(z.array(RunRecordSchema)),
    } as Options<StoreData>['schema'],
    migrations: {
      // Each step is keyed by the layout version it produces.
      '1.0.0': (store) => {
        if (!Array.isArray(store.get('connections'))) store.set('connections', []);
      },
      '1.1.0': (store) => {
        // Replication tasks, periodic snapshot tasks and run history arrive.
        for (const key of ['tasks', 'snapshotTasks', 'runs'] as const) if (!Array.isArray(store.get(key))) store.set(key, []);
      },
    },
    // Never wipe a file we cannot read: openAppStore moves it aside and says so.
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
    watch: false,
  };
}

export interface StoreRecovery {
  /** Where the unreadable file was moved. */
  movedTo: string;
  message: string;
}

/**
 * Opens the store with `open` (conf or electron-store); a file that is not valid JSON or breaks the schema is
 * renamed to `config.corrupt-<time>.json` beside it and a fresh store is opened, with a message for the user.
 */
export function openWithRecovery(
  open: () => Conf<StoreData>,
  filePath: string,
  now: () => Date = () => new Date(),
): { conf: Conf<StoreData>; recovery: StoreRecovery | null } {
  try {
    return { conf: open(), recovery: null };
  } catch (error) {
    if (!existsSync(filePath)) throw error;
    const stamp = now().toISOString().replace(/[:.]/g, '-');
    const movedTo = path.join(path.dirname(filePath), `${path.basename(filePath, '.json')}.corrupt-${stamp}.json`);
    renameSync(filePath, movedTo);
    const reason = error instanceof Error ? error.message : String(error);
    const message =
      `The settings file could not be read (${reason}). It was moved to ${movedTo} and the app started with ` +
      'empty settings. Nothing was deleted: to recover saved connections, fix that file and move it back while the app is closed.';
    return { conf: open(), recovery: { movedTo, message } };
  }
}

export class AppStore {
  readonly conf: Conf<StoreData>;
  readonly recovery: StoreRecovery | null;
  constructor(conf: Conf<StoreData>, recovery: StoreRecovery | null = null) {
    this.conf = conf;
    this.recovery = recovery;
  }

  get path(): string {
    return this.conf.path;
  }

  getSettings(): Settings {
    return SettingsSchema.parse(this.conf.get('settings'));
  }

  updateSettings(patch: Partial<Settings>): Settings {
    const next = SettingsSchema.parse({ ...this.getSettings(), ...patch });
    this.conf.set('settings', next);
    return next;
  }

  listConnections(): Connection[] {
    return z.array(ConnectionSchema).parse(this.conf.get('connections'));
  }

  saveConnection(input: ConnectionInput, now: Date = new Date()): Connection {
    const parsed = ConnectionInputSchema.parse(input);
    const connections = this.listConnections();
    const clash = connections.find((c) => c.name.toLowerCase() === parsed.name.toLowerCase() && c.id !== parsed.id);
    if (clash) {
      throw new AppFailure('CONFLICT', `A connection named "${clash.name}" already exists.`, 'Pick another name, or edit the existing connection.');
    }
    const stamp = now.toISOString();
    let saved: Connection;
    if (parsed.id !== undefined) {
      const index = connections.findIndex((c) => c.id === parsed.id);
      const existing = connections[index];
      if (!existing) throw new AppFailure('NOT_FOUND', 'That connection no longer exists.', 'Reload the list of connections.');
      // A new address is a new machine as far as trust goes: the pinned host key no longer applies.
      const sameEndpoint = existing.host === parsed.host && existing.port === parsed.port;
      saved = { ...existing, ...parsed, id: existing.id, hostKey: sameEndpoint ? existing.hostKey : null, updatedAt: stamp };
      connections[index] = saved;
    } else {
      saved = { ...parsed, id: randomUUID(), hostKey: null, createdAt: stamp, updatedAt: stamp };
      connections.push(saved);
    }
    this.conf.set('connections', connections);
    return saved;
  }

  getConnection(id: string): Connection {
    const connection = this.listConnections().find((c) => c.id === id);
    if (!connection) throw new AppFailure('NOT_FOUND', 'That NAS connection does not exist (any more).', 'Pick a saved connection, or add it under Connections.');
    return connection;
  }

  /** Records the host key the admin confirmed (see electron/services/ssh host-key trust). */
  pinHostKey(id: string, key: { type: string; sha256: string }, now: Date = new Date()): void {
    const connections = this.listConnections();
    const connection = connections.find((c) => c.id === id);
    if (!connection) throw new AppFailure('NOT_FOUND', 'That NAS connection does not exist (any more).');
    connection.hostKey = { type: key.type, sha256: key.sha256, pinnedAt: now.toISOString() };
    this.conf.set('connections', connections);
  }

  listTasks(): ReplicationTask[] {
    return z.array(ReplicationTaskSchema).parse(this.conf.get('tasks'));
  }

  getTask(idOrName: string): ReplicationTask {
    // The one task asked for is validated alone: a bad value in it (a hand-edited file) is refused by field and
    // value (INVALID_REQUEST), and a bad value in another task does not stop this one.
    const entries: unknown[] = this.conf.get('tasks') ?? [];
    const field = (entry: unknown, key: 'id' | 'name') => (entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)[key] : undefined);
    const entry =
      entries.find((t) => field(t, 'id') === idOrName) ?? entries.find((t) => typeof field(t, 'name') === 'string' && (field(t, 'name') as string).trim().toLowerCase() === idOrName.toLowerCase());
    if (entry === undefined) throw new AppFailure('NOT_FOUND', `There is no replication task "${idOrName}".`, 'List the tasks (zfs-replication list) and use a name or id from there.');
    return assertRunnableTask(entry);
  }

  saveTask(input: Omit<ReplicationTaskInput, 'id'> & { id?: string }): ReplicationTask {
    const task = ReplicationTaskSchema.parse({ ...input, id: input.id ?? randomUUID() });
    const connections = new Set(this.listConnections().map((c) => c.id));
    for (const id of [task.sourceConnectionId, task.destinationConnectionId]) {
      if (!connections.has(id)) throw new AppFailure('NOT_FOUND', 'The task names a NAS connection that does not exist.', 'Pick saved connections for the source and the destination.');
    }
    const tasks = this.listTasks();
    const clash = tasks.find((t) => t.name.toLowerCase() === task.name.toLowerCase() && t.id !== task.id);
    if (clash) throw new AppFailure('CONFLICT', `A task named "${clash.name}" already exists.`, 'Pick another name.');
    const index = tasks.findIndex((t) => t.id === task.id);
    if (index >= 0) tasks[index] = task;
    else tasks.push(task);
    this.conf.set('tasks', tasks);
    return task;
  }

  removeTask(id: string): boolean {
    const tasks = this.listTasks();
    const remaining = tasks.filter((t) => t.id !== id);
    if (remaining.length === tasks.length) return false;
    this.conf.set('tasks', remaining);
    this.conf.set('runs', this.listRuns().filter((r) => r.taskId !== id));
    return true;
  }

  listSnapshotTasks(): PeriodicSnapshotTask[] {
    return z.array(PeriodicSnapshotTaskSchema).parse(this.conf.get('snapshotTasks'));
  }

  getSnapshotTask(id: string): PeriodicSnapshotTask {
    const task = this.listSnapshotTasks().find((t) => t.id === id);
    if (!task) throw new AppFailure('NOT_FOUND', `There is no periodic snapshot task "${id}".`, 'List the periodic snapshot tasks and use an id from there.');
    return task;
  }

  saveSnapshotTask(input: Omit<PeriodicSnapshotTask, 'id'> & { id?: string }): PeriodicSnapshotTask {
    const task = PeriodicSnapshotTaskSchema.parse({ ...input, id: input.id ?? randomUUID() });
    this.getConnection(task.connectionId);
    const tasks = this.listSnapshotTasks();
    // An update keeps its place in the list.
    const index = tasks.findIndex((t) => t.id === task.id);
    if (index >= 0) tasks[index] = task;
    else tasks.push(task);
    this.conf.set('snapshotTasks', tasks);
    return task;
  }

  removeSnapshotTask(id: string): boolean {
    const tasks = this.listSnapshotTasks();
    const remaining = tasks.filter((t) => t.id !== id);
    this.conf.set('snapshotTasks', remaining);
    return remaining.length !== tasks.length;
  }

  listRuns(taskId?: string): RunRecord[] {
    const runs = z.array(RunRecordSchema).parse(this.conf.get('runs'));
    return taskId === undefined ? runs : runs.filter((r) => r.taskId === taskId);
  }

  /** Appends a run, keeping the newest runsKeptPerTask of its task. */
  recordRun(run: RunRecord): void {
    const checked = RunRecordSchema.parse(run);
    const runs = [...this.listRuns(), checked];
    const ofTask = runs.filter((r) => r.taskId === checked.taskId);
    const drop = new Set(ofTask.slice(0, Math.max(0, ofTask.length - runsKeptPerTask)).map((r) => r.id));
    this.conf.set('runs', runs.filter((r) => !drop.has(r.id)));
  }

  removeConnection(id: string): boolean {
    const inUse = this.listTasks().find((t) => t.sourceConnectionId === id || t.destinationConnectionId === id);
    if (inUse) throw new AppFailure('CONFLICT', `Replication task "${inUse.name}" uses this connection.`, 'Delete or change that task first.');
    const connections = this.listConnections();
    const remaining = connections.filter((c) => c.id !== id);
    if (remaining.length === connections.length) return false;
    this.conf.set('connections', remaining);
    return true;
  }
}
