import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileLastTickStore, schedulerStatePath } from '../../../../../electron/services/schedules/last-tick.ts';
import {
  TaskScheduler,
  describeMissedTimes,
  missedCountLimit,
  scheduledTimesBetween,
  type LastTickStore,
  type ScheduledJob,
  type ScheduledRun,
} from '../../../../../electron/services/schedules/task-scheduler.ts';

// After sleep or a long shutdown each missed schedule runs once (not once per missed time) and its run is told so;
// with a fake clock, no timers.

function clock(start: string) {
  let now = new Date(start);
  return { now: () => now, set: (iso: string) => (now = new Date(iso)) };
}

function memoryTicks(initial: string | null): LastTickStore & { value: Date | null } {
  const store = {
    value: initial === null ? null : new Date(initial),
    read: () => store.value,
    write: (at: Date) => {
      store.value = at;
    },
  };
  return store;
}

function recordingJob(key: string, expression: string, runs: Array<{ key: string } & ScheduledRun>): ScheduledJob {
  return { key, schedule: { kind: 'cron', expression }, run: async (context) => void runs.push({ key, ...context }) };
}

const schedulers: TaskScheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
});

async function started(options: ConstructorParameters<typeof TaskScheduler>[0]): Promise<TaskScheduler> {
  const scheduler = new TaskScheduler({ intervalMs: 3_600_000, ...options });
  schedulers.push(scheduler);
  await scheduler.start();
  return scheduler;
}

describe('catch-up after sleep or a shutdown', () => {
  it('a long shutdown: each job runs once at start, told how many times it missed; an on-time job is not a catch-up', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    // The last scheduler of this folder ticked at 01:59:50; the computer was off until 10:00:30.
    const ticks = memoryTicks('2026-11-22T01:59:50Z');
    const runs: Array<{ key: string } & ScheduledRun> = [];
    const scheduler = await started({
      now: time.now,
      lastTick: ticks,
      jobs: () => [recordingJob('every-15', '*/15 * * * *', runs), recordingJob('daily-2am', '0 2 * * *', runs), recordingJob('hourly', '0 * * * *', runs)],
    });
    expect(scheduler.tick().sort()).toEqual(['daily-2am', 'every-15', 'hourly']);
    await scheduler.drain();
    const byKey = Object.fromEntries(runs.map((r) => [r.key, r]));
    // 02:00 … 10:00 every 15 minutes: 33 times, one run.
    expect(byKey['every-15']!.missed).toEqual({ count: 33, capped: false, first: new Date('2026-11-22T02:00:00Z'), last: new Date('2026-11-22T10:00:00Z') });
    expect(byKey['every-15']!.scheduledFor).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(byKey['hourly']!.missed?.count).toBe(9);
    // One missed time, 8 hours late: still a catch-up.
    expect(byKey['daily-2am']!.missed).toMatchObject({ count: 1, first: new Date('2026-11-22T02:00:00Z') });
    expect(runs).toHaveLength(3);
    expect(ticks.value).toEqual(time.now());

    // The next times are ordinary runs again: on time, no catch-up.
    runs.length = 0;
    time.set('2026-11-22T10:15:10Z');
    expect(scheduler.tick()).toEqual(['every-15']);
    await scheduler.drain();
    expect(runs).toEqual([{ key: 'every-15', scheduledFor: new Date('2026-11-22T10:15:00Z'), missed: null }]);
  });

  it('sleep while running: the tick after waking runs each job once and says what it missed', async () => {
    const time = clock('2026-11-22T10:00:05Z');
    const runs: Array<{ key: string } & ScheduledRun> = [];
    const scheduler = await started({ now: time.now, lastTick: memoryTicks(null), jobs: () => [recordingJob('every-minute', '* * * * *', runs)] });
    time.set('2026-11-22T10:00:20Z');
    expect(scheduler.tick()).toEqual([]);
    // The laptop lid closed for 3 h 10 min.
    time.set('2026-11-22T13:10:40Z');
    expect(scheduler.tick()).toEqual(['every-minute']);
    await scheduler.drain();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.missed).toMatchObject({ count: 190, first: new Date('2026-11-22T10:01:00Z'), last: new Date('2026-11-22T13:10:00Z') });
    expect(describeMissedTimes(runs[0]!.missed!)).toBe(
      'Catch-up: 190 scheduled times were missed (2026-11-22T10:01:00.000Z to 2026-11-22T13:10:00.000Z) while this computer slept or nothing ran the schedules; running once now, not once per missed time.',
    );
  });

  it('a first start (nothing remembered) makes up nothing', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    const runs: Array<{ key: string } & ScheduledRun> = [];
    const scheduler = await started({ now: time.now, lastTick: memoryTicks(null), jobs: () => [recordingJob('every-minute', '* * * * *', runs)] });
    time.set('2026-11-22T10:00:50Z');
    expect(scheduler.tick()).toEqual([]);
    time.set('2026-11-22T10:01:02Z');
    expect(scheduler.tick()).toEqual(['every-minute']);
    await scheduler.drain();
    expect(runs[0]!.missed).toBeNull();
  });

  it('a clock that went backwards (remembered tick in the future) starts from now', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    const runs: Array<{ key: string } & ScheduledRun> = [];
    const scheduler = await started({ now: time.now, lastTick: memoryTicks('2027-01-01T00:00:00Z'), jobs: () => [recordingJob('every-minute', '* * * * *', runs)] });
    time.set('2026-11-22T10:00:40Z');
    expect(scheduler.tick()).toEqual([]);
  });

  it('a job still running is not started again by the catch-up, and a paused schedule starts nothing nor makes it up later', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    let paused = false;
    let finish!: () => void;
    let starts = 0;
    const slow: ScheduledJob = {
      key: 'slow',
      schedule: { kind: 'cron', expression: '* * * * *' },
      run: () => {
        starts++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const scheduler = await started({ now: time.now, lastTick: memoryTicks('2026-11-22T09:00:00Z'), paused: () => paused, jobs: () => [slow] });
    expect(scheduler.tick()).toEqual(['slow']);
    expect(scheduler.runningJobs()).toEqual(['slow']);
    time.set('2026-11-22T10:05:00Z');
    expect(scheduler.tick()).toEqual([]);
    finish();
    await scheduler.drain();
    paused = true;
    time.set('2026-11-22T11:00:00Z');
    expect(scheduler.tick()).toEqual([]);
    paused = false;
    time.set('2026-11-22T11:00:30Z');
    expect(scheduler.tick()).toEqual([]);
    time.set('2026-11-22T11:01:05Z');
    expect(scheduler.tick()).toEqual(['slow']);
    expect(starts).toBe(2);
    finish();
    await scheduler.drain();
  });

  it('stopTicking starts nothing more; drain waits for the runs in flight', async () => {
    const time = clock('2026-11-22T10:00:30Z');
    let finish!: () => void;
    const scheduler = await started({
      now: time.now,
      lastTick: memoryTicks(null),
      jobs: () => [{ key: 'slow', schedule: { kind: 'cron', expression: '* * * * *' }, run: () => new Promise<void>((resolve) => (finish = resolve)) }],
    });
    time.set('2026-11-22T10:01:01Z');
    expect(scheduler.tick()).toEqual(['slow']);
    scheduler.stopTicking();
    let drained = false;
    const draining = scheduler.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    finish();
    await draining;
    expect(scheduler.runningJobs()).toEqual([]);
  });
});

