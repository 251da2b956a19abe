import type { ClientChannel } from 'ssh2';
import { Readable } from 'node:stream';
import { AppFailure, stderrOf, type AppErrorCode } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { buildCommandLine, type CommandRunner, type EmbeddedCommand, type EmbeddedOutcome, type RunOptions, type RunResult } from './command-runner.ts';
import { redactSecrets } from './redact.ts';
import { endpointLabel, targetLabel } from './ssh-connect.ts';
import type { ExecClient, LeasedChannel, PoolTarget, SshConnectionPool } from './ssh-connection-pool.ts';
import { failureFromStderr } from './stderr-error-table.ts';
import { sanitizeTerminalText } from '../../../shared/terminal-text.ts';

// The CommandRunner over ssh2: quoted argv in, exit code checked, stderr mapped to a typed failure.
// Every command runs under LC_ALL=C so the error table can read zfs's and sudo's messages in English.

export type Privilege = Connection['privilege'];

export interface RunnerLogEntry {
  level: 'debug' | 'info' | 'warn';
  source: string;
  message: string;
}

/** One remote command, as the app log records it: every command the app runs passes through a runner here. */
export interface RemoteCommandRecord {
  /** The connection, e.g. "admin@nas-a:22". */
  connection: string;
  /** The program and its verb, e.g. "zfs send", "zpool list", "sh": what the command is, at a glance. */
  name: string;
  /** The whole command line as run (secrets redacted, long lines cut). */
  command: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  /** 'ok' when it ended as expected, else the error code it failed with. */
  outcome: 'ok' | AppErrorCode;
  /** The last lines of its stderr, redacted ('' when it printed nothing). */
  stderr: string;
  /** Set when it ran inside another command's channel (no channel of its own), e.g. "the task lock". */
  via?: string;
}

/** "zfs send" for `zfs send -w ...`, "zpool list", "sh" for scripts; sudo and the env prefix left out. */
export function commandName(argv: readonly string[]): string {
  const words = argv[0] === 'env' && argv[1] === 'LC_ALL=C' ? argv.slice(2) : argv;
  const command = words[0] === 'sudo' && words[1] === '-n' ? words.slice(2) : words;
  const program = (command[0] ?? '').split('/').pop() ?? '';
  return ['zfs', 'zpool'].includes(program) && command[1] ? `${program} ${command[1]}` : program;
}

const recordedStderrBytes = 2048;
const recordedCommandChars = 2000;

function commandRecord(
  label: string,
  argv: readonly string[],
  shown: string,
  started: number,
  outcome: { result?: RunResult; error?: unknown },
  secrets: readonly string[],
): RemoteCommandRecord {
  const { result, error } = outcome;
  const appError = error instanceof AppFailure ? error.appError : null;
  const details = appError?.details as { exitCode?: number | null; signal?: string } | undefined;
  const stderr = result ? result.stderr : appError ? stderrOf(appError) : '';
  return {
    connection: label,
    name: commandName(argv),
    command: shown.length > recordedCommandChars ? `${shown.slice(0, recordedCommandChars)}… (${shown.length - recordedCommandChars} more characters)` : shown,
    durationMs: Math.round(performance.now() - started),
    exitCode: result ? result.exitCode : (details?.exitCode ?? null),
    signal: details?.signal ?? null,
    outcome: result ? 'ok' : (appError?.code ?? 'INTERNAL'),
    stderr: redactSecrets(stderr.length > recordedStderrBytes ? stderr.slice(-recordedStderrBytes) : stderr, secrets).trimEnd(),
  };
}

export interface SshRunnerTarget extends PoolTarget {
  privilege: Privilege;
}

/** Stderr kept for the error message: the tail is what explains a failure. */
const maxStderrBytes = 256 * 1024;

/** The words sent to the remote shell: sudo -n for privileged commands on a 'sudo' connection, LC_ALL=C for all. */
export function remoteArgv(argv: readonly string[], privilege: Privilege, privileged = true): string[] {
  const command = privileged && privilege === 'sudo' ? ['sudo', '-n', ...argv] : [...argv];
  // `env` works in any login shell (csh has no VAR=value prefix); sudo keeps LC_* by default.
  return ['env', 'LC_ALL=C', ...command];
}

