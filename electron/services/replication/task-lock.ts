import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { AppFailure } from '../../../shared/result.ts';
import type { CommandRunner, EmbeddedOutcome, RunOptions, RunResult } from '../ssh/command-runner.ts';

// A run of a task never overlaps another run of the same task, whoever started it (the app, the CLI, cron on
// another machine). Two locks: one in this process (cheap, immediate), and one on the source NAS that every
// runner shares: a shell there holds flock(1) (Linux) or lockf(1) (FreeBSD) on a file for as long as our ssh
// channel stays open. If the app dies or the network drops, sshd closes the channel, the shell exits and the
// kernel frees the lock: a dead run cannot leave a stale lock behind. The owner line written beside the lock says
// who holds it, for the "busy" message and the doctor.

const lockedHere = new Map<string, string>();

/** Exit status the lock script uses for "held by someone else" (EX_TEMPFAIL). */
const busyExit = 75;

// The lock script: $1 the lock file, $2 the owner line, $3 a nonce, then command lines to run while the lock is
// held, before waiting (the run's source listing: the same channel, one round trip less per cycle, and the listing
// is taken under the lock, never while another run changes the datasets). Each one's stdout is followed by a line
// "<nonce> exit <status>" and its stderr by "<nonce> end", each after a newline of its own, so that the app can
// tell them apart from what the command printed (the nonce is random: no listing contains it).
const heldScript = `lock=$1; owner=$2; nonce=$3; shift 3
printf '%s\\n' "$owner" > "$lock.owner"
printf 'locked %s\\n' "$nonce"
for command in "$@"; do
  (eval "$command") </dev/null
  status=$?
  printf '\\n%s exit %s\\n' "$nonce" "$status"
  printf '\\n%s end\\n' "$nonce" >&2
done
cat >/dev/null
rm -f "$lock.owner"`;

const lockScript = `
lock=$1; owner=$2; held=$3; nonce=$4; shift 4
umask 077
if command -v flock >/dev/null 2>&1; then
  exec 9>>"$lock" || exit 70
  if ! flock -n 9; then cat "$lock.owner" 2>/dev/null; exit ${busyExit}; fi
  # This shell holds the lock (fd 9): the held script runs in it (one process start less than a new sh).
  set -- "$lock" "$owner" "$nonce" "$@"
  eval "$held"
elif command -v lockf >/dev/null 2>&1; then
  lockf -s -t 0 "$lock" sh -c "$held" sh "$lock" "$owner" "$nonce" "$@" || { cat "$lock.owner" 2>/dev/null; exit ${busyExit}; }
else
  echo "neither flock nor lockf is installed" >&2; exit 69
fi
`;

export function remoteLockPath(taskId: string): string {
  if (!/^[0-9a-f-]{36}$/.test(taskId)) throw new AppFailure('INVALID_REQUEST', `Invalid task id "${taskId}".`);
  return `/tmp/zfs-replication-${taskId}.lock`;
}

/** Commands the lock's shell ran right after taking the lock; each answered once, as the runner would answer it. */
export interface PrefetchedCommands {
  /** The result of `argv` if it was prefetched and not taken yet (settled with the caller's options), else null. */
  take(argv: readonly string[], options?: RunOptions): Promise<RunResult> | null;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Null when nothing was prefetched (none asked, or a runner that cannot embed commands). */
  prefetched: PrefetchedCommands | null;
}

export interface LockOptions {
  taskId: string;
  taskName: string;
  /** Where the lock lives: the source NAS. */
  runner: CommandRunner;
  /** Who is running, e.g. "app" or "cli". */
  by: string;
  signal?: AbortSignal;
  /**
   * Commands to run in the lock's channel as soon as the lock is held (the run's source listing), when the runner
   * can embed them; each is then judged and logged as the runner judges and logs a command of its own.
   */
  prefetch?: ReadonlyArray<readonly string[]>;
}

export async function acquireTaskLock(options: LockOptions): Promise<HeldLock> {
  const { taskId, taskName, runner } = options;
  const holder = lockedHere.get(taskId);
  if (holder) {
    throw new AppFailure('BUSY', `Task "${taskName}" is already running (${holder}).`, 'Wait for that run to finish, or cancel it, then try again.');
  }
  const owner = `${options.by} on ${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
  lockedHere.set(taskId, `started by ${owner}`);

  const nonce = `zrd-${randomBytes(12).toString('hex')}`;
  const embedded = runner.embed ? (options.prefetch ?? []).map((argv) => ({ argv, command: runner.embed!(argv, { via: 'the task lock' }) })) : [];
  const frames = new FrameReader(nonce, embedded.length);
  const stdin = new PassThrough();
  const running = runner.run(['sh', '-c', lockScript, 'sh', remoteLockPath(taskId), owner, heldScript, nonce, ...embedded.map((e) => e.command.line)], {
    privileged: false,
    stdin,
    expectedExitCodes: [0, busyExit],
    ...(options.signal ? { signal: options.signal } : {}),
    onStdout: (chunk) => frames.stdout(chunk),
    onStderr: (chunk) => frames.stderr(chunk),
  });
  // Whatever the lock's channel ends with, a command it had not finished ends with it.
  running.then(
    () => frames.end(new AppFailure('REMOTE_COMMAND_FAILED', `${runner.label}: the task lock's shell ended before the commands it was running.`)),
    (error: unknown) => frames.end(error),
  );
  let outcome: 'locked' | Awaited<typeof running>;
  try {
    outcome = await Promise.race([frames.locked, running]);
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
  const taken = new Set<number>();
  const settle = (index: number, runOptions: RunOptions = {}) => frames.outcome(index).then((done) => embedded[index]!.command.settle(done, runOptions));
  return {
    prefetched:
      embedded.length === 0
        ? null
        : {
            take: (argv, runOptions) => {
              const index = embedded.findIndex((e, i) => !taken.has(i) && sameArgv(e.argv, argv));
              if (index === -1) return null;
              taken.add(index);
              return settle(index, runOptions);
            },
          },
    release: async () => {
      stdin.end();
      await running.catch(() => undefined);
      // A prefetched command nobody took (the run stopped before planning) still ran: it is logged all the same.
      await Promise.all(embedded.map((_, index) => (taken.has(index) ? undefined : settle(index).catch(() => undefined))));
      lockedHere.delete(taskId);
    },
  };
}

