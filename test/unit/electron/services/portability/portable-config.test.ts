import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyImport, exportConfig, planImport } from '../../../../../electron/services/portability/portable-config.ts';
import { openAppStore, type AppStore } from '../../../../../electron/services/store/app-store.ts';
import { PortableConfigSchema, type PortableConfig } from '../../../../../shared/portable-config.ts';

// Export and import of connections and tasks: no secrets cross, pins do, conflicts by name are listed and replaced
// only when named.

let dirs: string[] = [];
function store(): AppStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'zrd-portable-'));
  dirs.push(dir);
  return openAppStore(dir);
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const pin = { type: 'ssh-ed25519', sha256: 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };

function populate(target: AppStore): void {
  const a = target.saveConnection({ name: 'nas-a', host: '10.0.0.1', username: 'admin', privilege: 'sudo' });
  const b = target.saveConnection({ name: 'nas-b', host: '10.0.0.2', auth: { kind: 'key-file', keyPath: '/home/ann/.ssh/id_ed25519' } });
  target.pinHostKey(a.id, pin, new Date('2026-11-20T10:00:00Z'));
  target.saveTask({
    name: 'docs',
    sourceConnectionId: a.id,
    sources: [{ name: 'tank/docs' }],
    destinationConnectionId: b.id,
    destinationParent: 'backup',
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    schedule: { kind: 'cron', expression: '0 * * * *' },
    encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key: 'correct horse battery staple' },
  });
  target.saveSnapshotTask({ connectionId: a.id, dataset: 'tank/docs', recursive: true, exclude: [], namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'cron', expression: '0 * * * *' }, lifetime: { kind: 'custom', amount: 2, unit: 'weeks' } });
}

