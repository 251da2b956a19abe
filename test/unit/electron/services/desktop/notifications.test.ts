import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotificationCenter, oneLine, startNotifications, type NotificationHost } from '../../../../../electron/services/desktop/notifications.ts';
import type { AppNotification } from '../../../../../shared/desktop-events.ts';
import { ReplicationTaskSchema, type ReplicationTask, type RunRecord } from '../../../../../shared/task-schemas.ts';

// The notices the desktop gives on its own, from the run history of the settings folder (any process's runs): a
// failure once per failed run with its one-line hint, the first success after failures, lateness once per episode.

const task: ReplicationTask = ReplicationTaskSchema.parse({
  id: randomUUID(),
  name: 'docs',
  sourceConnectionId: randomUUID(),
  sources: [{ name: 'tank/docs' }],
  destinationConnectionId: randomUUID(),
  destinationParent: 'backup',
  transport: { kind: 'relay' },
  selection: { kind: 'all' },
  schedule: { kind: 'cron', expression: '0 * * * *' },
});

function record(startedAt: string, result: RunRecord['result'], error?: { code: string; message: string; hint?: string }): RunRecord {
  return { id: randomUUID(), taskId: task.id, startedAt, finishedAt: startedAt, result, by: 'daemon', bytesSent: 0, snapshotsSent: 0, durationMs: 0, bytesPerSecond: 0, datasets: [], error: error ?? null };
}

function bed(initial: RunRecord[] = [], start = '2026-11-22T10:05:00Z') {
  const history = [...initial];
  let now = new Date(start);
  let enabled = true;
  const sent: AppNotification[] = [];
  const center = new NotificationCenter({
    source: { tasks: () => [task], history: () => history, enabled: () => enabled },
    notify: (n) => sent.push(n),
    now: () => now,
  });
  return {
    center,
    sent,
    add: (run: RunRecord) => history.push(run),
    at: (iso: string) => (now = new Date(iso)),
    enable: (value: boolean) => (enabled = value),
  };
}

const unreachable = { code: 'HOST_UNREACHABLE', message: 'Cannot reach nas-b:22: the connection timed out.', hint: 'Check that nas-b is on and reachable from this computer.\nMore: the log.' };

