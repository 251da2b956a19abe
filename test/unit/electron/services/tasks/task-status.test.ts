import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppStore } from '../../../../../electron/services/store/app-store.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import { liveTaskStatuses } from '../../../../../electron/services/tasks/task-status.ts';
import type { ReplicationTask } from '../../../../../shared/task-schemas.ts';
import { FakeNas } from './fake-nas.ts';

// The state `status` shows: the run history, overruled by the task lock on the source NAS (a run started by
// another process); an unreachable NAS leaves the history state, marked as not live.

let configDir: string;
let store: AppStore;
let nasA: FakeNas;
let nasB: FakeNas;
let tasks: { onA: ReplicationTask; onB: ReplicationTask };

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-task-status-'));
  store = openConfStore(configDir);
  nasA = new FakeNas('root@a.example:22', 'tank');
  nasB = new FakeNas('root@b.example:22', 'tank');
  const a = store.saveConnection({ name: 'a', host: 'a.example' });
  const b = store.saveConnection({ name: 'b', host: 'b.example' });
  const task = (name: string, sourceConnectionId: string) =>
    store.saveTask({ name, sourceConnectionId, sources: [{ name: 'tank/data' }], destinationConnectionId: sourceConnectionId === a.id ? b.id : a.id, destinationParent: 'tank/r', transport: { kind: 'relay' }, selection: { kind: 'all' } });
  tasks = { onA: task('from-a', a.id), onB: task('from-b', b.id) };
  for (const t of [tasks.onA, tasks.onB]) {
    store.history.append({ id: randomUUID(), taskId: t.id, startedAt: '2026-11-21T10:00:00.000Z', finishedAt: '2026-11-21T10:01:00.000Z', result: 'FAILED', by: 'cli', bytesSent: 0, snapshotsSent: 0, datasets: [], error: { code: 'TIMEOUT', message: 'slow' } });
  }
});
afterEach(() => rmSync(configDir, { recursive: true, force: true }));

const runnerOf = (connectionId: string) => (store.getConnection(connectionId).name === 'a' ? nasA : nasB);

describe('liveTaskStatuses', () => {
  it('a held lock is RUNNING with its owner, whatever the history says; a free lock leaves the history state', async () => {
    nasA.lock = { held: true, owner: 'app on desk (pid 12) since 2026-11-21T11:00:00.000Z' };
    const [onA, onB] = await liveTaskStatuses(store, [tasks.onA, tasks.onB], runnerOf);
    expect(onA).toMatchObject({ state: 'RUNNING', running: { owner: 'app on desk (pid 12) since 2026-11-21T11:00:00.000Z' }, lock: 'held', lockError: null, lastRun: { result: 'FAILED' } });
    expect(onB).toMatchObject({ state: 'FAILED', running: null, lock: 'free', lockError: null });
    // Only the lock probe ran, as the login user: nothing else is asked of the NAS.
    expect(nasA.calls.map((c) => c.argv.slice(0, 2))).toEqual([['sh', '-c']]);
  });

  it('a crashed run that left its owner line is not running', async () => {
    nasA.lock = { held: false, owner: 'cli on cron-box (pid 9) since yesterday' };
    const [onA] = await liveTaskStatuses(store, [tasks.onA], runnerOf);
    expect(onA).toMatchObject({ state: 'FAILED', running: null, lock: 'stale-owner' });
  });

  it('an unreachable NAS: its tasks keep the history state with the reason; the other NAS still answers', async () => {
    nasA.unreachable = true;
    nasB.lock = { held: true, owner: 'schedule on desk (pid 1) since now' };
    const [onA, onB] = await liveTaskStatuses(store, [tasks.onA, tasks.onB], runnerOf);
    expect(onA).toMatchObject({ state: 'FAILED', running: null, lock: 'unknown', lockError: { code: 'HOST_UNREACHABLE', message: 'root@a.example:22 does not answer.' } });
    expect(onB).toMatchObject({ state: 'RUNNING', running: { owner: 'schedule on desk (pid 1) since now' } });
  });
});
