import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchedulerLock, describeHolder, type SchedulerHolder } from '../../../../../electron/services/schedules/scheduler-lock.ts';
import { TaskScheduler, type SchedulerStatus } from '../../../../../electron/services/schedules/task-scheduler.ts';

// One scheduler per settings folder, across real processes: the second says who holds it, a dead holder's lock is
// taken over at once, a released one at the next retry.

const holderScript = path.join(import.meta.dirname, 'fixtures', 'scheduler-holder.ts');
let dir: string;
const children: ChildProcess[] = [];
const locks: SchedulerLock[] = [];
const schedulers: TaskScheduler[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-scheduler-'));
});
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
  for (const lock of locks.splice(0)) await lock.release();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts another process that takes the lock; resolves with its first line ("held" or "standby"). */
function otherProcess(program: string): Promise<{ child: ChildProcess; said: string }> {
  const child = spawn(process.execPath, [holderScript, dir, program], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (data: Buffer) => resolve({ child, said: data.toString().trim() }));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

function lock(program: string, staleMs = 4000): SchedulerLock {
  const made = new SchedulerLock(dir, { program, staleMs });
  locks.push(made);
  return made;
}

// Child processes start in 1-4 s on a loaded machine.
describe('SchedulerLock', { timeout: 60_000 }, () => {
  it('a second process does not get it and is told who holds it: program, pid, since when', async () => {
    const { child, said } = await otherProcess('bridge');
    expect(said).toBe('held');
    const result = await lock('app').acquire();
    expect(result).toEqual({ acquired: false, holder: { pid: child.pid, program: 'bridge', host: hostname(), since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    const holder = (result as { holder: SchedulerHolder }).holder;
    expect(describeHolder(holder)).toBe(`the bridge (pid ${child.pid}) since ${holder.since}`);
    expect(statSync(path.join(dir, 'scheduler.json')).mode & 0o777).toBe(0o600);
  });

  it('a holder killed outright (SIGKILL: no clean-up) does not leave it stale: the next process takes it at once', async () => {
    const { child } = await otherProcess('daemon');
    child.kill('SIGKILL');
    await exited(child);
    const mine = lock('app');
    expect(await mine.acquire()).toEqual({ acquired: true });
    expect(mine.holder()).toMatchObject({ pid: process.pid, program: 'app' });
    // And the other way round: a process started now stands by.
    expect((await otherProcess('bridge')).said).toBe('standby');
  });

  it('a lock nobody refreshes (a holder on another machine that died) is taken over after the stale time', async () => {
    mkdirSync(path.join(dir, 'scheduler.lock'));
    writeFileSync(path.join(dir, 'scheduler.json'), JSON.stringify({ pid: 1, program: 'daemon', host: 'elsewhere', since: '2026-01-01T00:00:00.000Z' }));
    expect(await lock('app', 2000).acquire()).toMatchObject({ acquired: false, holder: { host: 'elsewhere' } });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'scheduler.lock'), old, old);
    expect(await lock('app', 2000).acquire()).toEqual({ acquired: true });
  });

  it('release removes the lock and the holder file', async () => {
    const mine = lock('app');
    await mine.acquire();
    await mine.release();
    expect(() => statSync(path.join(dir, 'scheduler.lock'))).toThrow();
    expect(mine.holder()).toBeNull();
    expect(await lock('bridge').acquire()).toEqual({ acquired: true });
  });
});

describe('TaskScheduler with the settings folder lock', { timeout: 60_000 }, () => {
  function scheduler(program: string, events: string[]) {
    const made = new TaskScheduler({
      jobs: () => [],
      lock: new SchedulerLock(dir, { program, staleMs: 4000 }),
      standbyRetryMs: 100,
      onStandby: (holder) => events.push(`standby: ${holder?.program ?? 'unknown'} ${holder?.pid ?? ''}`),
      onActive: () => events.push('active'),
    });
    schedulers.push(made);
    return made;
  }

  it('the second stands by saying who holds it, and takes over when the holder stops', async () => {
    const events: string[] = [];
    const first = scheduler('app', []);
    expect(await first.start()).toEqual({ state: 'running' });
    const second = scheduler('bridge', events);
    const status = await second.start();
    expect(status).toMatchObject({ state: 'standby', holder: { program: 'app', pid: process.pid } });
    expect(events).toEqual([`standby: app ${process.pid}`]);
    // Retrying does not repeat the message.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(events).toHaveLength(1);
    await first.stop();
    await expect.poll(() => second.status(), { timeout: 20_000 }).toEqual({ state: 'running' } satisfies SchedulerStatus);
    expect(events).toEqual([`standby: app ${process.pid}`, 'active']);
  });

  it('takes over from another process that exits cleanly', async () => {
    const { child } = await otherProcess('bridge');
    const events: string[] = [];
    const mine = scheduler('app', events);
    expect((await mine.start()).state).toBe('standby');
    child.kill('SIGTERM');
    await exited(child);
    await expect.poll(() => mine.status().state, { timeout: 20_000 }).toBe('running');
    expect(events).toEqual([`standby: bridge ${child.pid}`, 'active']);
  });

  it('stop while standing by ends the retries', async () => {
    const first = scheduler('app', []);
    await first.start();
    const second = scheduler('bridge', []);
    await second.start();
    await second.stop();
    await first.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second.status()).toEqual({ state: 'stopped' });
  });
});
