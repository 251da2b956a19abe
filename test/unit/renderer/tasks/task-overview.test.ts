import { describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../../shared/contract.ts';
import { destinationOf, formatAge, lagOf, matchesStateFilter, nextRun, runningKind, scheduleIntervalMs, taskStateView } from '../../../../renderer/features/tasks/task-overview.ts';

const run = (details: (string | null)[], state: RunInfo['state'] = 'running'): RunInfo => ({
  runId: '00000000-0000-4000-8000-000000000001',
  kind: 'replication',
  taskId: 't',
  taskName: 'T',
  by: 'app',
  dryRun: false,
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: null,
  state,
  datasets: details.map((detail, i) => ({ dataset: `tank/d${i}`, destination: `backup/d${i}`, step: 'planned', detail })),
  progress: null,
  error: null,
});

const daily = { schedule: { kind: 'cron' as const, expression: '0 2 * * *', timeZone: 'Europe/Berlin' } };
const manual = { schedule: { kind: 'manual' as const } };
const H = 3_600_000;

describe('task state', () => {
  it('says running_full when any dataset starts with a full send, running_inc otherwise', () => {
    expect(runningKind(run(['incremental @a -> @b', 'full @s1']))).toBe('running_full');
    expect(runningKind(run(['incremental @a -> @b', 'resume the interrupted transfer', null]))).toBe('running_inc');
  });

  it('shows RUNNING with the kind from the live run, else the stored state', () => {
    expect(taskStateView({ state: 'FINISHED', activeRun: null }, run(['full @x'])).label).toBe('RUNNING (running_full)');
    expect(taskStateView({ state: 'RUNNING', activeRun: run(['incremental @a -> @b']) }).label).toBe('RUNNING (running_inc)');
    expect(taskStateView({ state: 'FAILED', activeRun: null }, run([], 'failed'))).toEqual({ state: 'FAILED', running: null, label: 'FAILED' });
    expect(taskStateView({ state: 'PENDING', activeRun: null }).label).toBe('PENDING');
  });

  it('a run seen to end is over, though the task list still says RUNNING (a refused run was shown as running_inc)', () => {
    const refused = run(['incremental @a -> @b'], 'refused');
    const stillListed = run(['incremental @a -> @b']);
    expect(taskStateView({ state: 'RUNNING', activeRun: stillListed }, refused)).toEqual({ state: 'FAILED', running: null, label: 'FAILED' });
    expect(taskStateView({ state: 'RUNNING', activeRun: null }, run([], 'finished')).label).toBe('FINISHED');
    // Another run (another process) in progress still shows.
    const other = { ...stillListed, runId: '00000000-0000-4000-8000-000000000002' };
    expect(taskStateView({ state: 'RUNNING', activeRun: other }, refused).label).toBe('RUNNING (running_inc)');
    // A dry run that ended leaves the state as it was.
    expect(taskStateView({ state: 'FINISHED', activeRun: null }, { ...refused, dryRun: true, state: 'finished' }).label).toBe('FINISHED');
  });
});

describe('schedule', () => {
  it("finds the next run in the schedule's time zone", () => {
    // 02:00 in Berlin in winter is 01:00 UTC.
    expect(nextRun(daily, new Date('2026-12-01T12:00:00Z'))?.toISOString()).toBe('2026-12-02T01:00:00.000Z');
    expect(nextRun(manual, new Date())).toBeNull();
  });

  it('measures the interval between two runs', () => {
    expect(scheduleIntervalMs(daily, new Date('2026-12-01T12:00:00Z'))).toBe(24 * H);
    expect(scheduleIntervalMs({ schedule: { kind: 'cron', expression: '*/15 * * * *' } }, new Date('2026-12-01T12:00:00Z'))).toBe(15 * 60_000);
    expect(scheduleIntervalMs(manual, new Date())).toBeNull();
  });
});

describe('lag', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('is on time within one and a half intervals, late up to three, stale after', () => {
    expect(lagOf(ago(20 * H), 24 * H, now)).toEqual({ level: 'on-time', ageMs: 20 * H, label: 'on time (20 h)' });
    expect(lagOf(ago(36 * H), 24 * H, now).level).toBe('on-time');
    expect(lagOf(ago(37 * H), 24 * H, now)).toMatchObject({ level: 'late', label: 'late (37 h)' });
    expect(lagOf(ago(72 * H), 24 * H, now).level).toBe('late');
    expect(lagOf(ago(73 * H), 24 * H, now)).toMatchObject({ level: 'stale', label: 'stale (3 d)' });
  });

  it('has no expectation for a task run by hand, and says when there is no replica or it was not read', () => {
    expect(lagOf(ago(5 * 60_000), null, now)).toMatchObject({ level: 'unscheduled', label: '5 min old (run by hand)' });
    expect(lagOf(null, 24 * H, now)).toMatchObject({ level: 'no-replica', ageMs: null });
    expect(lagOf(undefined, 24 * H, now).level).toBe('unknown');
  });

  it('formats ages in the unit an admin reads', () => {
    expect(formatAge(20_000)).toBe('under a minute');
    expect(formatAge(89 * 60_000)).toBe('89 min');
    expect(formatAge(47 * H)).toBe('47 h');
    expect(formatAge(50 * H)).toBe('2 d');
  });

  it('filters problems: failed, late and stale', () => {
    expect(matchesStateFilter('problems', 'FAILED', 'on-time')).toBe(true);
    expect(matchesStateFilter('problems', 'FINISHED', 'stale')).toBe(true);
    expect(matchesStateFilter('problems', 'FINISHED', 'on-time')).toBe(false);
    expect(matchesStateFilter('RUNNING', 'RUNNING', 'unknown')).toBe(true);
    expect(matchesStateFilter('all', 'PENDING', 'no-replica')).toBe(true);
  });
});

describe('destination names', () => {
  it("follows the engine: the parent plus the source's last name part", () => {
    expect(destinationOf({ destinationParent: 'backup/nas-a' }, 'tank/docs/projects')).toBe('backup/nas-a/projects');
    expect(destinationOf({ destinationParent: 'backup' }, 'tank')).toBe('backup/tank');
  });
});