/** What the log and error messages show: the command without the env prefix, secrets redacted. */
function displayCommand(argv: readonly string[], knownSecrets: readonly string[]): string {
  const shown = argv[0] === 'env' && argv[1] === 'LC_ALL=C' ? argv.slice(2) : argv;
  return redactSecrets(buildCommandLine(shown), knownSecrets);
}

/**
 * Every command runs as `sh -c WRAPPER sh WORD...`: the wrapper prints its PID on stderr, then execs the command
 * (same PID; it leads the session's process group, since sshd starts each session with setsid and a login
 * shell execs a lone command). The runner strips that first line and, to stop the command, kills that process
 * group over a second channel: sshd delivers the protocol's "signal" request only to non-root sessions.
 */
export const pidReportingWrapper = `printf 'zrd-pid:%s\\n' "$$" >&2; exec "$@"`;

const pidReportingLine = `printf 'zrd-pid:%s\\n' "$$" >&2; `;

/**
 * Each program start costs ~65 ms on a NAS under emulation (and real time on a small one), on every command: the
 * wrapper shell sets LC_ALL=C itself instead of exec'ing `env` for it, and a shell script (`sh -c SCRIPT …`, the
 * task lock) runs in the wrapper shell instead of a second sh. Same process, same group, same environment.
 */
export function wrapReportingPid(words: readonly string[], options: { gated?: boolean } = {}): string[] {
  // Gated: the shell waits for one line on stdin (the runner sends it when the command may start).
  let prelude = `${pidReportingLine}${options.gated ? 'read -r zrd_gate || exit 125; ' : ''}`;
  let command = words;
  if (command[0] === 'env' && command[1] === 'LC_ALL=C') {
    prelude += 'LC_ALL=C; export LC_ALL; ';
    command = command.slice(2);
  }
  if (command[0] === 'sh' && command[1] === '-c' && command[2] !== undefined) return ['sh', '-c', `${prelude}${command[2]}`, ...command.slice(3)];
  return ['sh', '-c', `${prelude}exec "$@"`, 'sh', ...command];
}

/** $1 signal name, $2 PID: the process group led by PID, or PID alone if it leads none. */
export const killScript = `kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null; exit 0`;

export type RemoteKiller = (pid: number, signal: 'TERM' | 'KILL') => void;

interface ChannelContext {
  label: string;
  username: string;
  /** Already redacted. */
  command: string;
  connectionAlive: () => boolean;
  /** True when the connection died of unanswered keepalives rather than being closed. */
  stoppedAnswering?: () => boolean;
  /** Set when the command line is wrapped by wrapReportingPid: kills the remote process group. */
  killRemote?: RemoteKiller;
}

const pidMarker = 'zrd-pid:';

type StopReason = { kind: 'timeout'; ms: number } | { kind: 'cancelled' };

/** How long a stopped command's channel may take to close before the run is settled anyway. */
const stopGraceMs = 3000;