describe('exportConfig', () => {
  let source: AppStore;
  beforeEach(() => {
    source = store();
    populate(source);
  });

  it('connections with their pins, tasks by connection name; never a key, a password or an id', () => {
    const document = exportConfig(source, new Date('2026-11-22T10:00:00Z'));
    expect(PortableConfigSchema.parse(document)).toEqual(document);
    expect(document.connections).toEqual([
      { name: 'nas-a', host: '10.0.0.1', port: 22, username: 'admin', auth: { kind: 'app-key' }, privilege: 'sudo', hostKey: { ...pin, pinnedAt: '2026-11-20T10:00:00.000Z' } },
      { name: 'nas-b', host: '10.0.0.2', port: 22, username: 'root', auth: { kind: 'key-file', keyPath: '/home/ann/.ssh/id_ed25519' }, privilege: 'root', hostKey: null },
    ]);
    expect(document.tasks[0]).toMatchObject({ name: 'docs', sourceConnection: 'nas-a', destinationConnection: 'nas-b', encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase' } });
    expect(document.snapshotTasks[0]).toMatchObject({ connection: 'nas-a', dataset: 'tank/docs' });
    const text = JSON.stringify(document);
    expect(text).not.toContain('correct horse');
    for (const connection of source.listConnections()) expect(text).not.toContain(connection.id);
    expect(text).not.toMatch(/"id"/);
  });

  it('imports whole into an empty settings folder: pins kept, tasks wired to the new connections; notes say what to do', () => {
    const document = exportConfig(source);
    const target = store();
    const plan = planImport(target, document);
    expect(plan.items.map((i) => `${i.kind}:${i.name}:${i.status}`)).toEqual(['connection:nas-a:add', 'connection:nas-b:add', 'task:docs:add', 'snapshotTask:nas-a:tank/docs:add']);
    expect(plan.notes.join('\n')).toContain('nas-a: install this computer\'s app key');
    expect(plan.notes.join('\n')).toContain('nas-b: the key file /home/ann/.ssh/id_ed25519 must exist');
    expect(plan.notes.join('\n')).toContain('docs: its encryption key is not in the file');
    const { result } = applyImport(target, document, { replace: [], dryRun: false });
    expect(result.applied.map((a) => a.action)).toEqual(['added', 'added', 'added', 'added']);
    const [a, b] = target.listConnections();
    expect(a!.hostKey).toEqual({ ...pin, pinnedAt: '2026-11-20T10:00:00.000Z' });
    expect(target.getTask('docs')).toMatchObject({ sourceConnectionId: a!.id, destinationConnectionId: b!.id });
    expect(target.listSnapshotTasks()[0]).toMatchObject({ connectionId: a!.id });
    // And a second import of the same file changes nothing.
    expect(planImport(target, document).items.every((i) => i.status === 'same')).toBe(true);
    expect(applyImport(target, document, { replace: [], dryRun: false }).result.applied.every((a) => a.action === 'unchanged')).toBe(true);
  });
});

describe('conflicts by name', () => {
  let here: AppStore;
  let document: PortableConfig;
  beforeEach(() => {
    const there = store();
    populate(there);
    document = exportConfig(there);
    here = store();
    populate(here);
    const b = here.listConnections()[1]!;
    here.saveConnection({ ...b, port: 2222 });
    const task = here.getTask('docs');
    here.saveTask({ ...task, schedule: { kind: 'cron', expression: '*/5 * * * *' } });
  });

  it('are listed with what differs; nothing is written by a plan or a dry run', () => {
    const before = readFileSync(here.path, 'utf8');
    const plan = planImport(here, document);
    expect(plan.items.filter((i) => i.status === 'conflict')).toEqual([
      { kind: 'connection', name: 'nas-b', status: 'conflict', differences: ['port'], problem: null },
      { kind: 'task', name: 'docs', status: 'conflict', differences: ['schedule'], problem: null },
    ]);
    const dry = applyImport(here, document, { replace: [{ kind: 'task', name: 'docs' }], dryRun: true });
    expect(dry.result.applied.find((a) => a.name === 'docs')).toMatchObject({ action: 'replaced' });
    expect(readFileSync(here.path, 'utf8')).toBe(before);
  });

  it('are skipped unless named; a replaced entry keeps its id (and a task its stored key and history)', () => {
    const taskId = here.getTask('docs').id;
    here.history.append({ id: crypto.randomUUID(), taskId, startedAt: '2026-11-22T10:00:00Z', finishedAt: '2026-11-22T10:01:00Z', result: 'FINISHED', by: 'app', bytesSent: 1, snapshotsSent: 1, datasets: [], error: null });
    const skipped = applyImport(here, document, { replace: [], dryRun: false }).result;
    expect(skipped.applied.filter((a) => a.action === 'skipped').map((a) => a.name)).toEqual(['nas-b', 'docs']);
    expect(here.listConnections()[1]!.port).toBe(2222);

    const replaced = applyImport(here, document, { replace: [{ kind: 'task', name: 'DOCS' }], dryRun: false }).result;
    expect(replaced.applied.find((a) => a.name === 'docs')).toMatchObject({ action: 'replaced' });
    const task = here.getTask('docs');
    expect(task.id).toBe(taskId);
    expect(task.schedule).toEqual({ kind: 'cron', expression: '0 * * * *' });
    expect(task.encryption).toMatchObject({ key: 'correct horse battery staple' });
    expect(here.history.list(taskId)).toHaveLength(1);
    // The connection conflict was not named: still as it was here.
    expect(here.listConnections()[1]!.port).toBe(2222);
  });

  it('naming an entry the file does not have is an error; an invalid entry is reported, the others still go in', () => {
    expect(() => applyImport(here, document, { replace: [{ kind: 'task', name: 'nope' }], dryRun: false })).toThrow(/no entry of that name/);
    const target = store();
    const broken: PortableConfig = { ...document, tasks: [...document.tasks, { ...document.tasks[0]!, name: 'orphan', sourceConnection: 'nas-z' }] };
    const plan = planImport(target, broken);
    expect(plan.items.find((i) => i.name === 'orphan')).toMatchObject({ status: 'invalid', problem: 'No connection named "nas-z" here or in the file.' });
    const { result } = applyImport(target, broken, { replace: [], dryRun: false });
    expect(result.applied.find((a) => a.name === 'orphan')).toMatchObject({ action: 'failed' });
    expect(target.listTasks().map((t) => t.name)).toEqual(['docs']);
  });
});
