import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAppStore } from '../../../../../electron/services/store/app-store.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import type { SecretSealer } from '../../../../../electron/services/store/secrets.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { defaultSettings } from '../../../../../shared/schemas.ts';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-store-'));
  dir = path.join(root, 'settings');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const nas = { name: 'nas-a', host: '10.0.0.5', port: 22 };
const modeOf = (file: string) => statSync(file).mode & 0o777;
const rawConfig = () => JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
const ids = {
  a: '0b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a',
  b: '1b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a',
  task: '2b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a',
  bad: '3b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a',
};
const connection = (id: string, name: string) => ({
  id, name, host: `${name}.example`, port: 22, username: 'root', auth: { kind: 'app-key' }, privilege: 'root', hostKey: null, createdAt: 'x', updatedAt: 'x',
});
/** A task as an admin writes it by hand: only the fields without defaults. */
const handWrittenTask = (id: string, name: string) => ({
  id, name, sourceConnectionId: ids.a, destinationConnectionId: ids.b, sources: [{ name: 'tank/docs' }], destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' },
});
const writeConfig = (content: unknown) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
};

describe('AppStore (the settings folder the app, the bridge and the CLI share)', () => {
  it('starts with default settings and no connections, in config.json', () => {
    const store = openConfStore(dir);
    expect(store.path).toBe(path.join(dir, 'config.json'));
    expect(store.getSettings()).toEqual(defaultSettings);
    expect(store.listConnections()).toEqual([]);
    expect(store.recovery).toBeNull();
    expect(store.warnings).toEqual([]);
  });

  it('saves, edits and removes connections; a second opener sees the same data', () => {
    const store = openConfStore(dir);
    const saved = store.saveConnection(nas, new Date('2026-11-22T10:00:00Z'));
    expect(saved).toMatchObject({ name: 'nas-a', username: 'root', privilege: 'root', auth: { kind: 'app-key' }, hostKey: null });
    expect(saved.createdAt).toBe('2026-11-22T10:00:00.000Z');
    expect(openConfStore(dir).listConnections()).toEqual([saved]);

    const edited = store.saveConnection({ ...nas, id: saved.id, username: 'admin', privilege: 'sudo' });
    expect(edited.id).toBe(saved.id);
    expect(edited.createdAt).toBe(saved.createdAt);
    expect(openConfStore(dir).listConnections()[0]).toMatchObject({ username: 'admin', privilege: 'sudo' });

    expect(store.removeConnection(saved.id)).toBe(true);
    expect(store.removeConnection(saved.id)).toBe(false);
    expect(openConfStore(dir).listConnections()).toEqual([]);
  });

  it('sees what another opener wrote since (no stale cache)', () => {
    const one = openConfStore(dir);
    const two = openConfStore(dir);
    expect(one.listConnections()).toEqual([]);
    two.saveConnection(nas);
    expect(one.listConnections().map((c) => c.name)).toEqual(['nas-a']);
    one.saveConnection({ ...nas, name: 'nas-b' });
    expect(two.listConnections().map((c) => c.name)).toEqual(['nas-a', 'nas-b']);
  });

  it('drops the pinned host key when the address changes', () => {
    const store = openConfStore(dir);
    const saved = store.saveConnection(nas);
    store.pinHostKey(saved.id, { type: 'ssh-ed25519', sha256: 'SHA256:abc' });
    expect(store.saveConnection({ ...nas, id: saved.id, name: 'renamed' }).hostKey).toMatchObject({ sha256: 'SHA256:abc' });
    expect(store.saveConnection({ ...nas, id: saved.id, host: '10.0.0.6' }).hostKey).toBeNull();
  });

  it('refuses a duplicate name with CONFLICT and keeps the store unchanged', () => {
    const store = openConfStore(dir);
    store.saveConnection(nas);
    const before = readFileSync(store.path, 'utf8');
    try {
      store.saveConnection({ ...nas, name: 'NAS-A', host: 'other' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).appError.code).toBe('CONFLICT');
    }
    expect(store.listConnections()).toHaveLength(1);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('updates settings through the schema', () => {
    const store = openConfStore(dir);
    expect(store.updateSettings({ theme: 'dark' })).toEqual({ ...defaultSettings, theme: 'dark' });
    expect(() => store.updateSettings({ connectTimeoutSeconds: 1 })).toThrow();
    expect(openConfStore(dir).getSettings().theme).toBe('dark');
    // What a caller does with the object it got does not reach the store.
    store.getSettings().theme = 'light';
    expect(store.getSettings().theme).toBe('dark');
  });

  it('writes atomically: no temporary file or lock is left beside config.json', () => {
    const store = openConfStore(dir);
    for (let i = 0; i < 20; i++) store.saveConnection({ ...nas, name: `nas-${i}` });
    expect(readdirSync(dir).sort()).toEqual(['config.json']);
    expect((rawConfig().connections as unknown[]).length).toBe(20);
  });

  it('records the layout version it wrote', () => {
    openConfStore(dir).saveConnection(nas);
    expect(rawConfig().__internal__).toEqual({ migrations: { version: '2.0.0' } });
  });

  it('migrates a 1.0.0 file: connections kept, tasks added', () => {
    writeConfig({ settings: { theme: 'dark', connectTimeoutSeconds: 20 }, connections: [connection(ids.a, 'old')], __internal__: { migrations: { version: '1.0.0' } } });
    const store = openConfStore(dir);
    expect(store.recovery).toBeNull();
    expect(store.listConnections()).toEqual([connection(ids.a, 'old')]);
    expect(store.listTasks()).toEqual([]);
    expect(rawConfig().__internal__).toEqual({ migrations: { version: '2.0.0' } });
  });

  it('keeps top-level keys it does not know (a newer version wrote them)', () => {
    writeConfig({ settings: { theme: 'dark', connectTimeoutSeconds: 20 }, connections: [], futureThing: { a: 1 } });
    openConfStore(dir).saveConnection(nas);
    expect(rawConfig().futureThing).toEqual({ a: 1 });
  });

  it('stores tasks that name saved connections and finds them by name or id', () => {
    const store = openConfStore(dir);
    const a = store.saveConnection({ name: 'a', host: 'a' });
    const b = store.saveConnection({ name: 'b', host: 'b' });
    const input = {
      name: 'Docs to B', sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: b.id,
      destinationParent: 'backup/replicas', transport: { kind: 'relay' as const }, selection: { kind: 'all' as const },
    };
    const task = store.saveTask(input);
    expect(task).toMatchObject({ retries: 2, destinationReadonly: true, destinationLifetime: { kind: 'same-as-source' }, sources: [{ recursive: false, exclude: [] }] });
    expect(store.getTask('docs to b').id).toBe(task.id);
    expect(() => store.getTask('nope')).toThrow('There is no replication task "nope"');
    expect(() => store.saveTask({ ...input, sourceConnectionId: ids.a })).toThrow('does not exist');
    expect(() => store.removeConnection(a.id)).toThrow('uses this connection');
  });

  it('deleting a task deletes its run history and its stored key', () => {
    const store = openConfStore(dir);
    const a = store.saveConnection({ name: 'a', host: 'a' });
    const b = store.saveConnection({ name: 'b', host: 'b' });
    const task = store.saveTask({
      name: 't', sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: b.id, destinationParent: 'backup',
      transport: { kind: 'relay' }, selection: { kind: 'all' }, encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key: 'correct horse' },
    });
    store.history.append({ id: crypto.randomUUID(), taskId: task.id, startedAt: 'x', finishedAt: 'x', result: 'FINISHED', by: 'cli', bytesSent: 1, snapshotsSent: 1, datasets: [], error: null });
    expect(store.history.list(task.id)).toHaveLength(1);
    expect(readFileSync(store.secrets.path, 'utf8')).toContain('correct horse');
    expect(store.removeTask(task.id)).toBe(true);
    expect(store.removeTask(task.id)).toBe(false);
    expect(store.history.list(task.id)).toEqual([]);
    expect(readFileSync(store.secrets.path, 'utf8')).not.toContain('correct horse');
  });
});

describe('a settings file that cannot be read at all', () => {
  for (const [label, content] of [
    ['not JSON', '{"settings": {"theme": "dark",'],
    ['a list at the top', '[]'],
    ['null at the top', 'null'],
    ['a string at the top', '"settings"'],
  ] as const) {
    it(`is moved aside whole (${label}), never overwritten, and the message says where`, () => {
      writeConfig(content);
      const store = openConfStore(dir);
      expect(store.recovery).not.toBeNull();
      const moved = readdirSync(dir).filter((name) => name.startsWith('config.corrupt-'));
      expect(moved).toHaveLength(1);
      expect(readFileSync(path.join(dir, moved[0]!), 'utf8')).toBe(content);
      expect(modeOf(path.join(dir, moved[0]!))).toBe(0o600);
      expect(store.recovery!.movedTo).toBe(path.join(dir, moved[0]!));
      expect(store.recovery!.message).toContain(moved[0]!);
      expect(store.recovery!.message).toContain('Nothing was deleted');
      expect(store.warnings).toContain(store.recovery!.message);
      // The fresh store works.
      expect(store.getSettings().theme).toBe('system');
      store.saveConnection(nas);
      expect(openConfStore(dir).listConnections()).toHaveLength(1);
    });
  }

  it('an empty file (a crash while it was created) reads as a new store', () => {
    writeConfig('');
    const store = openConfStore(dir);
    expect(store.recovery).toBeNull();
    expect(store.listConnections()).toEqual([]);
  });

  it('a settings path that is a file, or a config.json that is a folder, is a clear error', () => {
    writeFileSync(path.join(root, 'plain-file'), 'x');
    expect(() => openConfStore(path.join(root, 'plain-file'))).toThrow(`Cannot use the settings folder ${path.join(root, 'plain-file')}: it is a file, not a folder.`);
    mkdirSync(path.join(dir, 'config.json'), { recursive: true });
    try {
      openConfStore(dir);
      expect.unreachable();
    } catch (error) {
      expect((error as AppFailure).appError).toMatchObject({ code: 'STORE_CORRUPT', message: `Cannot use the settings file ${path.join(dir, 'config.json')}: it is a folder, not a file.` });
    }
  });
});

describe('one imperfect entry costs that entry only', () => {
  it('a hand-written task without the fields that have defaults loads with their defaults', () => {
    writeConfig({ connections: [connection(ids.a, 'a'), connection(ids.b, 'b')], tasks: [handWrittenTask(ids.task, 'by hand')] });
    const store = openConfStore(dir);
    expect(store.warnings).toEqual([]);
    expect(store.getTask('by hand')).toMatchObject({
      properties: { replicate: true, exclude: [], override: {} }, encryption: { kind: 'as-source' }, compression: 'none', schedule: { kind: 'manual' }, retries: 2,
    });
    expect(store.getSettings()).toEqual(defaultSettings);
  });

  it('a truly invalid entry is set aside alone, named with why; every other connection and task loads', () => {
    const bad = { ...handWrittenTask(ids.bad, 'broken'), sources: 'tank/docs' };
    const badConnection = { ...connection(ids.bad, 'weird'), port: 'twenty-two' };
    writeConfig({
      settings: { theme: 'sepia', connectTimeoutSeconds: 30 },
      connections: [connection(ids.a, 'a'), badConnection, connection(ids.b, 'b')],
      tasks: [handWrittenTask(ids.task, 'good'), bad],
      snapshotTasks: 'many',
    });
    const store = openConfStore(dir);
    expect(store.recovery).toBeNull();
    expect(store.listConnections().map((c) => c.name)).toEqual(['a', 'b']);
    expect(store.listTasks().map((t) => t.name)).toEqual(['good']);
    expect(store.listSnapshotTasks()).toEqual([]);
    expect(store.getSettings()).toEqual({ ...defaultSettings, connectTimeoutSeconds: 30 });

    const sideFile = path.join(dir, 'config.set-aside.json');
    const warnings = store.warnings.join('\n');
    expect(warnings).toContain(`Replication task "broken" in the settings file cannot be used (sources: `);
    expect(warnings).toContain(`Connection "weird" in the settings file cannot be used (port: `);
    expect(warnings).toContain('The list of snapshotTasks');
    expect(warnings).toContain('The setting "theme" in the settings file was not valid');
    expect(warnings).toContain(sideFile);

    const side = JSON.parse(readFileSync(sideFile, 'utf8')) as { entries: Array<{ from: string; label: string; reason: string; value: unknown }> };
    expect(side.entries.map((e) => [e.from, e.label])).toEqual([
      ['settings.theme', 'The setting "theme"'],
      ['connections', 'Connection "weird"'],
      ['tasks', 'Replication task "broken"'],
      ['snapshotTasks', 'The list of snapshotTasks'],
    ]);
    expect(side.entries[2]!.value).toEqual(bad);
    expect(side.entries[2]!.reason).toMatch(/^sources: /);
    expect(modeOf(sideFile)).toBe(0o600);

    // config.json keeps the good entries only; a later set-aside adds to the side file, never replaces it.
    expect((rawConfig().tasks as Array<{ name: string }>).map((t) => t.name)).toEqual(['good']);
    const config = rawConfig();
    writeConfig({ ...config, tasks: [...(config.tasks as unknown[]), { ...bad, name: 'broken again' }] });
    const again = openConfStore(dir);
    expect(again.listTasks().map((t) => t.name)).toEqual(['good']);
    expect((JSON.parse(readFileSync(sideFile, 'utf8')) as { entries: unknown[] }).entries).toHaveLength(5);
  });

  it('two entries with one id: the second is set aside', () => {
    writeConfig({ connections: [connection(ids.a, 'a'), connection(ids.a, 'copy')] });
    const store = openConfStore(dir);
    expect(store.listConnections().map((c) => c.name)).toEqual(['a']);
    expect(store.warnings.join()).toContain(`id ${ids.a} is used by an earlier entry`);
  });
});

describe('the file edited into something unreadable while the app runs', () => {
  it('reads keep the last good state and warn once; the next save moves the broken file aside and writes', () => {
    const store = openConfStore(dir);
    const saved = store.saveConnection(nas);
    const later: string[] = [];
    store.onWarning((message) => later.push(message));

    writeFileSync(store.path, '{"connections": [');
    expect(store.listConnections()).toEqual([saved]);
    expect(store.getConnection(saved.id).name).toBe('nas-a');
    expect(store.listTasks()).toEqual([]);
    expect(later).toHaveLength(1);
    expect(later[0]).toContain('keeps using the settings it last read');

    store.saveConnection({ ...nas, name: 'nas-b' });
    const moved = readdirSync(dir).filter((name) => name.startsWith('config.corrupt-'));
    expect(moved).toHaveLength(1);
    expect(readFileSync(path.join(dir, moved[0]!), 'utf8')).toBe('{"connections": [');
    expect(store.recovery?.movedTo).toBe(path.join(dir, moved[0]!));
    expect(openConfStore(dir).listConnections().map((c) => c.name)).toEqual(['nas-a', 'nas-b']);
  });

  it('a bad entry added by hand while running is left out of reads, and set aside at the next save', () => {
    const store = openConfStore(dir);
    const a = store.saveConnection({ name: 'a', host: 'a' });
    const config = rawConfig();
    writeFileSync(store.path, JSON.stringify({ ...config, connections: [...(config.connections as unknown[]), { name: 'half' }] }));
    expect(store.listConnections().map((c) => c.id)).toEqual([a.id]);
    expect(store.warnings.at(-1)).toContain('Connection "half"');
    store.saveConnection({ name: 'b', host: 'b' });
    expect((rawConfig().connections as Array<{ name: string }>).map((c) => c.name)).toEqual(['a', 'b']);
    expect(readFileSync(path.join(dir, 'config.set-aside.json'), 'utf8')).toContain('"half"');
  });
});

describe('file modes and older layouts', () => {
  it('creates the folder 0700 and every file 0600', () => {
    const store = openConfStore(dir);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(store.path)).toBe(0o600);
    const a = store.saveConnection({ name: 'a', host: 'a' });
    const task = store.saveTask({
      name: 't', sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: a.id, destinationParent: 'backup',
      transport: { kind: 'relay' }, selection: { kind: 'all' }, encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key: 'correct horse' },
    });
    store.history.append({ id: crypto.randomUUID(), taskId: task.id, startedAt: 'x', finishedAt: 'x', result: 'FINISHED', by: 'cli', bytesSent: 1, snapshotsSent: 1, datasets: [], error: null });
    expect(modeOf(store.path)).toBe(0o600);
    expect(modeOf(store.secrets.path)).toBe(0o600);
    expect(modeOf(store.history.dir)).toBe(0o700);
    expect(modeOf(store.history.fileOf(task.id))).toBe(0o600);
  });

  it('migrates a 1.1.0 folder on open: history and keys move out of config.json, modes are narrowed', () => {
    const key = 'correct horse battery staple';
    const run = (n: number) => ({
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, taskId: ids.task, startedAt: `2026-01-01T00:00:0${n}.000Z`, finishedAt: `2026-01-01T00:00:1${n}.000Z`,
      result: 'FINISHED', by: 'app', bytesSent: 1000 * n, snapshotsSent: 1, datasets: [], error: null,
    });
    writeConfig({
      settings: { theme: 'dark', connectTimeoutSeconds: 20 },
      connections: [connection(ids.a, 'a'), connection(ids.b, 'b')],
      tasks: [{ ...handWrittenTask(ids.task, 'encrypted'), encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key } }],
      snapshotTasks: [],
      runs: [run(1), run(2), { taskId: 'not-a-task' }, { ...run(3), id: 'not-a-uuid' }],
      __internal__: { migrations: { version: '1.1.0' } },
    });
    for (const sub of ['logs', 'keys']) mkdirSync(path.join(dir, sub), { mode: 0o755 });
    writeFileSync(path.join(dir, 'logs', `${ids.task}.log`), 'old log\n', { mode: 0o644 });
    writeFileSync(path.join(dir, 'keys', 'id_ed25519.pub'), 'ssh-ed25519 AAAA\n', { mode: 0o644 });
    chmodSync(path.join(dir, 'config.json'), 0o644);
    chmodSync(dir, 0o755);

    const store = openConfStore(dir);
    const raw = readFileSync(store.path, 'utf8');
    expect(raw).not.toContain(key);
    expect(raw).not.toContain('"runs"');
    expect(JSON.parse(raw).tasks[0].encryption).toEqual({ kind: 'encrypt-on-destination', keyFormat: 'passphrase' });
    // The engine still gets the key, from the secrets file.
    expect(store.getTask('encrypted').encryption).toEqual({ kind: 'encrypt-on-destination', keyFormat: 'passphrase', key });
    expect(JSON.parse(readFileSync(store.secrets.path, 'utf8')).secrets[`task/${ids.task}/encryption-key`]).toEqual({ sealed: 'none', value: key });

    const runs = store.history.list(ids.task);
    expect(runs.map((r) => [r.bytesSent, r.durationMs, r.bytesPerSecond])).toEqual([[1000, 10_000, 100], [2000, 10_000, 200]]);
    expect(store.warnings.join()).toContain('Moved 2 run(s) of history');

    for (const file of [dir, path.join(dir, 'logs'), path.join(dir, 'keys'), store.history.dir]) expect(modeOf(file)).toBe(0o700);
    for (const file of [store.path, store.secrets.path, path.join(dir, 'logs', `${ids.task}.log`), path.join(dir, 'keys', 'id_ed25519.pub'), store.history.fileOf(ids.task)]) {
      expect(modeOf(file)).toBe(0o600);
    }
    // Opening again changes nothing more (the migration is done once).
    const before = readFileSync(store.path, 'utf8');
    expect(openConfStore(dir).warnings).toEqual([]);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
    expect(openConfStore(dir).history.list(ids.task)).toHaveLength(2);
  });
});