/**
 * Asks sshd to signal the remote process group (OpenSSH delivers "signal" requests since 7.9). ssh2's
 * channel.signal() silently does nothing once our side of the channel is ended (stdin EOF), although the
 * protocol allows requests after EOF: then send it through ssh2's protocol object.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  try {
    if (channel.writable) {
      channel.signal(name);
      return;
    }
    const internals = channel as unknown as {
      type?: string;
      outgoing?: { id?: number; state?: string };
      _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
    };
    const id = internals.outgoing?.id;
    const protocol = internals._client?._protocol;
    const state = internals.outgoing?.state;
    // After our EOF ssh2 marks the outgoing side 'eof'; the channel is still open for requests.
    if (internals.type === 'session' && (state === 'open' || state === 'eof') && typeof id === 'number' && typeof protocol?.signal === 'function') {
      protocol.signal(id, name);
    }
  } catch {
    // the channel is already gone
  }
}

/** Runs one command on an open exec channel and resolves when the channel has closed. */
function driveChannel(channel: ClientChannel, options: RunOptions, context: ChannelContext, stop: AbortSignal, stopReason: () => StopReason | null): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const stdoutChunks: Buffer[] = [];
    let stderrChunks: Buffer[] = [];
    let stderrBytes = 0;
    let remotePid: number | null = null;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let sawExit = false;
    let localError: unknown = null;
    /** Why a gated command was never started (options.startWhen rejected). */
    let gateError: unknown = null;
    let settled = false;

    const closeChannel = () => {
      try {
        channel.close();
      } catch {
        // already closed
      }
    };
    const signalRemote = (name: 'TERM' | 'KILL') => {
      sendSignal(channel, name);
      if (remotePid !== null) context.killRemote?.(remotePid, name);
    };
    let stopping = false;
    const onStop = () => {
      if (stopping) return;
      stopping = true;
      // TERM first: sudo relays it to zfs, and zfs receive cleans up its partial state; KILL if still there.
      // Both through the channel (non-root sessions) and by PID over another channel (root sessions, where
      // sshd answers "session signalling requires privilege separation").
      signalRemote('TERM');
      setTimeout(() => {
        if (settled) return;
        signalRemote('KILL');
        closeChannel();
      }, 1000).unref?.();
      // sshd answers our close only once the command has exited: do not hold the caller longer than this.
      setTimeout(settle, stopGraceMs).unref?.();
    };
    stop.addEventListener('abort', onStop, { once: true });

    channel.on('data', (chunk: Buffer) => {
      if (!options.stdoutTo) stdoutChunks.push(chunk);
      options.onStdout?.(chunk);
    });
    if (options.stdoutTo) {
      const sink = options.stdoutTo;
      channel.pipe(sink);
      sink.on('error', (error) => {
        localError ??= error;
        closeChannel();
      });
    }
    const deliverStderr = (chunk: Buffer) => {
      stderrChunks.push(chunk);
      stderrBytes += chunk.length;
      if (stderrBytes > maxStderrBytes * 2) {
        const tail = Buffer.concat(stderrChunks).subarray(-maxStderrBytes);
        stderrChunks = [tail];
        stderrBytes = tail.length;
      }
      options.onStderr?.(chunk);
    };
    // The wrapper's first stderr line, "zrd-pid:N", is ours: take it out of what the caller sees.
    let head: Buffer | null = context.killRemote ? Buffer.alloc(0) : null;
    channel.stderr.on('data', (chunk: Buffer) => {
      if (head === null) return deliverStderr(chunk);
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const newline = text.indexOf('\n');
      const couldBeMarker = text.length < pidMarker.length ? pidMarker.startsWith(text) : text.startsWith(pidMarker);
      if (!couldBeMarker || head.length > 64) {
        const all = head;
        head = null;
        return deliverStderr(all);
      }
      if (newline === -1) return;
      const match = /^zrd-pid:(\d+)$/.exec(text.slice(0, newline));
      const rest = head.subarray(newline + 1);
      head = null;
      if (match) remotePid = Number(match[1]);
      if (rest.length > 0) deliverStderr(rest);
    });
    channel.on('exit', (code: number | null, signal?: string) => {
      sawExit = true;
      exitCode = typeof code === 'number' ? code : null;
      exitSignal = signal ?? null;
    });
    channel.on('error', (error: Error) => {
      localError ??= error;
    });
    channel.on('close', () => {
      // A channel that closes without an exit status may mean the connection died: ssh2 reports the
      // connection's close around the same moment, so look one turn later.
      if (sawExit) settle();
      else setImmediate(settle);
    });
    const settle = () => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onStop);
      if (head !== null && head.length > 0) deliverStderr(head);
      head = null;
      // The one place NAS text enters the app: escape sequences and control characters go here, so nothing a NAS
      // prints can drive the admin's terminal through the CLI, the logs or the UI (newlines and tabs stay).
      const stdout = sanitizeTerminalText(Buffer.concat(stdoutChunks).toString('utf8'));
      const stderr = sanitizeTerminalText(Buffer.concat(stderrChunks).toString('utf8'));
      if (gateError !== null) {
        reject(gateError);
        return;
      }
      const reason = stopReason();
      if (reason?.kind === 'timeout') {
        reject(
          new AppFailure('TIMEOUT', `${context.label}: "${context.command}" did not finish within ${Math.round(reason.ms / 1000)} s and was stopped.`, 'The NAS may be overloaded, or the command waits for something (a lock, a busy pool). Try again later.', {
            command: context.command,
            timeoutMs: reason.ms,
          }),
        );
        return;
      }
      if (reason?.kind === 'cancelled') {
        reject(new AppFailure('CANCELLED', `${context.label}: "${context.command}" was cancelled.`, undefined, { command: context.command }));
        return;
      }
      if (!sawExit) {
        if (!context.connectionAlive()) {
          const message = context.stoppedAnswering?.()
            ? `The connection to ${context.label} stopped answering (no reply to its keepalives) while running "${context.command}": the network to the NAS went down, or the NAS hung.`
            : `Lost the connection to ${context.label} while running "${context.command}".`;
          reject(
            new AppFailure('HOST_UNREACHABLE', message, 'The NAS rebooted or the network dropped. The command may or may not have completed: check before retrying.', {
              command: context.command,
            }),
          );
          return;
        }
        if (localError) {
          reject(new AppFailure('REMOTE_COMMAND_FAILED', `${context.label}: "${context.command}" failed: ${localError instanceof Error ? localError.message : String(localError)}.`, undefined, { command: context.command }));
          return;
        }
      }
      if (localError && exitCode === 0) {
        reject(new AppFailure('REMOTE_COMMAND_FAILED', `${context.label}: "${context.command}": the local side of the stream failed: ${localError instanceof Error ? localError.message : String(localError)}.`, undefined, { command: context.command }));
        return;
      }
      const expected = options.expectedExitCodes ?? [0];
      if (exitCode !== null && expected.includes(exitCode)) {
        resolve({ exitCode, stdout, stderr });
        return;
      }
      reject(failureFromStderr({ label: context.label, username: context.username, command: context.command, exitCode, signal: exitSignal, stderr }));
    };

    // Stopped while the channel was opening: the abort event has already fired, act on it now.
    if (stop.aborted) onStop();

    // stdin: always ended, so a command reading stdin never waits forever.
    const input = options.stdin;
    if (options.startWhen) {
      // The wrapper waits for one line: sent when the command may start; the channel closes if it may not.
      options.startWhen.then(
        () => channel.end('\n'),
        (error: unknown) => {
          gateError ??= error;
          signalRemote('TERM');
          closeChannel();
          setTimeout(settle, stopGraceMs).unref?.();
        },
      );
    } else if (input === undefined) {
      channel.end();
    } else if (typeof input === 'string' || Buffer.isBuffer(input)) {
      channel.end(input);
    } else {
      const source = input instanceof Readable ? input : Readable.from(input);
      source.on('error', (error) => {
        localError ??= error;
        closeChannel();
      });
      source.pipe(channel);
    }
  });
}