const sameArgv = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((word, i) => word === b[i]);

interface Slot {
  promise: Promise<EmbeddedOutcome>;
  resolve: (outcome: EmbeddedOutcome) => void;
  stdout?: string;
  exitCode?: number;
  stderr?: string;
}

/**
 * Reads the lock script's stdout and stderr: "locked <nonce>" first, then each embedded command's output up to its
 * markers. A listing can be megabytes: chunks are kept as they come, and only the last marker's length of bytes is
 * searched again when the next chunk arrives.
 */
class FrameReader {
  readonly locked: Promise<'locked'>;
  readonly #nonce: string;
  readonly #exitMarker: Buffer;
  readonly #endMarker: Buffer;
  readonly #outcomes: Slot[];
  #onLocked!: () => void;
  #phase: 'lock' | 'commands' | 'other' = 'lock';
  #head: Buffer = Buffer.alloc(0);
  #body: Buffer[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #stdoutIndex = 0;
  #stderrIndex = 0;
  #stderr: Buffer = Buffer.alloc(0);
  #started = 0;

  constructor(nonce: string, count: number) {
    this.#nonce = nonce;
    this.#exitMarker = Buffer.from(`\n${nonce} exit `);
    this.#endMarker = Buffer.from(`\n${nonce} end\n`);
    this.locked = new Promise((resolve) => (this.#onLocked = () => resolve('locked')));
    this.#outcomes = Array.from({ length: count }, () => {
      let resolve!: (o: EmbeddedOutcome) => void;
      const promise = new Promise<EmbeddedOutcome>((r) => (resolve = r));
      return { promise, resolve };
    });
  }

  outcome(index: number): Promise<EmbeddedOutcome> {
    return this.#outcomes[index]!.promise;
  }

  stdout(chunk: Buffer): void {
    if (this.#phase === 'other') return;
    if (this.#phase === 'lock') {
      this.#head = Buffer.concat([this.#head, chunk]);
      const newline = this.#head.indexOf(0x0a);
      if (newline === -1) {
        if (this.#head.length > 256) this.#phase = 'other';
        return;
      }
      // Exactly this line: an owner line printed by a busy lock (its hostname could say "locked") is not it.
      if (this.#head.subarray(0, newline).toString('latin1') !== `locked ${this.#nonce}`) {
        this.#phase = 'other';
        return;
      }
      this.#phase = 'commands';
      this.#started = performance.now();
      this.#onLocked();
      chunk = this.#head.subarray(newline + 1);
      this.#head = Buffer.alloc(0);
    }
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (;;) {
      const at = data.indexOf(this.#exitMarker);
      if (at === -1) {
        // Keep what could be the start of a marker split across chunks.
        const keep = Math.min(data.length, this.#exitMarker.length - 1);
        this.#body.push(data.subarray(0, data.length - keep));
        this.#pending = data.subarray(data.length - keep);
        return;
      }
      const newline = data.indexOf(0x0a, at + this.#exitMarker.length);
      if (newline === -1) {
        this.#body.push(data.subarray(0, at));
        this.#pending = data.subarray(at);
        return;
      }
      this.#body.push(data.subarray(0, at));
      const slot = this.#outcomes[this.#stdoutIndex++];
      if (slot) {
        slot.stdout = Buffer.concat(this.#body).toString('utf8');
        slot.exitCode = Number(data.subarray(at + this.#exitMarker.length, newline).toString('latin1'));
        this.#complete(slot);
      }
      this.#body = [];
      data = data.subarray(newline + 1);
    }
  }

  stderr(chunk: Buffer): void {
    if (this.#phase !== 'commands') return;
    this.#stderr = Buffer.concat([this.#stderr, chunk]);
    for (let at = this.#stderr.indexOf(this.#endMarker); at !== -1; at = this.#stderr.indexOf(this.#endMarker)) {
      const slot = this.#outcomes[this.#stderrIndex++];
      if (slot) {
        slot.stderr = this.#stderr.subarray(0, at).toString('utf8');
        this.#complete(slot);
      }
      this.#stderr = this.#stderr.subarray(at + this.#endMarker.length);
    }
  }

  /** The lock's channel ended: a command whose markers did not all arrive failed with it. */
  end(error: unknown): void {
    for (const slot of this.#outcomes) slot.resolve({ error, durationMs: performance.now() - this.#started });
  }

  #complete(slot: Slot): void {
    if (slot.stdout === undefined || slot.stderr === undefined || slot.exitCode === undefined) return;
    const now = performance.now();
    slot.resolve({ exitCode: slot.exitCode, stdout: slot.stdout, stderr: slot.stderr, durationMs: now - this.#started });
    this.#started = now;
  }
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
