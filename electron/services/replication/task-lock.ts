import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { AppFailure } from '../../../shared/result.ts';
import type { CommandRunner } from '../ssh/command-runner.ts';

// A run of a task never overlaps another run of the same task, whoever started it (the app, the CLI, cron on
// another machine). Two locks: one in this process (cheap, immediate), and one on the source NAS that every
// runner shares: a shell there holds flock(1) (Linux) or lockf(1) (FreeBSD) on a file for as long as our ssh
// channel stays open. If the app dies or the network drops, sshd closes the channel, the shell exits and the
// kernel frees the lock: a dead run cannot leave a stale lock behind. The owner line written beside the lock says
// who holds it, for the "busy" message and the doctor.

const lockedHere = new Map<string, string>();

/** Exit status the lock script uses for "held by someone else" (EX_TEMPFAIL). */
const busyExit = 75;

const lockScript = `
lock=$1; owner=$2
umask 077
if command -v flock >/dev/null 2>&1; then
  exec 9>>"$lock" || exit 70
  if ! flock -n 9; then cat "$lock.owner" 2>/dev/null; exit ${busyExit}; fi
  printf '%s\\n' "$owner" > "$lock.owner"
  echo locked
  cat >/dev/null
  rm -f "$lock.owner"
elif command -v lockf >/dev/null 2>&1; then
  lockf -s -t 0 "$lock" sh -c 'printf "%s\\n" "$2" > "$1.owner"; echo locked; cat >/dev/null; rm -f "$1.owner"' sh "$lock" "$owner" || { cat "$lock.owner" 2>/dev/null; exit ${busyExit}; }
else
  echo "neither flock nor lockf is installed" >&2; exit 69
fi
`;

export function remoteLockPath(taskId: string): string {
  if (!/^[0-9a-f-]{36}$/.test(taskId)) throw new AppFailure('INVALID_REQUEST', `Invalid task id "${taskId}".`);
  return `/tmp/zfs-replication-${taskId}.lock`;
}

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  taskId: string;
  taskName: string;
  /** Where the lock lives: the source NAS. */
  runner: CommandRunner;
  /** Who is running, e.g. "app" or "cli". */
  by: string;
  signal?: AbortSignal;
}

export async function acquireTaskLock(options: LockOptions): Promise<HeldLock> {
  const { taskId, taskName, runner } = options;
  const holder = lockedHere.get(taskId);
  if (holder) {
    throw new AppFailure('BUSY', `Task "${taskName}" is already running (${holder}).`, 'Wait for that run to finish, or cancel it, then try again.');
  }
  const owner = `${options.by} on ${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
  lockedHere.set(taskId, `started by ${owner}`);

  const stdin = new PassThrough();
  let acquired!: () => void;
  const gotLock = new Promise<'locked'>((resolve) => (acquired = () => resolve('locked')));
  const running = runner.run(['sh', '-c', lockScript, 'sh', remoteLockPath(taskId), owner], {
    privileged: false,
    stdin,
    expectedExitCodes: [0, busyExit],
    ...(options.signal ? { signal: options.signal } : {}),
    onStdout: (chunk) => {
      if (chunk.toString('utf8').includes('locked')) acquired();
    },
  });
  let outcome: 'locked' | Awaited<typeof running>;
  try {
    outcome = await Promise.race([gotLock, running]);
  } catch (error) {
    lockedHere.delete(taskId);
    throw error;
  }
  if (outcome !== 'locked') {
    lockedHere.delete(taskId);
    const holderLine = outcome.stdout.trim();
    throw outcome.exitCode === busyExit
      ? new AppFailure('BUSY', `Task "${taskName}" is already running${holderLine ? `: started by ${holderLine}` : ' elsewhere'}.`, 'Wait for that run to finish (or stop it), then try again. Runs of one task never overlap.')
      : new AppFailure('INTERNAL', `Could not take the lock for task "${taskName}" on ${runner.label}.`);
  }
  return {
    release: async () => {
      stdin.end();
      await running.catch(() => undefined);
      lockedHere.delete(taskId);
    },
  };
}

export interface LockState {
  /** held: a run holds the lock now; free: nobody does; stale-owner: free, but a crashed run left its owner line. */
  state: 'held' | 'free' | 'stale-owner';
  /** Who holds it (or held it, for stale-owner): the owner line the run wrote. */
  owner: string | null;
}

// Probes the lock without taking it for longer than the probe: flock -n on a copy of the descriptor.
const inspectScript = `
lock=$1
owner=$(cat "$lock.owner" 2>/dev/null)
if [ ! -e "$lock" ]; then state=free
elif command -v flock >/dev/null 2>&1; then
  if flock -n "$lock" true; then state=free; else state=held; fi
elif command -v lockf >/dev/null 2>&1; then
  if lockf -s -t 0 "$lock" true; then state=free; else state=held; fi
else state=free
fi
printf '%s\\n%s\\n' "$state" "$owner"
`;

export async function inspectTaskLock(runner: CommandRunner, taskId: string, signal?: AbortSignal): Promise<LockState> {
  const { stdout } = await runner.run(['sh', '-c', inspectScript, 'sh', remoteLockPath(taskId)], { privileged: false, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  const [state = 'free', owner = ''] = stdout.split('\n');
  const held = state.trim() === 'held';
  return { state: held ? 'held' : owner.trim() ? 'stale-owner' : 'free', owner: owner.trim() || null };
}

/** Removes the lock file and its owner line, only while no run holds the lock (checked under the lock itself). */
export async function removeTaskLockFiles(runner: CommandRunner, taskId: string, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<{ removed: string[]; heldBy: string | null }> {
  const lock = remoteLockPath(taskId);
  const probe = await inspectTaskLock(runner, taskId, options.signal);
  if (probe.state === 'held') return { removed: [], heldBy: probe.owner ?? 'another run' };
  const script = options.dryRun
    ? 'for f in "$1" "$1.owner"; do [ -e "$f" ] && echo "$f"; done; exit 0'
    : // Under flock, so a run starting right now cannot be holding the file being removed.
      `remove='for f in "$1" "$1.owner"; do if [ -e "$f" ]; then rm -f "$f" && echo "$f"; fi; done; exit 0'
if command -v flock >/dev/null 2>&1 && [ -e "$1" ]; then exec flock -n -E ${busyExit} "$1" sh -c "$remove" sh "$1"; fi
sh -c "$remove" sh "$1"`;
  const { stdout, exitCode } = await runner.run(['sh', '-c', script, 'sh', lock], { privileged: false, timeoutMs: 30_000, expectedExitCodes: [0, busyExit], ...(options.signal ? { signal: options.signal } : {}) });
  if (exitCode === busyExit) return { removed: [], heldBy: 'a run that just started' };
  return { removed: stdout.split('\n').filter(Boolean), heldBy: null };
}
