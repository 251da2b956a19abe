import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { AppFailure } from '../../../shared/result.ts';
import { ConnectionSchema, SettingsSchema, defaultSettings, type Connection, type Settings } from '../../../shared/schemas.ts';
import { PeriodicSnapshotTaskSchema, ReplicationTaskSchema, type PeriodicSnapshotTask, type ReplicationTask } from '../../../shared/task-schemas.ts';

// The settings file (config.json) as text in and text out: parsing it entry by entry, so that one entry an admin
// wrote by hand (or an older version wrote) costs that entry alone. Defaults apply on read (a task written without
// `properties` loads with the defaults); an entry that is truly invalid is returned in `rejected`, with why, for the
// store to set aside in a side file. Only a file that is not a JSON object at all counts as corrupt.

/** Version of the file's layout (not of the app). 2.0.0: run history and secrets moved out to their own files. */
export const storeLayoutVersion = '2.0.0';

export interface StoreData {
  settings: Settings;
  connections: Connection[];
  tasks: ReplicationTask[];
  snapshotTasks: PeriodicSnapshotTask[];
}

export const collectionKeys = ['connections', 'tasks', 'snapshotTasks'] as const;
export type CollectionKey = (typeof collectionKeys)[number];

export function emptyStoreData(): StoreData {
  return { settings: { ...defaultSettings }, connections: [], tasks: [], snapshotTasks: [] };
}

/** One entry that could not be used, as it was in the file. */
export interface RejectedEntry {
  /** Where it was: "tasks", "connections", "snapshotTasks", "settings.theme", … */
  key: string;
  /** How the admin recognises it: its name, id, or position. */
  label: string;
  /** Why, in the schema's words ("sources: Invalid input: expected array, received undefined"). */
  reason: string;
  value: unknown;
}

export type StoreFileRead =
  | { kind: 'missing' }
  | { kind: 'corrupt'; reason: string; text: string }
  | {
      kind: 'ok';
      data: StoreData;
      rejected: RejectedEntry[];
      /** The run history of layout 1.x, still in the file until the store moves it out. */
      legacyRuns: unknown[];
      /** Top-level keys this version does not know (a newer version's), kept as they are on every write. */
      extra: Record<string, unknown>;
      version: string | null;
      /** True when writing `data` back would change the file (defaults filled in, old layout, entries to set aside). */
      differsFromFile: boolean;
    };

const knownKeys = new Set<string>(['settings', ...collectionKeys, 'runs', '__internal__']);

const entrySchemas = {
  connections: ConnectionSchema,
  tasks: ReplicationTaskSchema,
  snapshotTasks: PeriodicSnapshotTaskSchema,
} satisfies Record<CollectionKey, z.ZodType>;

const collectionNouns: Record<CollectionKey, string> = { connections: 'Connection', tasks: 'Replication task', snapshotTasks: 'Periodic snapshot task' };

/** The issues of a failed parse on one line: "sources: expected array, received undefined; name: …". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
}

function labelOf(key: CollectionKey, value: unknown, index: number): string {
  const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const name = typeof record.name === 'string' && record.name.trim() !== '' ? `"${record.name}"` : null;
  const id = typeof record.id === 'string' ? record.id : null;
  const what = key === 'snapshotTasks' && typeof record.dataset === 'string' ? `of ${record.dataset}` : null;
  return `${collectionNouns[key]} ${name ?? what ?? (id ? `id ${id}` : `#${index + 1}`)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Each setting on its own: a bad one falls back to its default, the others stay. */
function readSettings(value: unknown, rejected: RejectedEntry[]): Settings {
  if (value === undefined) return { ...defaultSettings };
  if (!isPlainObject(value)) {
    rejected.push({ key: 'settings', label: 'The settings', reason: 'not an object', value });
    return { ...defaultSettings };
  }
  const settings: Record<string, unknown> = { ...defaultSettings };
  for (const [field, schema] of Object.entries(SettingsSchema.shape) as Array<[keyof Settings, z.ZodType]>) {
    if (value[field] === undefined) continue;
    const parsed = schema.safeParse(value[field]);
    if (parsed.success) settings[field] = parsed.data;
    else rejected.push({ key: `settings.${field}`, label: `The setting "${field}"`, reason: `${describeIssues(parsed.error)} (the default ${JSON.stringify(defaultSettings[field])} applies)`, value: value[field] });
  }
  return SettingsSchema.parse(settings);
}

