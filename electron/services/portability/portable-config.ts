import { isDeepStrictEqual } from 'node:util';
import {
  PortableConnectionSchema,
  SnapshotTaskFileSchema,
  TaskFileSchema,
  portableConfigFormat,
  snapshotTaskName,
  type ImportItem,
  type ImportItemKind,
  type ImportPlan,
  type ImportResult,
  type PortableConfig,
  type PortableConnection,
  type SnapshotTaskFile,
  type TaskFile,
} from '../../../shared/portable-config.ts';
import { AppFailure, toAppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { PeriodicSnapshotTaskSchema, ReplicationTaskSchema, type PeriodicSnapshotTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import type { AppStore } from '../store/app-store.ts';

// Export and import of connections and tasks as one file (shared/portable-config.ts). Identity is by name, as the admin
// sees it: an entry whose name exists here with different content is a conflict, shown before anything is written and
// replaced only when the admin names it. Nothing secret crosses: no private key, no password, no encryption key.

const placeholderId = '00000000-0000-4000-8000-000000000000';

function byName<T extends { name: string }>(items: readonly T[], name: string): T | undefined {
  const wanted = name.trim().toLowerCase();
  return items.find((item) => item.name.toLowerCase() === wanted);
}

/** A connection as the file carries it. */
export function portableConnection(connection: Connection): PortableConnection {
  return PortableConnectionSchema.parse({
    name: connection.name,
    host: connection.host,
    port: connection.port,
    username: connection.username,
    auth: connection.auth,
    privilege: connection.privilege,
    hostKey: connection.hostKey,
  });
}

/** A replication task as the file carries it: connections by name, and never its encryption key. */
export function taskFileOf(task: ReplicationTask, connectionName: (id: string) => string): TaskFile {
  const { id: _id, sourceConnectionId, destinationConnectionId, ...rest } = task;
  const encryption = rest.encryption.kind === 'encrypt-on-destination' ? { kind: rest.encryption.kind, keyFormat: rest.encryption.keyFormat } : rest.encryption;
  return TaskFileSchema.parse({ ...rest, encryption, sourceConnection: connectionName(sourceConnectionId), destinationConnection: connectionName(destinationConnectionId) });
}

export function snapshotTaskFileOf(task: PeriodicSnapshotTask, connectionName: (id: string) => string): SnapshotTaskFile {
  const { id: _id, connectionId, ...rest } = task;
  return SnapshotTaskFileSchema.parse({ ...rest, connection: connectionName(connectionId) });
}

function nameResolver(connections: readonly Connection[]): (id: string) => string {
  return (id) => connections.find((c) => c.id === id)?.name ?? id;
}

export function exportConfig(store: AppStore, now: Date = new Date()): PortableConfig {
  const connections = store.listConnections();
  const nameOf = nameResolver(connections);
  return {
    format: portableConfigFormat,
    version: 1,
    exportedAt: now.toISOString(),
    connections: connections.map(portableConnection),
    tasks: store.listTasks().map((task) => taskFileOf(task, nameOf)),
    snapshotTasks: store.listSnapshotTasks().map((task) => snapshotTaskFileOf(task, nameOf)),
  };
}

/** Which top-level fields differ (for the conflict list); empty when the two are the same. */
function differences(mine: Record<string, unknown>, theirs: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  return [...keys].filter((key) => !isDeepStrictEqual(comparable(key, mine[key]), comparable(key, theirs[key]))).sort();
}

/** A pin's time is when it was confirmed, not what was confirmed. */
function comparable(key: string, value: unknown): unknown {
  if (key === 'hostKey' && value && typeof value === 'object') {
    const { type, sha256 } = value as { type: string; sha256: string };
    return { type, sha256 };
  }
  return value;
}

interface Resolved {
  /** Names of the connections the document brings or that exist here (lower case). */
  connectionNames: Set<string>;
}

/** Resolves a task's connection reference: a name in the file or here, or an id here. */
function resolveConnection(reference: string, store: AppStore, resolved: Resolved): string | null {
  const lower = reference.trim().toLowerCase();
  if (resolved.connectionNames.has(lower)) return reference.trim();
  const byId = store.listConnections().find((c) => c.id === reference.trim());
  return byId ? byId.name : null;
}

function planItem(kind: ImportItemKind, name: string, status: ImportItem['status'], diff: string[] = [], problem: string | null = null): ImportItem {
  return { kind, name, status, differences: diff, problem };
}

/** The stored-task check, without saving: the same schema the store applies, with stand-in ids. */
function taskProblem(task: TaskFile): string | null {
  const { sourceConnection: _s, destinationConnection: _d, ...rest } = task;
  const parsed = ReplicationTaskSchema.safeParse({ ...rest, id: placeholderId, sourceConnectionId: placeholderId, destinationConnectionId: placeholderId });
  return parsed.success ? null : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'task'}: ${issue.message}`).join('; ');
}

function snapshotTaskProblem(task: SnapshotTaskFile): string | null {
  const { connection: _c, ...rest } = task;
  const parsed = PeriodicSnapshotTaskSchema.safeParse({ ...rest, id: placeholderId, connectionId: placeholderId });
  return parsed.success ? null : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'task'}: ${issue.message}`).join('; ');
}

