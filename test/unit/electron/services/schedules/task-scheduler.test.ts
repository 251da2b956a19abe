import { describe, expect, it } from 'vitest';
import { TaskScheduler, type ScheduledJob } from '../../../../../electron/services/schedules/task-scheduler.ts';

function clock(start: string) {
  let now = new Date(start);
  return { now: () => now, set: (iso: string) => (now = new Date(iso)) };
}

describe('TaskScheduler', () => {
  it('starts a job when its cron time passes, once, and not manual ones', async () => {
    const time = clock('2026-11-22T10:02:00Z');
    const runs: string[] = [];
    const jobs: ScheduledJob[] = [
      { key: 'every-5', schedule: { kind: 'cron', expression: '*/5 * * * *' }, run: async () => runs.push('every-5') },
      { key: 'manual', schedule: { kind: 'manual' }, run: async () => runs.push('manual') },
    ];
    const scheduler = new TaskScheduler({ jobs: () => jobs, now: time.now });
    time.set('2026-11-22T10:04:59Z');
    expect(scheduler.tick()).toEqual([]);
    time.set('2026-11-22T10:05:10Z');
    expect(scheduler.tick()).toEqual(['every-5']);
    time.set('2026-11-22T10:05:40Z');
    expect(scheduler.tick()).toEqual([]);
    await Promise.resolve();
    expect(runs).toEqual(['every-5']);
  });

  it('never overlaps a job with itself: a run still going at the next time is skipped', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    let finish!: () => void;
    let starts = 0;
    const job: ScheduledJob = {
      key: 'slow',
      schedule: { kind: 'cron', expression: '* * * * *' },
      run: () => {
        starts++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const scheduler = new TaskScheduler({ jobs: () => [job], now: time.now });
    time.set('2026-11-22T10:01:05Z');
    expect(scheduler.tick()).toEqual(['slow']);
    time.set('2026-11-22T10:02:05Z');
    expect(scheduler.tick()).toEqual([]);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    time.set('2026-11-22T10:03:05Z');
    expect(scheduler.tick()).toEqual(['slow']);
    expect(starts).toBe(2);
  });

  it('reports a failing job and a bad expression instead of throwing', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    const errors: string[] = [];
    const jobs: ScheduledJob[] = [
      { key: 'broken', schedule: { kind: 'cron', expression: '61 * * * *' }, run: async () => undefined },
      { key: 'fails', schedule: { kind: 'cron', expression: '* * * * *' }, run: async () => Promise.reject(new Error('nas down')) },
    ];
    const scheduler = new TaskScheduler({ jobs: () => jobs, now: time.now, onError: (key, error) => errors.push(`${key}: ${(error as Error).message}`) });
    time.set('2026-11-22T10:01:05Z');
    scheduler.tick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([expect.stringContaining('broken: "61"'), 'fails: nas down']);
  });
});

describe('TaskScheduler reading its jobs from a settings file that breaks', () => {
  it('a failing jobs() is reported once and the jobs last read still run; nothing throws out of a tick', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    const errors: string[] = [];
    const runs: string[] = [];
    let broken = false;
    const scheduler = new TaskScheduler({
      jobs: () => {
        if (broken) throw new SyntaxError('Unexpected end of JSON input');
        return [{ key: 'hourly', schedule: { kind: 'cron', expression: '0 * * * *' }, run: async () => runs.push('hourly') }];
      },
      now: time.now,
      onError: (key, error) => errors.push(`${key}: ${(error as Error).message}`),
    });
    time.set('2026-11-22T10:30:00Z');
    expect(scheduler.tick()).toEqual([]);
    broken = true;
    time.set('2026-11-22T10:45:00Z');
    expect(scheduler.tick()).toEqual([]);
    time.set('2026-11-22T11:00:05Z');
    expect(scheduler.tick()).toEqual(['hourly']);
    expect(errors).toEqual(['schedules: Unexpected end of JSON input']);
    await Promise.resolve();
    expect(runs).toEqual(['hourly']);
  });

  it('a job that throws synchronously is reported, not thrown', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    const errors: string[] = [];
    const scheduler = new TaskScheduler({
      jobs: () => [{ key: 'gone', schedule: { kind: 'cron', expression: '* * * * *' }, run: () => { throw new Error('no such task'); } }],
      now: time.now,
      onError: (key, error) => errors.push(`${key}: ${(error as Error).message}`),
    });
    time.set('2026-11-22T10:01:05Z');
    expect(scheduler.tick()).toEqual(['gone']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['gone: no such task']);
  });
});