describe('stored task keys', () => {
  /** Stands in for Electron's safeStorage: reversible, and visibly not the plain text. */
  const fakeKeychain: SecretSealer = {
    available: () => true,
    seal: (plain) => Buffer.from(`sealed:${Buffer.from(plain).toString('hex')}`),
    unseal: (sealed) => Buffer.from(sealed.toString().replace(/^sealed:/, ''), 'hex').toString(),
  };
  const key = 'correct horse battery staple';

  function saveEncrypted(store: ReturnType<typeof openConfStore>, withKey: boolean) {
    const a = store.listConnections()[0] ?? store.saveConnection({ name: 'a', host: 'a' });
    const existing = store.listTasks()[0];
    return store.saveTask({
      ...(existing ? { id: existing.id } : {}),
      name: 'enc', sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: a.id, destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' },
      encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', ...(withKey ? { key } : {}) },
    });
  }

  it('never go into config.json; without a keychain they live in the 0600 secrets file', () => {
    const store = openConfStore(dir);
    const task = saveEncrypted(store, true);
    expect(task.encryption).toMatchObject({ key });
    expect(readFileSync(store.path, 'utf8')).not.toContain(key);
    expect(store.secrets.backend).toBe('file');
    expect(readFileSync(store.secrets.path, 'utf8')).toContain(key);
    expect(openConfStore(dir).getTask('enc').encryption).toMatchObject({ key });
    expect(openConfStore(dir).listTasks()[0]!.encryption).toMatchObject({ key });
    // Saved again without a key: the admin chose not to keep it.
    saveEncrypted(store, false);
    expect(store.getTask('enc').encryption).not.toHaveProperty('key');
    expect(readFileSync(store.secrets.path, 'utf8')).not.toContain(key);
  });

  it('with the OS keychain they are sealed by it; a program without the keychain cannot read them and keeps them', () => {
    const app = openAppStore(dir, { sealer: fakeKeychain });
    expect(app.secrets.backend).toBe('os-keychain');
    saveEncrypted(app, true);
    const onDisk = readFileSync(app.secrets.path, 'utf8');
    expect(onDisk).not.toContain(key);
    expect(onDisk).toContain('"sealed": "os-keychain"');
    expect(app.getTask('enc').encryption).toMatchObject({ key });

    const cli = openConfStore(dir);
    expect(cli.secrets.get(`task/${cli.getTask('enc').id}/encryption-key`)).toMatchObject({ state: 'unavailable' });
    expect(cli.getTask('enc').encryption).not.toHaveProperty('key');
    // The bridge's form could not show the key; saving the task there must not lose it.
    saveEncrypted(cli, false);
    expect(openAppStore(dir, { sealer: fakeKeychain }).getTask('enc').encryption).toMatchObject({ key });
  });

  it('an unreadable secrets file is never overwritten: a key to migrate stays where it was, a task still deletes', () => {
    writeConfig({
      connections: [connection(ids.a, 'a'), connection(ids.b, 'b')],
      tasks: [{ ...handWrittenTask(ids.task, 'encrypted'), encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key } }],
    });
    writeFileSync(path.join(dir, 'secrets.json'), 'not json');
    const store = openConfStore(dir);
    expect(store.warnings.join()).toContain('The key of task "encrypted" is still in the settings file');
    expect(store.getTask('encrypted').encryption).toMatchObject({ key });
    expect(readFileSync(store.secrets.path, 'utf8')).toBe('not json');
    expect(() => saveEncrypted(store, true)).toThrow(`The secrets file ${store.secrets.path} cannot be read`);
    expect(store.removeTask(ids.task)).toBe(true);
    expect(store.warnings.at(-1)).toContain('could not be removed');
    expect(readFileSync(store.secrets.path, 'utf8')).toBe('not json');
  });

  it('a task switched to as-source forgets its key', () => {
    const store = openConfStore(dir);
    const task = saveEncrypted(store, true);
    store.saveTask({ ...task, encryption: { kind: 'as-source' } });
    expect(store.secrets.get(`task/${task.id}/encryption-key`)).toEqual({ state: 'absent' });
  });
});
