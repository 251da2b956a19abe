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
    expect(raw.__internal__.migrations.version).toBe('1.0.0');
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