/** Combines the caller's signal and the timeout into one signal; tells which one fired. */
function stopControl(options: RunOptions): { signal: AbortSignal; reason: () => StopReason | null; dispose: () => void } {
  const controller = new AbortController();
  let reason: StopReason | null = null;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    reason ??= { kind: 'cancelled' };
    controller.abort();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
    const ms = options.timeoutMs;
    timer = setTimeout(() => {
      reason ??= { kind: 'timeout', ms };
      controller.abort();
    }, ms);
  }
  return {
    signal: controller.signal,
    reason: () => reason,
    dispose: () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function rethrowStopped(error: unknown, reason: StopReason | null, label: string, command: string): never {
  if (reason?.kind === 'timeout') {
    throw new AppFailure('TIMEOUT', `${label}: "${command}" could not start within ${Math.round(reason.ms / 1000)} s.`, 'The NAS is slow to answer or all its SSH channels are busy. Try again later.', { command, timeoutMs: reason.ms });
  }
  if (reason?.kind === 'cancelled') throw new AppFailure('CANCELLED', `${label}: "${command}" was cancelled.`, undefined, { command });
  throw error;
}

export interface SshCommandRunnerOptions {
  pool: SshConnectionPool;
  target: SshRunnerTarget;
  log?: (entry: RunnerLogEntry) => void;
  /** Every command, once it ended (the app log). */
  record?: (entry: RemoteCommandRecord) => void;
  /** Values to blank out of logs and errors (e.g. a password typed for this session). */
  knownSecrets?: readonly string[];
}

/** CommandRunner over one pooled connection: every run is one channel on it. */
export class SshCommandRunner implements CommandRunner {
  readonly label: string;
  /** The records' `connection`: the login alone, stable when the admin renames the NAS (what the log and benches match on). */
  readonly #login: string;
  readonly #options: SshCommandRunnerOptions;

  constructor(options: SshCommandRunnerOptions) {
    this.#options = options;
    this.label = targetLabel(options.target);
    this.#login = endpointLabel(options.target);
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const { pool, target, log } = this.#options;
    const secrets = this.#options.knownSecrets ?? [];
    const words = remoteArgv(argv, target.privilege, options.privileged ?? true);
    if (options.startWhen && options.stdin !== undefined) throw new AppFailure('INTERNAL', 'A command with stdin cannot wait to start (startWhen).');
    const commandLine = buildCommandLine(wrapReportingPid(words, { gated: options.startWhen !== undefined }));
    const shown = displayCommand(words, secrets);
    const control = stopControl(options);
    let started = performance.now();
    // A gated command's time is counted from when it may start (the log's durations are the NAS's work).
    options.startWhen?.then(
      () => (started = performance.now()),
      () => undefined,
    );
    try {
      let lease: LeasedChannel | undefined;
      let running: Promise<RunResult> | undefined;
      const context: ChannelContext = {
        label: this.label,
        username: target.username,
        command: shown,
        connectionAlive: () => lease?.connectionAlive() ?? true,
        stoppedAnswering: () => lease?.stoppedAnswering() ?? false,
        killRemote: (pid, signal) => this.#killRemote(pid, signal),
      };
      try {
        lease = await pool.exec(target, commandLine, control.signal, (channel) => {
          running = driveChannel(channel, options, context, control.signal, control.reason);
        });
      } catch (error) {
        rethrowStopped(error, control.reason(), this.label, shown);
      }
      try {
        if (!running) throw new AppFailure('INTERNAL', `${this.label}: the channel opened without being set up.`);
        const result = await running;
        log?.({ level: 'debug', source: this.label, message: `$ ${shown} -> exit ${result.exitCode} (${Math.round(performance.now() - started)} ms)` });
        this.#options.record?.(commandRecord(this.#login, words, shown, started, { result }, secrets));
        return result;
      } finally {
        lease.release();
      }
    } catch (error) {
      this.#options.record?.(commandRecord(this.#login, words, shown, started, { error }, secrets));
      const code = error instanceof AppFailure ? error.code : 'INTERNAL';
      log?.({ level: 'warn', source: this.label, message: `$ ${shown} -> ${code} (${Math.round(performance.now() - started)} ms)${error instanceof Error ? `: ${redactSecrets(error.message, secrets)}` : ''}` });
      throw error;
    } finally {
      control.dispose();
    }
  }

  embed(argv: readonly string[], options: { via: string; privileged?: boolean }): EmbeddedCommand {
    const { target, log } = this.#options;
    const secrets = this.#options.knownSecrets ?? [];
    const words = remoteArgv(argv, target.privilege, options.privileged ?? true);
    const shown = displayCommand(words, secrets);
    return {
      line: buildCommandLine(words),
      settle: (outcome: EmbeddedOutcome, runOptions: Pick<RunOptions, 'expectedExitCodes'> = {}): RunResult => {
        const started = performance.now() - outcome.durationMs;
        // The duration is the one measured inside the other command's shell: the time spent here judging it is not the
        // command's (under load it added milliseconds, and the record then differed from the run's own).
        const record = (ended: { result?: RunResult; error?: unknown }) => this.#options.record?.({ ...commandRecord(this.#login, words, shown, started, ended, secrets), durationMs: Math.round(outcome.durationMs), via: options.via });
        let failure: unknown;
        if ('error' in outcome) {
          failure = outcome.error;
        } else {
          // As driveChannel settles a command of its own: NAS text cleaned, expected exit codes, stderr mapped.
          const result = { exitCode: outcome.exitCode, stdout: sanitizeTerminalText(outcome.stdout), stderr: sanitizeTerminalText(outcome.stderr) };
          if ((runOptions.expectedExitCodes ?? [0]).includes(result.exitCode)) {
            log?.({ level: 'debug', source: this.label, message: `$ ${shown} (inside ${options.via}) -> exit ${result.exitCode} (${Math.round(outcome.durationMs)} ms)` });
            record({ result });
            return result;
          }
          failure = failureFromStderr({ label: this.label, username: target.username, command: shown, exitCode: result.exitCode, signal: null, stderr: result.stderr });
        }
        record({ error: failure });
        log?.({ level: 'warn', source: this.label, message: `$ ${shown} (inside ${options.via}) -> ${failure instanceof AppFailure ? failure.code : 'INTERNAL'}${failure instanceof Error ? `: ${redactSecrets(failure.message, secrets)}` : ''}` });
        throw failure;
      },
    };
  }

  /** Fire and forget, ahead of the queue: a stop must not wait behind the commands it is stopping. */
  #killRemote(pid: number, signal: 'TERM' | 'KILL'): void {
    const { pool, target, log } = this.#options;
    const line = buildCommandLine(['sh', '-c', killScript, 'sh', signal, String(pid)]);
    pool
      .exec(target, line, undefined, (channel) => drainAndEnd(channel), { urgent: true })
      .then((lease) => lease.channel.on('close', () => lease.release()))
      .catch((error: unknown) => log?.({ level: 'warn', source: this.label, message: `Could not send ${signal} to remote process ${pid}: ${error instanceof Error ? error.message : String(error)}` }));
  }
}

