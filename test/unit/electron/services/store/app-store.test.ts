import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import { AppFailure } from '../../../../../shared/result.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const nas = { name: 'nas-a', host: '10.0.0.5', port: 22 };

describe('AppStore over conf (the file the CLI, the bridge and the app share)', () => {
  it('starts with default settings and no connections, in config.json', () => {
    const store = openConfStore(dir);
    expect(store.path).toBe(path.join(dir, 'config.json'));
    expect(store.getSettings()).toEqual({ theme: 'system', connectTimeoutSeconds: 20 });
    expect(store.listConnections()).toEqual([]);
    expect(store.recovery).toBeNull();
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

  it('drops the pinned host key when the address changes', () => {
    const store = openConfStore(dir);
    const saved = store.saveConnection(nas);
    const connections = store.listConnections();
    connections[0]!.hostKey = { type: 'ssh-ed25519', sha256: 'SHA256:abc', pinnedAt: 'x' };
    store.conf.set('connections', connections);
    expect(store.saveConnection({ ...nas, id: saved.id, name: 'renamed' }).hostKey).not.toBeNull();
    expect(store.saveConnection({ ...nas, id: saved.id, host: '10.0.0.6' }).hostKey).toBeNull();
  });

  it('refuses a duplicate name with CONFLICT and keeps the store unchanged', () => {
    const store = openConfStore(dir);
    store.saveConnection(nas);
    try {
      store.saveConnection({ ...nas, name: 'NAS-A', host: 'other' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).appError.code).toBe('CONFLICT');
    }
    expect(store.listConnections()).toHaveLength(1);
  });

  it('updates settings through the schema', () => {
    const store = openConfStore(dir);
    expect(store.updateSettings({ theme: 'dark' })).toEqual({ theme: 'dark', connectTimeoutSeconds: 20 });
    expect(() => store.updateSettings({ connectTimeoutSeconds: 1 })).toThrow();
    expect(openConfStore(dir).getSettings().theme).toBe('dark');
  });

  it('writes atomically: no temporary file is left beside config.json', () => {
    const store = openConfStore(dir);
    for (let i = 0; i < 20; i++) store.saveConnection({ ...nas, name: `nas-${i}` });
    expect(readdirSync(dir).sort()).toEqual(['config.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).connections).toHaveLength(20);
  });

  it('records the layout version it migrated to', () => {
    openConfStore(dir).saveConnection(nas);
    const raw = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(raw.__internal__.migrations.version).toBe('1.1.0');
  });

  it('migrates a 1.0.0 file: connections kept, tasks and run history added', () => {
    const connection = {
      id: '0b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a', name: 'old', host: 'nas', port: 22, username: 'root',
      auth: { kind: 'app-key' }, privilege: 'root', hostKey: null, createdAt: 'x', updatedAt: 'x',
    };
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ settings: { theme: 'dark', connectTimeoutSeconds: 20 }, connections: [connection], __internal__: { migrations: { version: '1.0.0' } } }),
    );
    const store = openConfStore(dir);
    expect(store.recovery).toBeNull();
    expect(store.listConnections()).toEqual([connection]);
    expect(store.listTasks()).toEqual([]);
    expect(store.listRuns()).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).__internal__.migrations.version).toBe('1.1.0');
  });

  it('stores tasks that name saved connections, finds them by name or id, and keeps run history bounded', () => {
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
    expect(() => store.saveTask({ ...input, sourceConnectionId: '0b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a' })).toThrow('does not exist');
    expect(() => store.removeConnection(a.id)).toThrow('uses this connection');

    for (let i = 0; i < 55; i++) {
      store.recordRun({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, taskId: task.id, startedAt: `t${i}`, finishedAt: `t${i}`, result: 'FINISHED',
        by: 'cli', bytesSent: i, snapshotsSent: 1, datasets: [], error: null,
      });
    }
    const runs = openConfStore(dir).listRuns(task.id);
    expect(runs).toHaveLength(50);
    expect(runs[0]!.bytesSent).toBe(5);
    expect(store.removeTask(task.id)).toBe(true);
    expect(store.listRuns()).toEqual([]);
  });

  for (const [label, content] of [
    ['not JSON', '{"settings": {"theme": "dark",'],
    ['JSON that breaks the schema', JSON.stringify({ settings: { theme: 'sepia', connectTimeoutSeconds: 20 }, connections: 'many' })],
  ] as const) {
    it(`moves a corrupt file aside (${label}), keeps its bytes, and says where`, () => {
      writeFileSync(path.join(dir, 'config.json'), content);
      const store = openConfStore(dir);
      expect(store.recovery).not.toBeNull();
      const moved = readdirSync(dir).filter((name) => name.startsWith('config.corrupt-'));
      expect(moved).toHaveLength(1);
      expect(readFileSync(path.join(dir, moved[0]!), 'utf8')).toBe(content);
      expect(store.recovery!.movedTo).toBe(path.join(dir, moved[0]!));
      expect(store.recovery!.message).toContain(moved[0]!);
      expect(store.recovery!.message).toContain('Nothing was deleted');
      // The fresh store works.
      expect(store.getSettings().theme).toBe('system');
      store.saveConnection(nas);
      expect(openConfStore(dir).listConnections()).toHaveLength(1);
    });
  }
});
