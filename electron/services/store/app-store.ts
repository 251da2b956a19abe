import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { AppFailure } from '../../../shared/result.ts';
import { ConnectionInputSchema, SettingsSchema, type Connection, type ConnectionInput, type Settings } from '../../../shared/schemas.ts';
import { assertRunnableTask, PeriodicSnapshotTaskSchema, ReplicationTaskSchema, type PeriodicSnapshotTask, type ReplicationTask, type ReplicationTaskInput } from '../../../shared/task-schemas.ts';
import { withFileLockSync } from './file-lock.ts';
import { ensurePrivateDir, narrowMode, privateDirMode, privateFileMode, writePrivateFileAtomic } from './private-files.ts';
import { RunHistory, type RunHistoryInput } from './run-history.ts';
import { SecretStore, taskKeySecretName, type SecretSealer } from './secrets.ts';
import { emptyStoreData, readStoreFile, serializeStore, storeFileError, type RejectedEntry, type StoreData, type StoreFileRead } from './settings-file.ts';

// The app's settings folder, shared by the desktop app, the loopback bridge and the CLI (and, later, the daemon):
//   config.json             settings, connections, replication and periodic snapshot tasks (no secrets, no history)
//   secrets.json            stored task keys (sealed by the OS keychain in the desktop app): see secrets.ts
//   history/<task>.jsonl    run history per task: see run-history.ts
//   logs/, keys/            task logs, the app's SSH key
//   config.set-aside.json   entries of config.json that could not be used, kept with why
//   config.corrupt-*.json   a config.json that was not a JSON object at all, moved aside whole
// Folders are 0700 and files 0600. Every read-modify-write of config.json (and secrets.json) runs under one
// cross-process lock and re-reads the file inside it, so writers in different processes never lose each other's
// changes. Reads take no lock (writes replace the file by rename) and fall back to the last good content when the
// file is being edited into something unreadable.

export type { StoreData } from './settings-file.ts';
export { storeLayoutVersion } from './settings-file.ts';

export interface StoreRecovery {
  /** Where the unreadable file was moved. */
  movedTo: string;
  message: string;
}

export interface OpenAppStoreOptions {
  /** Electron's safeStorage, adapted (the desktop app only): stored secrets are sealed by the OS keychain. */
  sealer?: SecretSealer | null;
  now?: () => Date;
  /** Runs kept per task in the history. */
  historyKeep?: number;
}

type WarningListener = (message: string) => void;

const configFileName = 'config.json';
const setAsideFileName = 'config.set-aside.json';

