import type { Readable, Writable } from 'node:stream';
import { AppFailure } from '../../../shared/result.ts';
import { quoteName } from '../../../shared/zfs-names.ts';

// The one seam through which every remote command runs. ZFS services depend only on this file; unit tests mock
// `CommandRunner`, integration tests use the real ssh2-backed runner (ssh-command-runner.ts).

export interface RunOptions {
  /** Exit codes that count as success; default [0]. Others throw an AppFailure mapped from stderr. */
  expectedExitCodes?: readonly number[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes or a stream to feed the remote command's stdin (ended when done). */
  stdin?: string | Buffer | Readable;
  /** Live stdout chunks (e.g. zfs send -P progress); stdout is still collected unless `stdoutTo` is given. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Pipe stdout here instead of collecting it (zfs send streams). */
  stdoutTo?: Writable;
  /** false: run as the login user even when the connection uses sudo (e.g. writing ~/.ssh). Default true. */
  privileged?: boolean;
  /**
   * The channel opens at once (the NAS starts its session and shell, the slow part of a first command), but the
   * command starts only once this is fulfilled; rejected, it never starts and the run fails with that error. For a
   * command that must not begin before something else (the destination's listing waits for the task lock).
   * Commands with `stdin` cannot be gated.
   */
  startWhen?: Promise<unknown>;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** How a command that ran inside another command's script ended: what it printed, its exit status, how long it took. */
export type EmbeddedOutcome = { exitCode: number; stdout: string; stderr: string; durationMs: number } | { error: unknown; durationMs: number };

/**
 * A command run inside another command's shell script on the same NAS (one channel, one round trip, instead of
 * two): the task lock's shell lists the source right after it takes the lock. `run` stays the one way a command
 * is judged: `settle` applies the caller's expected exit codes, maps stderr to the same typed error and records the
 * command in the app log like `run` does.
 */
export interface EmbeddedCommand {
  /** The command line for the other script to `eval`, quoted, with the privilege and locale `run` would apply. */
  readonly line: string;
  /** The result `run` would have returned, or throws the failure `run` would have thrown. */
  settle(outcome: EmbeddedOutcome, options?: Pick<RunOptions, 'expectedExitCodes'>): RunResult;
}

/** One NAS, one authenticated (pooled) connection, privilege already decided. */
export interface CommandRunner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Human label for logs and errors, e.g. "admin@nas-a:2222". */
  readonly label: string;
  /**
   * Optional: prepares `argv` to run inside another command's script (see EmbeddedCommand); `via` says inside what,
   * for the log. Runners without it simply run every command on its own.
   */
  embed?(argv: readonly string[], options: { via: string; privileged?: boolean }): EmbeddedCommand;
}

/** Arguments made only of these characters need no quoting; bare words keep logs readable. */
const safeBareword = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * POSIX single-quoting: inside '...' nothing is special, so the only character to handle is the quote itself,
 * closed, escaped and reopened: it's -> 'it'\''s'. The remote login shell (sh, bash, zsh) reads it literally.
 */
export function shellQuote(arg: string): string {
  // The schemas refuse NUL in every value that reaches a NAS; this is the last guard, named like theirs.
  if (arg.includes('\0')) {
    throw new AppFailure('INVALID_REQUEST', `A command argument ${quoteName(arg)} contains a NUL character (U+0000), which no shell argument can hold.`, 'Remove the NUL character from the value.');
  }
  if (safeBareword.test(arg)) return arg;
  return singleQuote(arg);
}

function singleQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The exact string sent as the ssh exec request: every argument quoted, joined by single spaces. */
export function buildCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('A remote command needs at least the program name.');
  // A bare `a=b` first word would be read as a variable assignment, not as the program: quote it.
  return argv
    .map((arg, index) => {
      const quoted = shellQuote(arg);
      return index === 0 && quoted === arg && arg.includes('=') ? singleQuote(arg) : quoted;
    })
    .join(' ');
}
