import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../../shared/task-schemas.ts';
import { formatDateTime } from '../../../../renderer/lib/format.ts';
import { formatDuration, formatRate, historyColumns, historyTotals, labelledRuns, runTickLabels, shownResult } from '../../../../renderer/features/tasks/history-data.ts';
import { bowOf, edgeHealth, layoutTopology } from '../../../../renderer/features/tasks/topology.ts';

describe('topology', () => {
  const nodes = [{ id: 'a', name: 'nas-a' }, { id: 'b', name: 'nas-b' }, { id: 'c', name: 'nas-c' }];
  const task = (id: string, sourceId: string, destinationId: string) => ({ id, name: id, sourceId, destinationId, datasets: 'tank/x', health: 'ok' as const });

  it('places every NAS inside the picture and draws one arrow per task', () => {
    const layout = layoutTopology(nodes, [task('t1', 'a', 'b'), task('t2', 'b', 'c'), task('t3', 'a', 'zz')], 900, 480);
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThan(0);
      expect(n.x).toBeLessThan(900);
      expect(n.y).toBeGreaterThan(0);
      expect(n.y).toBeLessThan(480);
    }
    // A task whose NAS was forgotten has no arrow.
    expect(layout.edges.map((e) => e.id)).toEqual(['t1', 't2']);
    expect(layout.edges[0]!.path).toMatch(/^M [\d.]+ [\d.]+ Q /);
  });

  it('bows arrows between the same two NAS apart, whatever their direction', () => {
    const layout = layoutTopology(nodes.slice(0, 2), [task('t1', 'a', 'b'), task('t2', 'b', 'a'), task('t3', 'a', 'b')]);
    const labels = layout.edges.map((e) => `${e.labelX},${e.labelY}`);
    expect(new Set(labels).size).toBe(3);
    expect([0, 1, 2, 3, 4].map(bowOf)).toEqual([0, 80, -80, 160, -160]);
  });

  it('draws a task within one NAS as a loop', () => {
    const layout = layoutTopology(nodes.slice(0, 1), [task('t1', 'a', 'a')]);
    expect(layout.edges[0]!.path).toMatch(/ C /);
  });

  it('ranks health: failed, running, stale, late, never run, ok', () => {
    expect(edgeHealth('FAILED', 'on-time')).toBe('failed');
    expect(edgeHealth('RUNNING', 'stale')).toBe('running');
    expect(edgeHealth('FINISHED', 'stale')).toBe('stale');
    expect(edgeHealth('FINISHED', 'late')).toBe('late');
    expect(edgeHealth('PENDING', 'no-replica')).toBe('pending');
    expect(edgeHealth('FINISHED', 'unscheduled')).toBe('ok');
  });
});

const record = (startedAt: string, bytesSent: number, durationMs: number, result: RunRecord['result'] = 'FINISHED'): RunRecord => ({
  id: '00000000-0000-4000-8000-000000000003', taskId: '00000000-0000-4000-8000-000000000004', startedAt, finishedAt: new Date(Date.parse(startedAt) + durationMs).toISOString(), result, by: 'app',
  bytesSent, snapshotsSent: 1, durationMs, bytesPerSecond: 0, datasets: [], error: null,
});

describe('run history', () => {
  it('gives uPlot increasing x values with MiB and seconds per run', () => {
    const cols = historyColumns([record('2026-12-01T10:00:00.000Z', 2 * 1_048_576, 1500), record('2026-12-01T09:00:00.000Z', 1_048_576, 60_000), record('2026-12-01T10:00:00.000Z', 0, 100, 'FAILED')]);
    expect(cols.x[0]).toBe(Date.parse('2026-12-01T09:00:00.000Z') / 1000);
    expect(cols.x[2]).toBeGreaterThan(cols.x[1]!);
    expect(cols.mib).toEqual([1, 2, 0]);
    expect(cols.seconds).toEqual([60, 1.5, 0.1]);
    expect(cols.results).toEqual(['FINISHED', 'FINISHED', 'FAILED']);
  });

  it('sums the runs up', () => {
    const totals = historyTotals([record('2026-12-01T09:00:00.000Z', 10, 1000), record('2026-12-01T10:00:00.000Z', 20, 3000), record('2026-12-01T11:00:00.000Z', 0, 5, 'REFUSED')]);
    expect(totals).toEqual({ runs: 3, failed: 1, bytesSent: 30, medianDurationMs: 2000, lastSuccessAt: '2026-12-01T10:00:03.000Z' });
  });

  it('a stopped run (FAILED with CANCELLED) shows as STOPPED and is not counted as a failure', () => {
    const stopped = { ...record('2026-12-01T12:00:00.000Z', 5, 50, 'FAILED'), error: { code: 'CANCELLED' as const, message: 'nas-a (root@h:22): "zfs send …" was cancelled.' } };
    const failed = { ...record('2026-12-01T13:00:00.000Z', 0, 50, 'FAILED'), error: { code: 'HOST_UNREACHABLE' as const, message: 'Lost the connection.' } };
    expect([stopped, failed, record('2026-12-01T14:00:00.000Z', 1, 1)].map(shownResult)).toEqual(['STOPPED', 'FAILED', 'FINISHED']);
    expect(historyTotals([stopped, failed]).failed).toBe(1);
  });

  it('formats durations and rates', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_780_000)).toBe('1 h 3 min');
    expect(formatRate(12.5 * 1_048_576)).toBe('12.5 MiB/s');
    expect(formatRate(2048)).toBe('2.0 KiB/s');
  });
});

describe('the history chart\'s run labels', () => {
  it('labels every run when they fit, else every k-th back from the newest, never overlapping', () => {
    expect(labelledRuns(0, 800)).toEqual([]);
    expect(labelledRuns(4, 800)).toEqual([0, 1, 2, 3]);
    // 30 runs in 720 px: 10 labels fit, so every third, the newest always labelled.
    const ticks = labelledRuns(30, 720);
    expect(ticks.length).toBeLessThanOrEqual(10);
    expect(ticks.at(-1)).toBe(29);
    expect(ticks.slice(1).every((t, i) => t - ticks[i]! === 3)).toBe(true);
    expect(labelledRuns(5, 10)).toEqual([4]);
  });

  it('gives each labelled run its time, and the day on a second line when it changes', () => {
    const format = { day: (d: Date) => d.toISOString().slice(0, 10), time: (d: Date) => d.toISOString().slice(11, 16) };
    const t = (iso: string) => Date.parse(iso) / 1000;
    const times = [t('2026-12-01T21:01:00Z'), t('2026-12-01T21:02:30Z'), t('2026-12-02T03:00:00Z'), t('2026-12-02T04:00:00Z')];
    expect(runTickLabels(times, [0, 1, 2, 3], format)).toEqual(['21:01\n2026-12-01', '21:02', '03:00\n2026-12-02', '04:00']);
    expect(runTickLabels(times, [1, 3], format)).toEqual(['21:02\n2026-12-01', '04:00\n2026-12-02']);
  });

  it('writes times on the 24-hour clock, as the names, schedules and logs are (an en-US chart said "02:05 PM")', () => {
    const afternoon = new Date(2026, 11, 2, 14, 5).getTime() / 1000;
    expect(runTickLabels([afternoon], [0])[0]).toMatch(/^14:05\n/);
    expect(formatDateTime(afternoon * 1000)).toContain('14:05');
    expect(formatDateTime(afternoon * 1000)).not.toMatch(/AM|PM/);
  });
});
