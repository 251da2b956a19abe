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

// One JSON file holds settings and saved connections. The desktop app opens it through electron-store, the
// CLI and the loopback bridge through conf (the library electron-store wraps), all with the options below,
// so the schema and the migrations are the same whoever opens it. conf writes atomically (temp file + rename).

export interface StoreData {
  settings: Settings;
  connections: Connection[];
}

/** Version of the store file's layout (not of the app): bump it and add a migration when the layout changes. */
export const storeLayoutVersion = '1.0.0';

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export function storeOptions(cwd: string): Options<StoreData> {
  return {
    cwd,
    configName: 'config',
    projectName: 'zfs-replication-desktop',
    projectVersion: storeLayoutVersion,
    defaults: { settings: defaultSettings, connections: [] },
    schema: {
      settings: jsonSchemaOf(SettingsSchema),
      connections: jsonSchemaOf(z.array(ConnectionSchema)),
    } as Options<StoreData>['schema'],
    migrations: {
      // The first layout. Later layouts add their step here, keyed by the layout version they produce.
      '1.0.0': (store) => {
        if (!Array.isArray(store.get('connections'))) store.set('connections', []);
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

  removeConnection(id: string): boolean {
    const connections = this.listConnections();
    const remaining = connections.filter((c) => c.id !== id);
    if (remaining.length === connections.length) return false;
    this.conf.set('connections', remaining);
    return true;
  }
}
