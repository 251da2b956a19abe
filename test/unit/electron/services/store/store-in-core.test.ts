import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../../../electron/services/core.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import { AppFailure } from '../../../../../shared/result.ts';

// The store as the running app uses it: config.json edited into invalid JSON while the scheduler runs. With conf,
// the scheduler's next tick threw out of its timer and ended the process; now the tick logs and the last good
// settings carry on.

let configDir: string;
let core: Core;
const logs: Array<{ level: string; message: string }> = [];

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-store-core-'));
  core = createCore({
    store: openConfStore(configDir),
    configDir,
    versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
    runnerFor: () => {
      throw new AppFailure('HOST_UNREACHABLE', 'not in this test');
    },
  });
  logs.length = 0;
  core.bus.subscribe((name, payload) => {
    if (name === 'log') logs.push(payload as { level: string; message: string });
  });
});
afterEach(async () => {
  await core.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

async function value(verb: string, request: unknown): Promise<any> {
  const result = await core.call(verb, request);
  if (!result.ok) throw new Error(`${verb}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

describe('config.json edited into invalid JSON while the scheduler runs', () => {
  it('the tick does not throw, verbs answer from the last good settings, the warning is logged once', async () => {
    const a = await value('saveConnection', { name: 'a', host: 'a.example' });
    const b = await value('saveConnection', { name: 'b', host: 'b.example' });
    await value('saveTask', {
      name: 'nightly', sourceConnectionId: a.id, sources: [{ name: 'tank/data' }], destinationConnectionId: b.id, destinationParent: 'backup',
      transport: { kind: 'relay' }, selection: { kind: 'all' }, schedule: { kind: 'cron', expression: '0 3 1 1 *' },
    });
    writeFileSync(core.store.path, '{"connections": [{"name": "half-typed"');

    expect(() => core.scheduler.tick()).not.toThrow();
    expect(() => core.scheduler.tick()).not.toThrow();
    const tasks = await value('listTasks', {});
    expect(tasks.map((t: { task: { name: string } }) => t.task.name)).toEqual(['nightly']);
    expect((await value('listConnections', {})).map((c: { name: string }) => c.name)).toEqual(['a', 'b']);
    const warnings = logs.filter((l) => l.level === 'warn' && l.message.includes('cannot be read'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(core.store.path);

    // The next save moves the broken file aside (kept, named) and writes the last good settings with the change.
    await value('saveConnection', { name: 'c', host: 'c.example' });
    const status = await value('getStoreStatus', {});
    expect(status.recoveredFrom).toMatch(/config\.corrupt-.*\.json$/);
    expect(status.warnings).toEqual([expect.stringContaining('cannot be read'), expect.stringContaining(`It was moved to ${status.recoveredFrom}`)]);
    expect(status.secrets).toBe('file');
    expect(readFileSync(status.recoveredFrom, 'utf8')).toBe('{"connections": [{"name": "half-typed"');
    expect(readdirSync(configDir).filter((n) => n.startsWith('config.corrupt-'))).toHaveLength(1);
    expect(openConfStore(configDir).listConnections().map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it('a run appends to the task history, never to config.json', async () => {
    const a = await value('saveConnection', { name: 'a', host: 'a.example' });
    const task = await value('saveTask', {
      name: 'nightly', sourceConnectionId: a.id, sources: [{ name: 'tank/data' }], destinationConnectionId: a.id, destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' },
    });
    const before = readFileSync(core.store.path, 'utf8');
    const report = await value('runTask', { taskId: task.id });
    expect(report.result).toBe('FAILED');
    expect(readFileSync(core.store.path, 'utf8')).toBe(before);
    const runs = await value('listRuns', { taskId: task.id });
    expect(runs).toEqual([expect.objectContaining({ result: 'FAILED', by: 'app', durationMs: expect.any(Number), bytesPerSecond: 0 })]);
    expect((await value('listTasks', {}))[0].lastRun.id).toBe(runs[0].id);
    await value('runTask', { taskId: task.id });
    expect(await value('listRuns', { taskId: task.id })).toHaveLength(2);
    expect(await value('listRuns', { taskId: task.id, limit: 1 })).toEqual([(await value('listRuns', { taskId: task.id }))[1]]);
  });
});