/** What importing `document` would do here: every entry with add / same / conflict / invalid, and the notes. */
export function planImport(store: AppStore, document: PortableConfig): ImportPlan {
  const connections = store.listConnections();
  const nameOf = nameResolver(connections);
  const items: ImportItem[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const duplicate = (kind: ImportItemKind, name: string) => {
    const key = `${kind}:${name.toLowerCase()}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  };

  for (const incoming of document.connections) {
    if (duplicate('connection', incoming.name)) {
      items.push(planItem('connection', incoming.name, 'invalid', [], 'The file names this connection twice; only the first is imported.'));
      continue;
    }
    const existing = byName(connections, incoming.name);
    if (!existing) {
      items.push(planItem('connection', incoming.name, 'add'));
      if (incoming.auth.kind === 'app-key') notes.push(`${incoming.name}: install this computer's app key on the NAS (zfs-replication connection install-key ${incoming.name}); keys are never exported.`);
      if (incoming.auth.kind === 'key-file') notes.push(`${incoming.name}: the key file ${incoming.auth.keyPath} must exist on this computer (keys are never exported).`);
      if (!incoming.hostKey) notes.push(`${incoming.name}: its host key is not pinned; confirm it (zfs-replication connection trust ${incoming.name} --fingerprint SHA256:…).`);
      continue;
    }
    const diff = differences(portableConnection(existing), incoming);
    items.push(planItem('connection', incoming.name, diff.length === 0 ? 'same' : 'conflict', diff));
  }

  const resolved: Resolved = { connectionNames: new Set([...connections.map((c) => c.name.toLowerCase()), ...document.connections.map((c) => c.name.toLowerCase())]) };
  const existingTasks = store.listTasks();
  for (const incoming of document.tasks) {
    if (duplicate('task', incoming.name)) {
      items.push(planItem('task', incoming.name, 'invalid', [], 'The file names this task twice; only the first is imported.'));
      continue;
    }
    const missing = [incoming.sourceConnection, incoming.destinationConnection].filter((ref) => resolveConnection(ref, store, resolved) === null);
    const problem = missing.length > 0 ? `No connection named ${missing.map((m) => `"${m}"`).join(' or ')} here or in the file.` : taskProblem(incoming);
    if (problem) {
      items.push(planItem('task', incoming.name, 'invalid', [], problem));
      continue;
    }
    const normalized = { ...incoming, sourceConnection: resolveConnection(incoming.sourceConnection, store, resolved)!, destinationConnection: resolveConnection(incoming.destinationConnection, store, resolved)! };
    const existing = byName(existingTasks, incoming.name);
    if (incoming.encryption.kind === 'encrypt-on-destination') notes.push(`${incoming.name}: its encryption key is not in the file; give it at each run or store it in the task.`);
    if (!existing) {
      items.push(planItem('task', incoming.name, 'add'));
      continue;
    }
    const mine = taskFileOf(existing, nameOf);
    const diff = differences(lowerConnections(mine), lowerConnections(normalized));
    items.push(planItem('task', incoming.name, diff.length === 0 ? 'same' : 'conflict', diff));
  }

  const existingSnapshotTasks = store.listSnapshotTasks().map((task) => snapshotTaskFileOf(task, nameOf));
  for (const incoming of document.snapshotTasks) {
    const name = snapshotTaskName(incoming.connection, incoming.dataset);
    if (duplicate('snapshotTask', name)) {
      items.push(planItem('snapshotTask', name, 'invalid', [], 'The file has two periodic snapshot tasks for this dataset; only the first is imported.'));
      continue;
    }
    const connection = resolveConnection(incoming.connection, store, resolved);
    const problem = connection === null ? `No connection named "${incoming.connection}" here or in the file.` : snapshotTaskProblem(incoming);
    if (problem) {
      items.push(planItem('snapshotTask', name, 'invalid', [], problem));
      continue;
    }
    const existing = existingSnapshotTasks.find((t) => t.connection.toLowerCase() === connection!.toLowerCase() && t.dataset === incoming.dataset);
    if (!existing) {
      items.push(planItem('snapshotTask', name, 'add'));
      continue;
    }
    const diff = differences(lowerConnections(existing), lowerConnections({ ...incoming, connection: connection! }));
    items.push(planItem('snapshotTask', name, diff.length === 0 ? 'same' : 'conflict', diff));
  }
  return { items, notes };
}