function readCollection<K extends CollectionKey>(key: K, value: unknown, rejected: RejectedEntry[]): Array<z.output<(typeof entrySchemas)[K]>> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    rejected.push({ key, label: `The list of ${key}`, reason: `not a list (${typeof value})`, value });
    return [];
  }
  const entries: Array<z.output<(typeof entrySchemas)[K]>> = [];
  const ids = new Set<string>();
  value.forEach((entry, index) => {
    const parsed = entrySchemas[key].safeParse(entry);
    if (!parsed.success) {
      rejected.push({ key, label: labelOf(key, entry, index), reason: describeIssues(parsed.error), value: entry });
      return;
    }
    const id = (parsed.data as { id: string }).id;
    if (ids.has(id)) {
      rejected.push({ key, label: labelOf(key, entry, index), reason: `id ${id} is used by an earlier entry`, value: entry });
      return;
    }
    ids.add(id);
    entries.push(parsed.data as z.output<(typeof entrySchemas)[K]>);
  });
  return entries;
}

export function serializeStore(data: StoreData, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ ...extra, ...data, __internal__: { migrations: { version: storeLayoutVersion } } }, null, '\t')}\n`;
}

export function parseStoreText(text: string): StoreFileRead {
  // An empty file holds nothing to lose (a crash while it was created): it reads as a new store.
  if (text.trim() === '') return { kind: 'ok', data: emptyStoreData(), rejected: [], legacyRuns: [], extra: {}, version: null, differsFromFile: true };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'corrupt', reason: `not valid JSON: ${(error as Error).message}`, text };
  }
  if (!isPlainObject(raw)) {
    return { kind: 'corrupt', reason: `it holds ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`} where an object with settings, connections and tasks belongs`, text };
  }
  const rejected: RejectedEntry[] = [];
  const data: StoreData = {
    settings: readSettings(raw.settings, rejected),
    connections: readCollection('connections', raw.connections, rejected),
    tasks: readCollection('tasks', raw.tasks, rejected),
    snapshotTasks: readCollection('snapshotTasks', raw.snapshotTasks, rejected),
  };
  const extra = Object.fromEntries(Object.entries(raw).filter(([key]) => !knownKeys.has(key)));
  const internal = raw.__internal__;
  const version = isPlainObject(internal) && isPlainObject(internal.migrations) && typeof internal.migrations.version === 'string' ? internal.migrations.version : null;
  const legacyRuns = Array.isArray(raw.runs) ? raw.runs : [];
  const differsFromFile = serializeStore(data, extra) !== text;
  return { kind: 'ok', data, rejected, legacyRuns, extra, version, differsFromFile };
}

/** Reads and parses the settings file; a path that is not a readable file is a clear error, not a stack trace. */
export function readStoreFile(file: string): StoreFileRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    throw storeFileError(file, error);
  }
  return parseStoreText(text);
}

/** An error opening or writing a store path, in words: a folder where the file belongs, no permission, a file as the folder. */
export function storeFileError(file: string, error: unknown, what = 'settings file'): AppFailure {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EISDIR'
      ? (what.endsWith('folder') ? 'it is not a folder' : 'it is a folder, not a file')
      : code === 'EEXIST'
        ? 'it is a file, not a folder'
        : code === 'ENOTDIR'
        ? 'a part of its path is a file, not a folder'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (error as Error).message;
  return new AppFailure('STORE_CORRUPT', `Cannot use the ${what} ${file}: ${reason}.`, 'Point ZRD_CONFIG_DIR at a folder of yours (or fix that path), then try again.', { path: file, reason: code ?? 'unknown' });
}