describe('scheduledTimesBetween', () => {
  it('counts the times in (since, now], null when none', () => {
    expect(scheduledTimesBetween({ expression: '0 * * * *' }, new Date('2026-11-22T10:00:00Z'), new Date('2026-11-22T10:59:59Z'))).toBeNull();
    expect(scheduledTimesBetween({ expression: '0 * * * *' }, new Date('2026-11-22T10:00:00Z'), new Date('2026-11-22T11:00:00Z'))).toMatchObject({ count: 1 });
  });

  it('stops counting at the limit (a month of a per-minute schedule) yet finds the latest time quickly', () => {
    const started = performance.now();
    const times = scheduledTimesBetween({ expression: '* * * * *' }, new Date('2026-10-01T00:00:00Z'), new Date('2026-11-01T00:00:30Z'))!;
    expect(performance.now() - started).toBeLessThan(2000);
    expect(times).toMatchObject({ count: missedCountLimit, capped: true, first: new Date('2026-10-01T00:01:00Z'), last: new Date('2026-11-01T00:00:00Z') });
    expect(describeMissedTimes(times)).toContain(`${missedCountLimit} or more scheduled times were missed`);
    const sparse = scheduledTimesBetween({ expression: '30 4 * * 1' }, new Date('2000-01-01T00:00:00Z'), new Date('2026-11-22T00:00:00Z'))!;
    expect(sparse).toMatchObject({ count: missedCountLimit, capped: true, last: new Date('2026-11-16T04:30:00Z') });
  });
});

describe('the remembered tick on disk', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through scheduler-state.json (0600); a missing or unreadable file reads as nothing', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'zrd-tick-'));
    const store = fileLastTickStore(dir);
    expect(store.read()).toBeNull();
    store.write(new Date('2026-11-22T10:00:00Z'));
    expect(store.read()).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(JSON.parse(readFileSync(schedulerStatePath(dir), 'utf8'))).toEqual({ lastTick: '2026-11-22T10:00:00.000Z' });
    writeFileSync(schedulerStatePath(dir), 'not json');
    expect(store.read()).toBeNull();
  });
});