/** Connection names compare without case (as the store's name clash check does). */
function lowerConnections<T extends Record<string, unknown>>(value: T): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...value };
  for (const key of ['sourceConnection', 'destinationConnection', 'connection']) {
    if (typeof copy[key] === 'string') copy[key] = (copy[key] as string).toLowerCase();
  }
  return copy;
}

export interface ApplyImportOptions {
  /** The conflicting entries to replace (by kind and name); every other conflict is skipped. */
  replace: ReadonlyArray<{ kind: ImportItemKind; name: string }>;
  dryRun: boolean;
}

/** The connection ids whose address or login changed (their pooled SSH connections must be dropped). */
export interface ApplyImportOutcome {
  result: ImportResult;
  changedConnectionIds: string[];
}

/**
 * Imports `document`: adds what is new, leaves what is the same, and replaces a conflicting entry only when `replace`
 * names it. A replaced entry keeps its id here, so tasks that use a replaced connection, and a replaced task's run
 * history, carry on. Entries are written one by one; one that fails is reported and the others still go in.
 */
export function applyImport(store: AppStore, document: PortableConfig, options: ApplyImportOptions): ApplyImportOutcome {
  const plan = planImport(store, document);
  const wanted = new Set(options.replace.map((ref) => `${ref.kind}:${ref.name.toLowerCase()}`));
  // Naming an entry the file does not have is a typo to report; naming one that is already the same is harmless.
  const unknown = options.replace.filter((ref) => !plan.items.some((item) => item.kind === ref.kind && item.name.toLowerCase() === ref.name.toLowerCase()));
  if (unknown.length > 0) {
    throw new AppFailure(
      'INVALID_REQUEST',
      `Nothing to replace by ${unknown.map((ref) => `${ref.kind} "${ref.name}"`).join(', ')}: the file has no entry of that name.`,
      'Name entries as the import plan lists them (a periodic snapshot task as CONNECTION:DATASET).',
    );
  }
  const applied: ImportResult['applied'] = [];
  const changedConnectionIds: string[] = [];
  const statusOf = (kind: ImportItemKind, name: string) => plan.items.find((item) => item.kind === kind && item.name.toLowerCase() === name.toLowerCase());
  const decide = (kind: ImportItemKind, name: string): 'add' | 'replace' | 'skip' | 'same' | 'invalid' => {
    const item = statusOf(kind, name);
    if (!item || item.status === 'invalid') return 'invalid';
    if (item.status === 'same') return 'same';
    if (item.status === 'add') return 'add';
    return wanted.has(`${kind}:${name.toLowerCase()}`) ? 'replace' : 'skip';
  };
  const record = (kind: ImportItemKind, name: string, action: ImportResult['applied'][number]['action'], problem: string | null = null) => applied.push({ kind, name, action, problem });
  const attempt = (kind: ImportItemKind, name: string, action: 'added' | 'replaced', write: () => void) => {
    if (options.dryRun) return record(kind, name, action);
    try {
      write();
      record(kind, name, action);
    } catch (error) {
      record(kind, name, 'failed', toAppError(error).message);
    }
  };
  const firstOnly = new Set<string>();
  const isFirst = (kind: ImportItemKind, name: string) => {
    const key = `${kind}:${name.toLowerCase()}`;
    if (firstOnly.has(key)) return false;
    firstOnly.add(key);
    return true;
  };

  for (const incoming of document.connections) {
    if (!isFirst('connection', incoming.name)) continue;
    const decision = decide('connection', incoming.name);
    if (decision === 'invalid') record('connection', incoming.name, 'failed', statusOf('connection', incoming.name)?.problem ?? 'Cannot be imported.');
    else if (decision === 'same') record('connection', incoming.name, 'unchanged');
    else if (decision === 'skip') record('connection', incoming.name, 'skipped');
    else {
      const existing = byName(store.listConnections(), incoming.name);
      attempt('connection', incoming.name, decision === 'add' ? 'added' : 'replaced', () => {
        const { hostKey, ...input } = incoming;
        const saved = store.saveConnection({ ...input, ...(decision === 'replace' && existing ? { id: existing.id } : {}) });
        if (hostKey) store.pinHostKey(saved.id, hostKey, new Date(Number.isNaN(Date.parse(hostKey.pinnedAt)) ? Date.now() : Date.parse(hostKey.pinnedAt)));
        changedConnectionIds.push(saved.id);
      });
    }
  }

  const connectionId = (reference: string): string => {
    const connections = store.listConnections();
    const found = byName(connections, reference) ?? connections.find((c) => c.id === reference.trim());
    if (!found) throw new AppFailure('NOT_FOUND', `There is no connection "${reference}".`, 'Import or add the connection first.');
    return found.id;
  };
  for (const incoming of document.tasks) {
    if (!isFirst('task', incoming.name)) continue;
    const decision = decide('task', incoming.name);
    if (decision === 'invalid') record('task', incoming.name, 'failed', statusOf('task', incoming.name)?.problem ?? 'Cannot be imported.');
    else if (decision === 'same') record('task', incoming.name, 'unchanged');
    else if (decision === 'skip') record('task', incoming.name, 'skipped');
    else {
      attempt('task', incoming.name, decision === 'add' ? 'added' : 'replaced', () => {
        const existing = decision === 'replace' ? store.getTask(incoming.name) : null;
        const task = taskFromFile(incoming, connectionId, existing?.id);
        // The file never carries a key: a replaced task keeps the key stored here, or the replica could not be read.
        if (existing?.encryption.kind === 'encrypt-on-destination' && existing.encryption.key !== undefined && task.encryption.kind === 'encrypt-on-destination') {
          task.encryption = { ...task.encryption, key: existing.encryption.key };
        }
        store.saveTask(task);
      });
    }
  }

  for (const incoming of document.snapshotTasks) {
    const name = snapshotTaskName(incoming.connection, incoming.dataset);
    if (!isFirst('snapshotTask', name)) continue;
    const decision = decide('snapshotTask', name);
    if (decision === 'invalid') record('snapshotTask', name, 'failed', statusOf('snapshotTask', name)?.problem ?? 'Cannot be imported.');
    else if (decision === 'same') record('snapshotTask', name, 'unchanged');
    else if (decision === 'skip') record('snapshotTask', name, 'skipped');
    else {
      attempt('snapshotTask', name, decision === 'add' ? 'added' : 'replaced', () => {
        const id = connectionId(incoming.connection);
        const existing = decision === 'replace' ? store.listSnapshotTasks().find((t) => t.connectionId === id && t.dataset === incoming.dataset) : undefined;
        store.saveSnapshotTask(snapshotTaskFromFile(incoming, connectionId, existing?.id));
      });
    }
  }
  return { result: { ...plan, applied, dryRun: options.dryRun }, changedConnectionIds };
}

/** A task file as the store's task (connection names resolved to ids); `id` to update an existing task. */
export function taskFromFile(file: TaskFile, connectionId: (reference: string) => string, id?: string): Omit<ReplicationTask, 'id'> & { id?: string } {
  const { sourceConnection, destinationConnection, ...rest } = file;
  return { ...rest, sourceConnectionId: connectionId(sourceConnection), destinationConnectionId: connectionId(destinationConnection), ...(id === undefined ? {} : { id }) };
}

export function snapshotTaskFromFile(file: SnapshotTaskFile, connectionId: (reference: string) => string, id?: string): Omit<PeriodicSnapshotTask, 'id'> & { id?: string } {
  const { connection, ...rest } = file;
  return { ...rest, connectionId: connectionId(connection), ...(id === undefined ? {} : { id }) };
}
