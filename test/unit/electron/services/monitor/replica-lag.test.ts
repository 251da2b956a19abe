import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultGraceMs, monitorLine, replicaLag } from '../../../../../electron/services/monitor/replica-lag.ts';
import { ReplicationTaskSchema, type ReplicationTask, type RunRecord } from '../../../../../shared/task-schemas.ts';

// status --monitor and the "replica late" notice: how many scheduled times passed since the last successful run.

function task(name: string, expression: string | null): ReplicationTask {
  return ReplicationTaskSchema.parse({
    id: randomUUID(),
    name,
    sourceConnectionId: randomUUID(),
    sources: [{ name: 'tank/data' }],
    destinationConnectionId: randomUUID(),
    destinationParent: 'backup',
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    schedule: expression === null ? { kind: 'manual' } : { kind: 'cron', expression },
  });
}

function run(startedAt: string, result: RunRecord['result'], error: string | null = null): RunRecord {
  return {
    id: randomUUID(),
    taskId: randomUUID(),
    startedAt,
    finishedAt: startedAt,
    result,
    by: 'daemon',
    bytesSent: 0,
    snapshotsSent: 0,
    durationMs: 0,
    bytesPerSecond: 0,
    datasets: [],
    error: error === null ? null : { code: 'HOST_UNREACHABLE', message: error },
  };
}

describe('replicaLag', () => {
  const hourly = task('hourly', '0 * * * *');

  it('on schedule right after a success, and while the next time is within its grace', () => {
    const history = [run('2026-11-22T10:00:02Z', 'FINISHED')];
    expect(replicaLag(hourly, history, new Date('2026-11-22T10:30:00Z'))).toMatchObject({ state: 'ok', missed: 0, lagSeconds: 1798, summary: 'on schedule, last replicated 30 min ago' });
    // 11:00 passed, but a run has half the interval (30 min) to start and finish.
    expect(replicaLag(hourly, history, new Date('2026-11-22T11:20:00Z'))).toMatchObject({ state: 'ok', missed: 0 });
  });

  it('WARNING after one missed time, CRITICAL after two (defaults), with the last error', () => {
    const history = [run('2026-11-22T10:00:02Z', 'FINISHED'), run('2026-11-22T11:00:01Z', 'FAILED', 'Cannot reach nas-b')];
    expect(replicaLag(hourly, history, new Date('2026-11-22T11:31:00Z'))).toMatchObject({
      state: 'warning',
      missed: 1,
      overdueSince: '2026-11-22T11:00:00.000Z',
      summary: 'missed 1 scheduled run, last replicated 1 h 31 min ago; last run failed: Cannot reach nas-b',
    });
    expect(replicaLag(hourly, history, new Date('2026-11-22T12:31:00Z'))).toMatchObject({ state: 'critical', missed: 2 });
    expect(replicaLag(hourly, history, new Date('2026-11-22T12:31:00Z'), { warnMissed: 2, critMissed: 5 })).toMatchObject({ state: 'warning' });
    expect(replicaLag(hourly, history, new Date('2026-11-22T11:01:00Z'), { warnMissed: 1, critMissed: 2, graceMs: 0 })).toMatchObject({ state: 'warning', missed: 1 });
  });

  it('dry runs do not count; a task never run is WARNING; never succeeded is at least WARNING; manual tasks are not checked', () => {
    expect(replicaLag(hourly, [run('2026-11-22T10:00:00Z', 'DRY_RUN')], new Date('2026-11-22T10:10:00Z'))).toMatchObject({ state: 'warning', summary: 'never replicated yet' });
    expect(replicaLag(hourly, [run('2026-11-22T10:00:00Z', 'FAILED', 'x')], new Date('2026-11-22T10:10:00Z'))).toMatchObject({ state: 'warning', lastSuccessAt: null });
    expect(replicaLag(hourly, [run('2026-11-22T10:00:00Z', 'FAILED', 'x')], new Date('2026-11-22T13:00:00Z'))).toMatchObject({ state: 'critical' });
    expect(replicaLag(task('by-hand', null), [], new Date())).toMatchObject({ state: 'unscheduled' });
  });

  it('the default grace is half the interval, between 30 s and 1 h', () => {
    const at = new Date('2026-11-22T10:00:00Z');
    expect(defaultGraceMs({ expression: '* * * * *' }, at)).toBe(30_000);
    expect(defaultGraceMs({ expression: '*/10 * * * *' }, at)).toBe(300_000);
    expect(defaultGraceMs({ expression: '0 2 * * *' }, at)).toBe(3_600_000);
  });
});

describe('monitorLine (Nagios plugin output)', () => {
  const now = new Date('2026-11-22T12:31:00Z');
  const ok = replicaLag(task('docs', '0 * * * *'), [run('2026-11-22T12:00:01Z', 'FINISHED')], now);
  const late = replicaLag(task('media', '0 * * * *'), [run('2026-11-22T11:00:01Z', 'FINISHED')], now);
  const stale = replicaLag(task('vm disks', '0 * * * *'), [run('2026-11-22T09:00:01Z', 'FINISHED')], now);

  it('one line, worst first, with perfdata; exit status by the worst', () => {
    expect(monitorLine([ok])).toEqual({ status: 'OK', line: "OK: 1 scheduled replica on schedule | 'docs_lag'=1859s" });
    expect(monitorLine([ok, late])).toEqual({ status: 'WARNING', line: "WARNING: media missed 1 scheduled run, last replicated 1 h 31 min ago; 1 other OK | 'docs_lag'=1859s 'media_lag'=5459s" });
    const critical = monitorLine([late, ok, stale]);
    expect(critical.status).toBe('CRITICAL');
    expect(critical.line).toMatch(/^CRITICAL: vm disks missed 3 scheduled runs, last replicated 3 h 31 min ago; media missed 1 .*; 1 other OK \| .*'vm_disks_lag'=12659s$/);
    expect(critical.line).not.toContain('\n');
    expect(monitorLine([])).toEqual({ status: 'OK', line: 'OK: no scheduled replication tasks' });
  });
});