function drainAndEnd(channel: ClientChannel): void {
  channel.resume();
  channel.stderr.resume();
  channel.end();
}

export interface DirectRunnerOptions {
  client: ExecClient;
  host: string;
  port: number;
  username: string;
  privilege: Privilege;
  log?: (entry: RunnerLogEntry) => void;
  record?: (entry: RemoteCommandRecord) => void;
  knownSecrets?: readonly string[];
}

/**
 * CommandRunner over one dedicated, unpooled connection: the password session of the guided key
 * installation, which must not be shared or kept.
 */
export class DirectCommandRunner implements CommandRunner {
  readonly label: string;
  readonly #login: string;
  readonly #options: DirectRunnerOptions;
  #alive = true;

  constructor(options: DirectRunnerOptions) {
    this.#options = options;
    this.label = targetLabel(options);
    this.#login = endpointLabel(options);
    options.client.on('close', () => {
      this.#alive = false;
    });
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const { client, privilege, log } = this.#options;
    const secrets = this.#options.knownSecrets ?? [];
    const words = remoteArgv(argv, privilege, options.privileged ?? true);
    const shown = displayCommand(words, secrets);
    const control = stopControl(options);
    const started = performance.now();
    try {
      const context: ChannelContext = {
        label: this.label,
        username: this.#options.username,
        command: shown,
        connectionAlive: () => this.#alive,
        killRemote: (pid, signal) => {
          try {
            client.exec(buildCommandLine(['sh', '-c', killScript, 'sh', signal, String(pid)]), (error, channel) => {
              if (!error) drainAndEnd(channel);
            });
          } catch {
            // connection gone: nothing left to stop
          }
        },
      };
      // Wrapped in an object so this promise settles when the channel opens, not when the command ends.
      const { running } = await new Promise<{ running: Promise<RunResult> }>((resolve, reject) => {
        try {
          client.exec(buildCommandLine(wrapReportingPid(words)), (error, channel) => {
            if (error) return reject(error);
            // Listeners go on synchronously: ssh2 may emit 'exit' and 'close' in this same tick.
            resolve({ running: driveChannel(channel, options, context, control.signal, control.reason) });
          });
        } catch (error) {
          reject(error);
        }
      }).catch((error: unknown) =>
        rethrowStopped(
          new AppFailure('HOST_UNREACHABLE', `${this.label}: could not start "${shown}": ${error instanceof Error ? error.message : String(error)}.`),
          control.reason(),
          this.label,
          shown,
        ),
      );
      const result = await running;
      log?.({ level: 'debug', source: this.label, message: `$ ${shown} -> exit ${result.exitCode} (${Math.round(performance.now() - started)} ms)` });
      this.#options.record?.(commandRecord(this.#login, words, shown, started, { result }, secrets));
      return result;
    } catch (error) {
      this.#options.record?.(commandRecord(this.#login, words, shown, started, { error }, secrets));
      log?.({ level: 'warn', source: this.label, message: `$ ${shown} -> ${error instanceof AppFailure ? error.code : 'INTERNAL'}${error instanceof Error ? `: ${redactSecrets(error.message, secrets)}` : ''}` });
      throw error;
    } finally {
      control.dispose();
    }
  }
}
