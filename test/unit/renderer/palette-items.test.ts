import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shortcuts } from '../../../electron/services/desktop/app-menu.ts';
import { datasetsPerNas, keyCommandOf, paletteItems, paletteScore, paletteShortcuts, shortcutLabel } from '../../../renderer/app/palette/palette-items.ts';
import { ReplicationTaskSchema } from '../../../shared/task-schemas.ts';
import type { Connection } from '../../../shared/schemas.ts';

// The command palette's entries (Ctrl/Cmd+K): views, NAS, tasks (run or stop), datasets, and the menu's commands
// with the same shortcuts as the menu.

const nas = (name: string): Connection => ({ id: randomUUID(), name, host: `${name}.lan`, port: 22, username: 'root', auth: { kind: 'app-key' }, privilege: 'root', hostKey: null, createdAt: '', updatedAt: '' });
const a = nas('nas-a');
const b = nas('nas-b');
const task = (name: string) =>
  ReplicationTaskSchema.parse({ id: randomUUID(), name, sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: b.id, destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' } });

describe('paletteItems', () => {
  const docs = task('docs');
  const media = task('media');
  const items = paletteItems({
    connections: [a, b],
    tasks: [
      { task: docs, state: 'FINISHED', lastRun: null, activeRun: null } as never,
      { task: media, state: 'RUNNING', lastRun: null, activeRun: null } as never,
    ],
    datasets: { [a.id]: [{ name: 'tank' }, { name: 'tank/docs' }] },
    schedulesPaused: true,
    mac: false,
  });
  const byId = (id: string) => items.find((i) => i.id === id);

  it('jumps to views (with the menu shortcuts), NAS and datasets', () => {
    expect(byId('go:tasks')).toMatchObject({ group: 'Go to', label: 'Tasks', shortcut: 'Ctrl+2', action: { kind: 'navigate', route: { view: 'tasks' } } });
    expect(byId(`nas:${a.id}`)).toMatchObject({ group: 'NAS', label: 'nas-a', keywords: ['nas-a.lan', 'root', 'nas'], action: { kind: 'navigate', route: { view: 'datasets', connectionId: a.id } } });
    expect(byId(`dataset:${a.id}:tank/docs`)).toMatchObject({ group: 'Datasets', action: { kind: 'navigate', route: { view: 'datasets', connectionId: a.id, filter: 'tank/docs' } } });
  });

  it('runs an idle task, stops a running one; pause reads as resume while paused', () => {
    expect(byId(`run:${docs.id}`)).toMatchObject({ label: 'Run docs now', action: { kind: 'run-task', taskId: docs.id } });
    expect(byId(`stop:${media.id}`)).toMatchObject({ label: 'Stop media', action: { kind: 'stop-task', taskId: media.id } });
    expect(byId(`run:${media.id}`)).toBeUndefined();
    expect(byId('action:toggle-pause')).toMatchObject({ label: 'Resume schedules' });
    expect(byId('action:run-all')).toMatchObject({ shortcut: 'Ctrl+Shift+R' });
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('caps the datasets per NAS', () => {
    const many = paletteItems({ connections: [a], tasks: [], datasets: { [a.id]: Array.from({ length: 2000 }, (_, i) => ({ name: `tank/d${i}` })) }, schedulesPaused: false, mac: true });
    expect(many.filter((i) => i.group === 'Datasets')).toHaveLength(datasetsPerNas);
  });
});

describe('shortcuts', () => {
  it('the palette shows the same keys as the menu', () => {
    for (const { command, accelerator } of shortcuts) expect(paletteShortcuts[command]).toBe(accelerator);
    expect(shortcutLabel('CmdOrCtrl+Shift+R', true)).toBe('⌘⇧R');
    expect(shortcutLabel('CmdOrCtrl+K', false)).toBe('Ctrl+K');
  });

  it('keyCommandOf: Ctrl on Linux/Windows, Cmd on macOS; Shift matters; Alt is never ours', () => {
    const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
    expect(keyCommandOf(key('k', { ctrlKey: true }), false)).toBe('open-command-palette');
    expect(keyCommandOf(key('K', { metaKey: true }), true)).toBe('open-command-palette');
    expect(keyCommandOf(key('k', { metaKey: true }), false)).toBeNull();
    expect(keyCommandOf(key('N', { ctrlKey: true, shiftKey: true }), false)).toBe('new-connection');
    expect(keyCommandOf(key('n', { ctrlKey: true }), false)).toBe('new-task');
    expect(keyCommandOf(key('k', { ctrlKey: true, altKey: true }), false)).toBeNull();
    expect(keyCommandOf(key('x', { ctrlKey: true }), false)).toBeNull();
  });
});

describe('paletteScore', () => {
  it('ranks the label first: exact, prefix, contained; then words in label or keywords; then letters in order', () => {
    const nasB = paletteScore('palette-b', ['palette-b.invalid', 'root'], 'palette-b');
    const docs = paletteScore('palette-docs', ['tank/docs', 'backup'], 'palette-b');
    expect(nasB).toBe(1);
    expect(docs).toBeLessThan(nasB);
    expect(paletteScore('Pause schedules', ['schedule'], 'pause sched')).toBe(0.9);
    expect(paletteScore('Pause schedules', ['schedule'], 'schedules')).toBe(0.8);
    expect(paletteScore('Run docs now', ['tank/docs'], 'run tank')).toBe(0.5);
    expect(paletteScore('Settings', [], 'stg')).toBe(0.2);
    expect(paletteScore('Settings', [], 'xyz')).toBe(0);
    expect(paletteScore('Settings', [], '')).toBe(1);
  });
});