describe('NotificationCenter', () => {
  it('a failed run: once, titled with the error, the body its one-line hint, for the task (a click opens its log)', () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FINISHED')]);
    t.center.prime();
    expect(t.center.check()).toEqual([]);
    t.add(record('2026-11-22T11:00:00Z', 'FAILED', unreachable));
    t.at('2026-11-22T11:00:30Z');
    expect(t.center.check()).toEqual([
      expect.objectContaining({ kind: 'run-failed', level: 'error', title: 'Replication "docs" failed: Cannot reach nas-b:22: the connection timed out.', body: 'Check that nas-b is on and reachable from this computer.', taskId: task.id, taskName: 'docs' }),
    ]);
    expect(t.center.check()).toEqual([]);
    expect(t.sent).toHaveLength(1);
  });

  it('the first success after failures says so, once; later successes are quiet', () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FAILED', unreachable)]);
    t.center.prime();
    t.add(record('2026-11-22T11:00:00Z', 'FAILED', unreachable));
    t.at('2026-11-22T11:00:30Z');
    expect(t.center.check().map((n) => n.kind)).toEqual(['run-failed']);
    t.add(record('2026-11-22T11:10:00Z', 'FINISHED'));
    t.at('2026-11-22T11:10:30Z');
    expect(t.center.check()).toEqual([expect.objectContaining({ kind: 'run-recovered', level: 'success', body: 'The first successful run after 2 failed runs.' })]);
    t.add(record('2026-11-22T12:00:00Z', 'FINISHED'));
    t.at('2026-11-22T12:00:30Z');
    expect(t.center.check()).toEqual([]);
  });

  it('dry runs and cancelled runs are not news; a refusal is', () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FINISHED')]);
    t.center.prime();
    t.add(record('2026-11-22T10:10:00Z', 'DRY_RUN'));
    t.add(record('2026-11-22T10:20:00Z', 'FAILED', { code: 'CANCELLED', message: 'The transfer was cancelled.' }));
    t.at('2026-11-22T10:21:00Z');
    expect(t.center.check()).toEqual([]);
    t.add(record('2026-11-22T10:30:00Z', 'REFUSED'));
    t.at('2026-11-22T10:31:00Z');
    expect(t.center.check()).toEqual([expect.objectContaining({ kind: 'run-failed', title: 'Replication "docs" was refused', body: expect.stringContaining('review exactly what a run would destroy') })]);
  });

  it("a refusal says where to confirm in the app, not the engine's hint for the CLI", () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FINISHED')]);
    t.center.prime();
    const refusal = {
      code: 'CONFIRMATION_REQUIRED',
      message: 'The destination has diverged; replicating would destroy: backup/docs@manual-1.',
      hint: 'Nothing was changed. Review the list; to proceed, run again with this confirmation (it covers exactly this list, on this destination, for this task).',
    };
    t.add(record('2026-11-22T10:30:00Z', 'REFUSED', refusal));
    t.at('2026-11-22T10:31:00Z');
    const [notice] = t.center.check();
    expect(notice).toMatchObject({ title: `Replication "docs" was refused: ${refusal.message}`, body: 'Nothing was changed. Open the task to review exactly what a run would destroy, and confirm it there.' });
    expect(notice!.body).not.toContain('run again');
  });

  it('a replica later than its schedule: once per episode, again only after it was on time', () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FINISHED')], '2026-11-22T10:40:00Z');
    t.center.prime();
    expect(t.center.check()).toEqual([]);
    // 11:00 passed and its 30 min of grace: one missed time.
    t.at('2026-11-22T11:31:00Z');
    expect(t.center.check()).toEqual([expect.objectContaining({ kind: 'replica-late', level: 'warning', title: 'The replica of "docs" is late', body: 'Missed 1 scheduled run, last replicated 1 h 31 min ago' })]);
    t.at('2026-11-22T12:31:00Z');
    expect(t.center.check()).toEqual([]);
    t.add(record('2026-11-22T12:40:00Z', 'FINISHED'));
    t.at('2026-11-22T12:41:00Z');
    expect(t.center.check()).toEqual([]);
    t.at('2026-11-22T14:31:00Z');
    expect(t.center.check().map((n) => n.kind)).toEqual(['replica-late']);
  });

  it('with notifications off nothing is sent, and turning them on does not replay what happened meanwhile', () => {
    const t = bed([record('2026-11-22T10:00:00Z', 'FINISHED')]);
    t.center.prime();
    t.enable(false);
    t.add(record('2026-11-22T10:10:00Z', 'FAILED', unreachable));
    expect(t.center.check()).toEqual([]);
    t.enable(true);
    expect(t.center.check()).toEqual([]);
    expect(t.sent).toEqual([]);
  });

  it('oneLine keeps the first line, short', () => {
    expect(oneLine('first\nsecond')).toBe('first');
    expect(oneLine('x'.repeat(300))).toHaveLength(200);
  });
});

describe('startNotifications', () => {
  it('checks when a run of this process ends, and emits notification events on the bus', async () => {
    const history: RunRecord[] = [record('2026-11-22T10:00:00Z', 'FINISHED')];
    const listeners = new Set<(name: string, payload: unknown) => void>();
    const emitted: AppNotification[] = [];
    const host: NotificationHost = {
      store: { listTasks: () => [task], history: { list: () => history }, getSettings: () => ({ notifications: true }) },
      bus: {
        emit: (_name, payload) => emitted.push(payload),
        subscribe: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
    };
    const stop = startNotifications(host, { intervalMs: 3_600_000, now: () => new Date('2026-11-22T10:10:00Z') });
    history.push(record('2026-11-22T10:09:00Z', 'FAILED', unreachable));
    for (const listener of listeners) listener('status', { taskId: task.id, state: 'FAILED' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(emitted.map((n) => n.kind)).toEqual(['run-failed']);
    stop();
    expect(listeners.size).toBe(0);
  });
});
