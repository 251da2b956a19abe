import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';

// Real processes writing one settings folder at once, as the app, the bridge and the CLI do. Before the store took a
// cross-process lock around each read-modify-write, 4 writers of 40 saves each kept ~100 of 160, and a deleted task
// or a pin could come back.

const run = promisify(execFile);
const writer = path.join(import.meta.dirname, 'fixtures', 'store-writer.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-store-race-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function writers(roles: string[], count: number): Promise<void> {
  // Late enough for every process to have started and opened the store, under a loaded machine too.
  const startAt = Date.now() + 3000;
  const outputs = await Promise.all(roles.map((role, worker) => run(process.execPath, [writer, dir, String(worker), String(count), String(startAt), role], { timeout: 120_000 })));
  for (const output of outputs) expect(output.stdout).toBe('done\n');
}

describe('the settings folder with several processes writing at once', () => {
  it('loses no save, keeps a deleted task deleted and a pin pinned', async () => {
    const store = openConfStore(dir);
    const shared = store.saveConnection({ name: 'shared', host: '10.0.0.1' });
    const other = store.saveConnection({ name: 'other', host: '10.0.0.2' });
    const task = { sourceConnectionId: shared.id, destinationConnectionId: other.id, sources: [{ name: 'tank/a' }], destinationParent: 'backup', transport: { kind: 'relay' as const }, selection: { kind: 'all' as const } };
    store.saveTask({ ...task, name: 'doomed' });
    store.saveTask({ ...task, name: 'kept' });

    await writers(['deleter', 'pinner', 'saver', 'saver'], 40);

    const after = openConfStore(dir);
    const names = after.listConnections().map((c) => c.name);
    expect(names).toHaveLength(2 + 4 * 40);
    for (let worker = 0; worker < 4; worker++) for (let i = 0; i < 40; i++) expect(names).toContain(`w${worker}-${i}`);
    expect(after.listTasks().map((t) => t.name)).toEqual(['kept']);
    expect(after.listConnections().find((c) => c.name === 'shared')?.hostKey?.sha256).toBe('SHA256:pinned');
  }, 180_000);

  it('loses no run appended to one task history by several processes', async () => {
    const store = openConfStore(dir);
    const a = store.saveConnection({ name: 'a', host: '10.0.0.1' });
    const b = store.saveConnection({ name: 'b', host: '10.0.0.2' });
    const kept = store.saveTask({ name: 'kept', sourceConnectionId: a.id, destinationConnectionId: b.id, sources: [{ name: 'tank/a' }], destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' } });

    await writers(['history', 'history', 'history', 'history'], 40);

    const runs = openConfStore(dir).history.list(kept.id);
    expect(runs).toHaveLength(160);
    expect(new Set(runs.map((r) => r.id)).size).toBe(160);
    for (let worker = 0; worker < 4; worker++) expect(runs.filter((r) => r.by === `worker-${worker}`)).toHaveLength(40);
  }, 180_000);
});