function stampOf(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Identity of the file's current content without reading it: a write replaces the file (new inode). */
function fileStamp(file: string): string | null {
  try {
    const info = statSync(file);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return null;
  }
}

/** Opens (creating it when missing) the settings folder: fixes modes, migrates older layouts, sets bad entries aside. */
export function openAppStore(configDir: string, options: OpenAppStoreOptions = {}): AppStore {
  try {
    ensurePrivateDir(configDir);
  } catch (error) {
    throw storeFileError(configDir, error, 'settings folder');
  }
  const store = new AppStore(configDir, options);
  store.open();
  return store;
}

export class AppStore {
  readonly configDir: string;
  /** config.json */
  readonly path: string;
  readonly history: RunHistory;
  readonly secrets: SecretStore;
  readonly #now: () => Date;
  readonly #warnings: string[] = [];
  readonly #listeners = new Set<WarningListener>();
  #recovery: StoreRecovery | null = null;
  /** The last content read or written that was usable: what reads fall back to while the file is unreadable. */
  #good: { stamp: string | null; data: StoreData; extra: Record<string, unknown> } = { stamp: null, data: emptyStoreData(), extra: {} };
  /** The file version a warning was last given for, so a broken file is reported once, not at every read. */
  #warnedStamp: string | null = null;

  constructor(configDir: string, options: OpenAppStoreOptions = {}) {
    this.configDir = configDir;
    this.path = path.join(configDir, configFileName);
    this.history = new RunHistory(path.join(configDir, 'history'), options.historyKeep === undefined ? {} : { keep: options.historyKeep });
    this.secrets = new SecretStore(path.join(configDir, 'secrets.json'), options.sealer ?? null);
    this.#now = options.now ?? (() => new Date());
  }

  /** The file that was unreadable and moved aside (at open or later), or null. */
  get recovery(): StoreRecovery | null {
    return this.#recovery;
  }

  /** What opening the store had to say (a corrupt file moved aside, entries set aside, data migrated). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /** Warnings that arise later (the file edited into something unreadable while the app runs). */
  onWarning(listener: WarningListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    for (const listener of this.#listeners) listener(message);
  }

  /** Called once by openAppStore: migrates, sets aside, fixes modes; writes only when something changed. */
  open(): void {
    try {
      withFileLockSync(this.path, () => {
        const { data, extra, changed } = this.#loadForWrite();
        if (changed) this.#write(data, extra);
        else this.#good = { stamp: fileStamp(this.path), data, extra };
      }, { what: 'The settings file' });
    } catch (error) {
      if (!isPermissionError(error)) throw error;
      // Another user's settings, readable but not writable (a monitoring account): read them, change nothing.
      this.#read();
      this.#warn(`The settings folder ${this.configDir} is read-only for this user: settings can be read but not saved.`);
      return;
    }
    this.#fixModes();
  }

  // ---- reading and writing the file --------------------------------------------------------------------------

  /** The current content, read without a lock (cached while the file is unchanged). */
  #read(): StoreData {
    const stamp = fileStamp(this.path);
    if (stamp !== null && stamp === this.#good.stamp) return this.#good.data;
    let read: StoreFileRead;
    try {
      read = readStoreFile(this.path);
    } catch (error) {
      this.#warnOnce(stamp, `${(error as Error).message} The app keeps using the settings it last read.`);
      return this.#good.data;
    }
    if (read.kind === 'missing') return emptyStoreData();
    if (read.kind === 'corrupt') {
      this.#warnOnce(
        stamp,
        `The settings file ${this.path} cannot be read (${read.reason}). The app keeps using the settings it last read; ` +
          'fix the file, or save a change in the app to move the broken file aside and write the last good settings.',
      );
      return this.#good.data;
    }
    if (read.rejected.length > 0) {
      this.#warnOnce(stamp, `${read.rejected.map((r) => `${r.label} in the settings file cannot be used (${r.reason})`).join('; ')}. It is left out, and set aside in ${path.join(this.configDir, setAsideFileName)} at the next save.`);
    }
    this.#good = { stamp, data: read.data, extra: read.extra };
    return read.data;
  }

  #warnOnce(stamp: string | null, message: string): void {
    if (stamp !== null && stamp === this.#warnedStamp) return;
    this.#warnedStamp = stamp;
    this.#warn(message);
  }

  /**
   * With the lock held: the file's content to change and write back. A file that is not a JSON object is moved aside
   * (the last good content carries on); unusable entries go to the side file; history and keys left in the file by
   * an older version move out to their own files.
   */
  #loadForWrite(): { data: StoreData; extra: Record<string, unknown>; changed: boolean } {
    let read = readStoreFile(this.path);
    if (read.kind === 'corrupt') {
      // An editor may be writing the file this instant (truncate, then write): look again before acting.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
      read = readStoreFile(this.path);
    }
    if (read.kind === 'missing') return { data: emptyStoreData(), extra: {}, changed: true };
    if (read.kind === 'corrupt') {
      this.#moveCorruptAside(read.reason);
      return { data: structuredClone(this.#good.data), extra: this.#good.extra, changed: true };
    }
    let changed = read.differsFromFile;
    if (read.rejected.length > 0) this.#setAside(read.rejected);
    if (read.legacyRuns.length > 0) this.#migrateRuns(read.legacyRuns);
    for (const task of read.data.tasks) {
      if (task.encryption.kind === 'encrypt-on-destination' && task.encryption.key !== undefined) {
        // A key in the settings file (layout 1.x, or written there by hand) moves to the secrets store.
        try {
          this.secrets.set(taskKeySecretName(task.id), task.encryption.key);
        } catch (error) {
          // The secrets file cannot take it now: the key stays where it was rather than being lost.
          this.#warn(`The key of task "${task.name}" is still in the settings file: ${(error as Error).message}`);
          continue;
        }
        delete task.encryption.key;
        changed = true;
      }
    }
    return { data: read.data, extra: read.extra, changed };
  }

  #write(data: StoreData, extra: Record<string, unknown>): void {
    try {
      writePrivateFileAtomic(this.path, serializeStore(data, extra));
    } catch (error) {
      throw storeFileError(this.path, error);
    }
    this.#good = { stamp: fileStamp(this.path), data, extra };
  }

  /** Runs `change` on the current content under the cross-process lock and writes the result. */
  #update<T>(change: (data: StoreData) => T): T {
    try {
      return withFileLockSync(this.path, () => {
        const { data, extra } = this.#loadForWrite();
        const result = change(data);
        this.#write(data, extra);
        return result;
      }, { what: 'The settings file' });
    } catch (error) {
      throw isPermissionError(error) ? storeFileError(this.configDir, error, 'settings folder') : error;
    }
  }

  #moveCorruptAside(reason: string): void {
    const movedTo = path.join(this.configDir, `config.corrupt-${stampOf(this.#now())}.json`);
    renameSync(this.path, movedTo);
    narrowMode(movedTo, privateFileMode);
    const hadSettings = this.#good.stamp !== null;
    const message =
      `The settings file could not be read (${reason}). It was moved to ${movedTo} and the app carried on with ` +
      `${hadSettings ? 'the settings it last read' : 'empty settings'}. Nothing was deleted: to recover what it held, fix that file and move it back while the app is closed.`;
    this.#recovery = { movedTo, message };
    this.#warn(message);
  }

  #setAside(rejected: RejectedEntry[]): void {
    const file = path.join(this.configDir, setAsideFileName);
    const at = this.#now().toISOString();
    let kept: unknown[] = [];
    let target = file;
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { entries?: unknown }).entries)) kept = (parsed as { entries: unknown[] }).entries;
      else target = path.join(this.configDir, `config.set-aside-${stampOf(this.#now())}.json`);
    } catch (error) {
      // Missing: start it. Unreadable: never overwrite what it holds; write a new one beside it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') target = path.join(this.configDir, `config.set-aside-${stampOf(this.#now())}.json`);
    }
    const entries = [...kept, ...rejected.map((r) => ({ setAsideAt: at, from: r.key, label: r.label, reason: r.reason, value: r.value }))];
    writePrivateFileAtomic(
      target,
      `${JSON.stringify({ note: 'Entries of config.json that could not be used, with why. Fix one and put it back into config.json while the app is closed.', entries }, null, '\t')}\n`,
    );
    for (const entry of rejected) {
      this.#warn(
        entry.key.startsWith('settings')
          ? `${entry.label} in the settings file was not valid (${entry.reason}); its value was kept in ${target}.`
          : `${entry.label} in the settings file cannot be used (${entry.reason}). It was set aside in ${target}; everything else loaded. Fix it there and put it back into config.json while the app is closed, or create it again.`,
      );
    }
  }

  #migrateRuns(legacy: unknown[]): void {
    const byTask = new Map<string, RunHistoryInput[]>();
    for (const run of legacy) {
      const taskId = (run as { taskId?: unknown } | null)?.taskId;
      if (typeof taskId !== 'string') continue;
      byTask.set(taskId, [...(byTask.get(taskId) ?? []), run as RunHistoryInput]);
    }
    let moved = 0;
    for (const [taskId, runs] of byTask) {
      try {
        moved += this.history.merge(taskId, runs);
      } catch {
        // A run record the history cannot take (not a task id, a broken record) is dropped with the old layout.
      }
    }
    if (moved > 0) this.#warnings.push(`Moved ${moved} run(s) of history from the settings file to ${this.history.dir}.`);
  }

  #fixModes(): void {
    narrowMode(this.configDir, privateDirMode);
    narrowMode(this.path, privateFileMode);
    this.secrets.fixMode();
    this.history.fixModes();
    for (const sub of ['logs', 'keys']) {
      const dir = path.join(this.configDir, sub);
      if (!narrowMode(dir, privateDirMode)) continue;
      for (const name of safeReaddir(dir)) narrowMode(path.join(dir, name), privateFileMode);
    }
    for (const name of safeReaddir(this.configDir)) {
      if (/^config\.(corrupt|set-aside)[-.]/.test(name)) narrowMode(path.join(this.configDir, name), privateFileMode);
    }
  }

  // ---- secrets -----------------------------------------------------------------------------------------------

  /** The task as the engine needs it: with its stored key, when it has one this program can open. */
  #withKey(task: ReplicationTask): ReplicationTask {
    if (task.encryption.kind !== 'encrypt-on-destination' || task.encryption.key !== undefined) return task;
    const secret = this.secrets.get(taskKeySecretName(task.id));
    return secret.state === 'found' ? { ...task, encryption: { ...task.encryption, key: secret.value } } : task;
  }

  /** Keeps the key of a saved task in the secrets store (or forgets it); the task itself is stored without it. */
  #storeKeyOf(task: ReplicationTask): ReplicationTask {
    const name = taskKeySecretName(task.id);
    if (task.encryption.kind !== 'encrypt-on-destination') {
      this.secrets.delete(name);
      return task;
    }
    const { key, ...encryption } = task.encryption;
    if (key !== undefined) this.secrets.set(name, key);
    // A key this program cannot open (sealed by the desktop app's keychain) is kept: the form here could not show it.
    else if (this.secrets.get(name).state !== 'unavailable') this.secrets.delete(name);
    return { ...task, encryption };
  }

  // ---- settings and connections ------------------------------------------------------------------------------

  getSettings(): Settings {
    return { ...this.#read().settings };
  }

  updateSettings(patch: Partial<Settings>): Settings {
    return this.#update((data) => {
      data.settings = SettingsSchema.parse({ ...data.settings, ...patch });
      return { ...data.settings };
    });
  }

  listConnections(): Connection[] {
    return structuredClone(this.#read().connections);
  }

  saveConnection(input: ConnectionInput, now: Date = new Date()): Connection {
    const parsed = ConnectionInputSchema.parse(input);
    return this.#update((data) => {
      const connections = data.connections;
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
      return structuredClone(saved);
    });
  }

  getConnection(id: string): Connection {
    const connection = this.#read().connections.find((c) => c.id === id);
    if (!connection) throw new AppFailure('NOT_FOUND', 'That NAS connection does not exist (any more).', 'Pick a saved connection, or add it under Connections.');
    return structuredClone(connection);
  }

  /** Records the host key the admin confirmed (see electron/services/ssh host-key trust). */
  pinHostKey(id: string, key: { type: string; sha256: string }, now: Date = new Date()): void {
    this.#update((data) => {
      const connection = data.connections.find((c) => c.id === id);
      if (!connection) throw new AppFailure('NOT_FOUND', 'That NAS connection does not exist (any more).');
      connection.hostKey = { type: key.type, sha256: key.sha256, pinnedAt: now.toISOString() };
    });
  }

  removeConnection(id: string): boolean {
    return this.#update((data) => {
      const inUse = data.tasks.find((t) => t.sourceConnectionId === id || t.destinationConnectionId === id);
      if (inUse) throw new AppFailure('CONFLICT', `Replication task "${inUse.name}" uses this connection.`, 'Delete or change that task first.');
      const before = data.connections.length;
      data.connections = data.connections.filter((c) => c.id !== id);
      return data.connections.length !== before;
    });
  }

  // ---- replication tasks ---------------------------------------------------------------------------------------

  /** Tasks with their stored keys (the engine and the task form need them; they never reach config.json). */
  listTasks(): ReplicationTask[] {
    return this.#read().tasks.map((task) => this.#withKey(structuredClone(task)));
  }

  getTask(idOrName: string): ReplicationTask {
    const tasks = this.#read().tasks;
    const task = tasks.find((t) => t.id === idOrName) ?? tasks.find((t) => t.name.toLowerCase() === idOrName.toLowerCase());
    if (!task) {
      // A task the file holds but that cannot be used (edited by hand into bad values): refused by field and value.
      this.#refuseUnusableTask(idOrName);
      throw new AppFailure('NOT_FOUND', `There is no replication task "${idOrName}".`, 'List the tasks (zfs-replication list) and use a name or id from there.');
    }
    return this.#withKey(structuredClone(task));
  }

  /**
   * Throws INVALID_REQUEST naming each bad field when this task is one of the entries that could not be used (still
   * in config.json, or already set aside): "there is no task" would send the admin looking for the wrong thing.
   */
  #refuseUnusableTask(idOrName: string): void {
    const candidates: unknown[] = [];
    // Oldest first: what was set aside earlier, then what config.json holds now.
    try {
      const aside: unknown = JSON.parse(readFileSync(path.join(this.configDir, setAsideFileName), 'utf8'));
      const entries = (aside as { entries?: unknown } | null)?.entries;
      if (Array.isArray(entries)) candidates.push(...entries.filter((e) => (e as { from?: unknown } | null)?.from === 'tasks').map((e) => (e as { value: unknown }).value));
    } catch {
      // No side file.
    }
    try {
      const read = readStoreFile(this.path);
      if (read.kind === 'ok') candidates.push(...read.rejected.filter((r) => r.key === 'tasks').map((r) => r.value));
    } catch {
      // Unreadable now: nothing more to say than "not found".
    }
    const field = (value: unknown, key: 'id' | 'name') => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);
    const newestFirst = candidates.reverse();
    const entry =
      newestFirst.find((value) => field(value, 'id') === idOrName) ??
      newestFirst.find((value) => typeof field(value, 'name') === 'string' && (field(value, 'name') as string).trim().toLowerCase() === idOrName.toLowerCase());
    if (entry !== undefined) assertRunnableTask(entry);
  }

  saveTask(input: Omit<ReplicationTaskInput, 'id'> & { id?: string }): ReplicationTask {
    const task = ReplicationTaskSchema.parse({ ...input, id: input.id ?? randomUUID() });
    return this.#update((data) => {
      const connections = new Set(data.connections.map((c) => c.id));
      for (const id of [task.sourceConnectionId, task.destinationConnectionId]) {
        if (!connections.has(id)) throw new AppFailure('NOT_FOUND', 'The task names a NAS connection that does not exist.', 'Pick saved connections for the source and the destination.');
      }
      const clash = data.tasks.find((t) => t.name.toLowerCase() === task.name.toLowerCase() && t.id !== task.id);
      if (clash) throw new AppFailure('CONFLICT', `A task named "${clash.name}" already exists.`, 'Pick another name.');
      const stored = this.#storeKeyOf(task);
      const index = data.tasks.findIndex((t) => t.id === task.id);
      if (index >= 0) data.tasks[index] = stored;
      else data.tasks.push(stored);
      return task;
    });
  }

  /** Deletes a task with its stored key and its run history (its log file stays, for the record). */
  removeTask(id: string): boolean {
    const removed = this.#update((data) => {
      const before = data.tasks.length;
      data.tasks = data.tasks.filter((t) => t.id !== id);
      if (data.tasks.length === before) return false;
      try {
        this.secrets.delete(taskKeySecretName(id));
      } catch (error) {
        // An unreadable secrets file must not keep a task from being deleted; its key stays in that file.
        this.#warn(`The stored key of the deleted task could not be removed: ${(error as Error).message}`);
      }
      return true;
    });
    if (removed) this.history.remove(id);
    return removed;
  }

  // ---- periodic snapshot tasks ---------------------------------------------------------------------------------

  listSnapshotTasks(): PeriodicSnapshotTask[] {
    return structuredClone(this.#read().snapshotTasks);
  }

  getSnapshotTask(id: string): PeriodicSnapshotTask {
    const task = this.#read().snapshotTasks.find((t) => t.id === id);
    if (!task) throw new AppFailure('NOT_FOUND', `There is no periodic snapshot task "${id}".`, 'List the periodic snapshot tasks and use an id from there.');
    return structuredClone(task);
  }

  saveSnapshotTask(input: Omit<PeriodicSnapshotTask, 'id'> & { id?: string }): PeriodicSnapshotTask {
    const task = PeriodicSnapshotTaskSchema.parse({ ...input, id: input.id ?? randomUUID() });
    return this.#update((data) => {
      if (!data.connections.some((c) => c.id === task.connectionId)) {
        throw new AppFailure('NOT_FOUND', 'That NAS connection does not exist (any more).', 'Pick a saved connection, or add it under Connections.');
      }
      // An update keeps its place in the list.
      const index = data.snapshotTasks.findIndex((t) => t.id === task.id);
      if (index >= 0) data.snapshotTasks[index] = task;
      else data.snapshotTasks.push(task);
      return task;
    });
  }

  removeSnapshotTask(id: string): boolean {
    return this.#update((data) => {
      const before = data.snapshotTasks.length;
      data.snapshotTasks = data.snapshotTasks.filter((t) => t.id !== id);
      return data.snapshotTasks.length !== before;
    });
  }
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
