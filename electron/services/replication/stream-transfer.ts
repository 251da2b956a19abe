import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppFailure, stderrOf, type ErrorDetails } from '../../../shared/result.ts';
import { buildCommandLine, type CommandRunner } from '../ssh/command-runner.ts';
import { nasToNasSshArgv } from '../ssh/key-exchange.ts';
import { remoteArgv, type Privilege } from '../ssh/ssh-command-runner.ts';
import { buildReceiveArgv, buildSendArgv, type ReceiveOptions, type SendFlags, type SendSource } from '../zfs/send-receive.ts';
import type { ZfsToolPaths } from '../zfs/zfs-host.ts';

// Moves one zfs send stream into one zfs receive, either through the app (relay: two pooled ssh channels and
// a pipe in between, where the app counts and throttles) or NAS to NAS (direct: the source runs
// `zfs send | ssh destination zfs receive`, with pv counting and limiting on the source when it has pv).

export type StreamCompression = 'none' | 'lz4' | 'zstd' | 'xz';

const compressors: Record<Exclude<StreamCompression, 'none'>, { compress: string[]; decompress: string[] }> = {
  lz4: { compress: ['lz4', '-c'], decompress: ['lz4', '-dc'] },
  zstd: { compress: ['zstd', '-c', '-3', '-q'], decompress: ['zstd', '-dc', '-q'] },
  xz: { compress: ['xz', '-c', '-1'], decompress: ['xz', '-dc'] },
};

export interface TransferSide {
  runner: CommandRunner;
  tools: ZfsToolPaths;
  privilege: Privilege;
}

export interface TransferRequest {
  source: TransferSide;
  destination: TransferSide;
  send: SendSource;
  sendFlags: SendFlags;
  receive: ReceiveOptions;
  /** Direct: `meter` is the tool on the source that counts (pv) or only limits (mbuffer) the stream. */
  transport:
    | { kind: 'relay' }
    | {
        kind: 'direct';
        host: string;
        port: number;
        user: string;
        meter: 'pv' | 'mbuffer' | 'none';
        /** The run's shared NAS-to-NAS connection (see openDirectConnection); without it the stream opens its own. */
        controlPath?: string | null;
      };
  compression: StreamCompression;
  /** KiB/s; null for no limit. */
  bandwidthLimitKiBps: number | null;
  signal?: AbortSignal;
  /** Cumulative bytes of the (possibly compressed) stream, as they pass. */
  onBytes?: (bytes: number) => void;
}

export interface TransferResult {
  bytes: number;
  seconds: number;
}

/** A token bucket: lets `bytesPerSecond` through on average, in slices so progress stays smooth. */
export class BandwidthLimiter extends Transform {
  readonly #bytesPerSecond: number;
  #allowance: number;
  #last = Date.now();

  constructor(bytesPerSecond: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#bytesPerSecond = bytesPerSecond;
    this.#allowance = bytesPerSecond / 4;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    const step = () => {
      const now = Date.now();
      this.#allowance = Math.min(this.#bytesPerSecond, this.#allowance + ((now - this.#last) / 1000) * this.#bytesPerSecond);
      this.#last = now;
      if (this.#allowance < 1) {
        setTimeout(step, Math.max(5, Math.ceil((1 - this.#allowance) / this.#bytesPerSecond * 1000)));
        return;
      }
      const size = Math.min(chunk.length - offset, Math.floor(this.#allowance));
      this.push(chunk.subarray(offset, offset + size));
      this.#allowance -= size;
      offset += size;
      if (offset < chunk.length) setTimeout(step, 10);
      else done();
    };
    step();
  }
}

/** The remote tools a transfer needs beyond zfs, checked once before any byte moves. */
export function requiredTools(options: { direct: boolean; compression: StreamCompression }): { source: string[]; destination: string[] } {
  const source: string[] = [];
  const destination: string[] = [];
  if (options.compression !== 'none') {
    source.push(compressors[options.compression].compress[0]!);
    destination.push(compressors[options.compression].decompress[0]!);
  }
  if (options.direct) source.push('ssh');
  return { source, destination };
}

/** Which of `names` the NAS has on the login user's PATH (plus the sbin folders). */
export async function availableTools(runner: CommandRunner, names: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const script = 'PATH="$PATH:/usr/sbin:/sbin:/usr/local/bin:/usr/local/sbin"; for t in "$@"; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; exit 0';
  const { stdout } = await runner.run(['sh', '-c', script, 'sh', ...names], { privileged: false, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  return new Set(stdout.split('\n').filter(Boolean));
}

function pipeline(...commands: string[][]): string {
  return commands.map((words) => buildCommandLine(words)).join(' | ');
}

/** Runs both halves; when one fails the other is stopped, and the error that explains the failure is kept. */
async function runPair(first: (signal: AbortSignal) => Promise<unknown>, second: (signal: AbortSignal) => Promise<unknown>, outer?: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let firstFailure: unknown = null;
  const watch = (promise: Promise<unknown>) =>
    promise.catch((error: unknown) => {
      // The half that fails first carries the cause; the other then fails only because it was stopped.
      firstFailure ??= error;
      controller.abort();
      throw error;
    });
  try {
    const results = await Promise.allSettled([watch(first(controller.signal)), watch(second(controller.signal))]);
    if (results.some((r) => r.status === 'rejected')) {
      const real = results.map((r) => (r.status === 'rejected' ? r.reason : null)).find((e) => e instanceof AppFailure && e.code !== 'CANCELLED');
      throw outer?.aborted ? new AppFailure('CANCELLED', 'The transfer was cancelled.', 'Run the task again: it resumes where it stopped.') : (real ?? firstFailure);
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * A full destination pool surfaces as "out of space" on whichever side's stderr carries it (the source's in direct
 * mode, whose ssh relays the receive's stderr): say which pool on which NAS is full, and that the run resumes.
 */
function namingTheFullPool(error: unknown, destination: TransferSide, target: string): unknown {
  if (!(error instanceof AppFailure) || error.code !== 'NO_SPACE') return error;
  const pool = target.split('/')[0]!;
  // A quota is not a full pool: say so, or the admin frees space in a pool that has plenty.
  if (/quota exceeded/i.test(`${error.message}\n${stderrOf(error)}`)) {
    return new AppFailure(
      'NO_SPACE',
      `${destination.runner.label}: ${target} is over its quota (space quota exceeded while receiving).`,
      `Raise or remove the quota of ${target} or of a dataset above it (zfs get -r quota,refquota ${pool}), then run the task again: the transfer resumes where it stopped.`,
      { ...error.appError.details, pool, dataset: target },
    );
  }
  return new AppFailure(
    'NO_SPACE',
    `${destination.runner.label}: pool "${pool}" is out of space (receiving ${target}).`,
    `Free space in pool "${pool}" (destroy old snapshots or datasets there, or raise a quota), then run the task again: the transfer resumes where it stopped.`,
    { ...error.appError.details, pool, dataset: target },
  );
}

/**
 * A connection lost mid-stream (network down, a NAS rebooted) leaves a resumable receive (`zfs receive -s`): the
 * runner's generic "check before retrying" is wrong here, the fix is the network and the next run resumes.
 */
function resumableAfterLostConnection(error: unknown): unknown {
  if (!(error instanceof AppFailure) || error.code !== 'HOST_UNREACHABLE') return error;
  return new AppFailure(
    'HOST_UNREACHABLE',
    error.message,
    'Check the network between the NAS boxes (and this computer) and that both NAS are on, then run the task again: the transfer resumes where it stopped (zfs receive -s kept what arrived).',
    error.appError.details as ErrorDetails<'HOST_UNREACHABLE'>,
  );
}

/** Calls `onLine` for every complete line of a command's output as its chunks come; `rest()` is what follows the last newline. */
function lineReader(onLine: (line: string) => void): { push: (chunk: Buffer) => void; rest: () => string } {
  let pending = '';
  return {
    push: (chunk) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) onLine(line);
    },
    rest: () => pending,
  };
}

/** Counts (and limits) a relayed stream on its way from the source's stdout to the destination's stdin. */
function relayStage(bandwidthLimitKiBps: number | null, onBytes: (bytes: number) => void): { inbound: Transform; counter: Transform; bytes: () => number } {
  let bytes = 0;
  // As few stream stages as possible (each one is another buffer and hop per chunk): the counter alone, or the
  // limiter then the counter. 1 MiB of buffer rides out the receive side's pauses (txg syncs) without stalling send.
  const counter = new Transform({
    readableHighWaterMark: 1024 * 1024,
    writableHighWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  let inbound: Transform = counter;
  if (bandwidthLimitKiBps) {
    inbound = new BandwidthLimiter(bandwidthLimitKiBps * 1024);
    inbound.pipe(counter);
  }
  return { inbound, counter, bytes: () => bytes };
}

export async function transferStream(request: TransferRequest): Promise<TransferResult> {
  try {
    return await transferStreamOnce(request);
  } catch (error) {
    throw resumableAfterLostConnection(namingTheFullPool(error, request.destination, request.receive.target));
  }
}

async function transferStreamOnce(request: TransferRequest): Promise<TransferResult> {
  const started = Date.now();
  const { source, destination } = request;
  const sendArgv = buildSendArgv(source.tools, request.send, request.sendFlags);
  const receiveArgv = buildReceiveArgv(destination.tools, request.receive);
  const codec = request.compression === 'none' ? null : compressors[request.compression];
  let bytes = 0;

  if (request.transport.kind === 'relay') {
    const { inbound, counter, bytes: relayed } = relayStage(request.bandwidthLimitKiBps, (n) => request.onBytes?.(n));
    const sendCommand = codec ? ['sh', '-c', pipeline(remoteArgv(sendArgv, source.privilege), codec.compress)] : sendArgv;
    const receiveCommand = codec ? ['sh', '-c', pipeline(codec.decompress, remoteArgv(receiveArgv, destination.privilege))] : receiveArgv;
    await runPair(
      (signal) => source.runner.run(sendCommand, { stdoutTo: inbound, signal, privileged: !codec }),
      (signal) => destination.runner.run(receiveCommand, { stdin: counter, signal, privileged: !codec }),
      request.signal,
    );
    return { bytes: relayed(), seconds: (Date.now() - started) / 1000 };
  }

  // Direct: one command on the source. pv reports bytes on stderr (-n: plain numbers, one per second) and limits;
  // mbuffer only limits; without either the stream runs unmetered and the size is known at the end.
  const { host, port, user } = request.transport;
  const limit = request.bandwidthLimitKiBps;
  const meter =
    request.transport.meter === 'pv'
      ? [['pv', '-f', '-n', '-b', '-i', '1', ...(limit ? ['-L', `${limit}k`] : [])]]
      : request.transport.meter === 'mbuffer' && limit
        ? [['mbuffer', '-q', '-r', `${limit}k`]]
        : [];
  if (limit && meter.length === 0) {
    throw new AppFailure('COMMAND_NOT_FOUND', `A bandwidth limit in direct mode needs pv or mbuffer on ${source.runner.label}.`, 'Install pv (or mbuffer) on the source NAS, remove the limit, or use relay mode.');
  }
  const remoteReceive = codec ? pipeline(codec.decompress, remoteArgv(receiveArgv, destination.privilege)) : buildCommandLine(remoteArgv(receiveArgv, destination.privilege));
  const shared = request.transport.controlPath ? ['-o', 'ControlMaster=no', '-o', `ControlPath=${request.transport.controlPath}`] : [];
  const ssh = [...nasToNasSshArgv(user, { host, port }, 20, shared), remoteReceive];
  const script = pipeline(remoteArgv(sendArgv, source.privilege), ...meter, ...(codec ? [codec.compress] : []), ssh);
  const pvLines = lineReader((line) => {
    if (!/^\d+$/.test(line.trim())) return;
    bytes = Number(line.trim());
    request.onBytes?.(bytes);
  });
  await source.runner.run(['sh', '-c', script], {
    privileged: false,
    ...(request.signal ? { signal: request.signal } : {}),
    onStderr: pvLines.push,
  });
  if (/^\d+$/.test(pvLines.rest().trim())) bytes = Number(pvLines.rest().trim());
  return { bytes, seconds: (Date.now() - started) / 1000 };
}

// ---- several incremental streams through one channel per side ----------------------------------------------

/** One stream of a batch: what `transferStream` would send and receive on its own. */
export interface BatchedStream {
  send: SendSource;
  sendFlags: SendFlags;
  receive: ReceiveOptions;
}

export interface BatchTransferRequest {
  source: TransferSide;
  destination: TransferSide;
  streams: readonly BatchedStream[];
  compression: StreamCompression;
  bandwidthLimitKiBps: number | null;
  signal?: AbortSignal;
  /** Cumulative bytes of the whole batch, as they pass. */
  onBytes?: (bytes: number) => void;
  /** The source finished stream `index` (said on its stderr): `bytes` had passed by then, give or take a pipe buffer. */
  onSent?: (index: number, bytes: number) => void;
  /** The destination's `zfs receive` of stream `index` succeeded. */
  onReceived?: (index: number) => void;
}

const sentMark = 'zrd-sent';
const receivedMark = 'zrd-received';

/** Lines of a shell script, the commands quoted as `run` would run them (sudo -n when the connection uses sudo). */
const scriptCommand = (argv: readonly string[], side: TransferSide) => buildCommandLine(side.privilege === 'sudo' ? ['sudo', '-n', ...argv] : argv);

/**
 * The cron cycle's many small increments through ONE source shell and ONE destination shell instead of a channel
 * pair each (relay): the source sends them one after another into one pipe, the destination receives them one
 * after another from it: each `zfs receive` reads exactly one stream (a stream ends with its END record) and the
 * next takes the bytes after it. The source starts the next stream while the destination still finishes the last
 * one (its txg sync), and no session, login shell or wrapper starts per dataset: 30 datasets of one 64 KiB
 * increment each took 34.8 s batched against 62.5 s as a loop of channel pairs (same commands, same VMs, loaded).
 * The first stream that fails stops both shells; `onReceived` told the caller which ones arrived, so it knows
 * where to go on from. Bytes after the last stream fail the batch (exit 65): a stream must never be cut wrong.
 */
export async function transferStreams(request: BatchTransferRequest): Promise<TransferResult> {
  let received = 0;
  try {
    return await transferStreamsOnce({
      ...request,
      onReceived: (index) => {
        received = index + 1;
        request.onReceived?.(index);
      },
    });
  } catch (error) {
    throw resumableAfterLostConnection(namingTheFullPool(error, request.destination, request.streams[received]?.receive.target ?? request.destination.runner.label));
  }
}

async function transferStreamsOnce(request: BatchTransferRequest): Promise<TransferResult> {
  const started = Date.now();
  const { source, destination, streams } = request;
  const codec = request.compression === 'none' ? null : compressors[request.compression];
  const sends = streams.map((s, index) => `${scriptCommand(buildSendArgv(source.tools, s.send, s.sendFlags), source)} || exit\nprintf '${sentMark} %s\\n' ${index} >&2`).join('\n');
  const receives = streams.map((s, index) => `${scriptCommand(buildReceiveArgv(destination.tools, s.receive), destination)} || exit\nprintf '${receivedMark} %s\\n' ${index}`).join('\n');
  // A byte left after the last stream means the streams and the receives are out of step: fail, never guess.
  const leftover = `if IFS= read -r extra || [ -n "$extra" ]; then echo "unexpected bytes after the last of ${streams.length} streams" >&2; exit 65; fi`;
  const sendScript = codec ? `{\n${sends}\n} | ${buildCommandLine(codec.compress)}` : sends;
  const receiveScript = codec ? `${buildCommandLine(codec.decompress)} | {\n${receives}\n${leftover}\n}` : `${receives}\n${leftover}`;
  const { inbound, counter, bytes } = relayStage(request.bandwidthLimitKiBps, (n) => request.onBytes?.(n));
  const lines = (mark: string, each: (index: number) => void) => {
    const marker = new RegExp(`^${mark} (\\d+)$`);
    return lineReader((line) => {
      const match = marker.exec(line.trim());
      if (match) each(Number(match[1]));
    }).push;
  };
  await runPair(
    (signal) => source.runner.run(['sh', '-c', sendScript], { stdoutTo: inbound, signal, privileged: false, onStderr: lines(sentMark, (index) => request.onSent?.(index, bytes())) }),
    (signal) => destination.runner.run(['sh', '-c', receiveScript], { stdin: counter, signal, privileged: false, onStdout: lines(receivedMark, (index) => request.onReceived?.(index)) }),
    request.signal,
  );
  return { bytes: bytes(), seconds: (Date.now() - started) / 1000 };
}

// ---- one NAS-to-NAS connection per run -------------------------------------------------------------------

/** How long an idle shared connection outlives its last stream: also how it ends if the app dies mid-run. */
export const directConnectionIdleSeconds = 60;

export interface DirectConnection {
  /** The OpenSSH control socket on the source, or null when the streams open their own connections. */
  controlPath: string | null;
  /** Why there is no shared connection (for the run log); null when there is one. */
  unavailable: string | null;
  /** Ends the shared connection; never throws. */
  close(): Promise<void>;
}

// ssh exits 255 when it cannot connect, the script 70 when it has no temporary file. The background ssh must
// not keep our channel open (older OpenSSH leaves stderr attached), so its stderr goes to a file that is read back and removed.
const openMasterScript = 'err=$(mktemp "${TMPDIR:-/tmp}/zrd-ssh-err.XXXXXX") || exit 70; "$@" </dev/null >/dev/null 2>"$err"; rc=$?; cat "$err" >&2; rm -f "$err"; exit $rc';

/**
 * Opens the source's ssh connection to the destination once for a whole run (OpenSSH ControlMaster), so the
 * streams given its controlPath skip the key exchange and authentication: 2.4-2.8 s each in the emulated test
 * NAS (the engine decides which streams share it). The socket is the source user's own (mode 0600 in /tmp, under a random name ssh refuses to
 * reuse); it disappears with the connection, which ends on close() or 60 s after its last stream. When it cannot
 * be opened, each stream connects on its own as before, so a failure here is reported by the stream itself.
 */
export async function openDirectConnection(
  runner: CommandRunner,
  target: { host: string; port: number; user: string },
  signal?: AbortSignal,
): Promise<DirectConnection> {
  const controlPath = `/tmp/zrd-ssh-${randomBytes(8).toString('hex')}`;
  const master = nasToNasSshArgv(target.user, target, 20, ['-o', 'ControlMaster=yes', '-o', `ControlPath=${controlPath}`, '-o', `ControlPersist=${directConnectionIdleSeconds}`, '-f', '-N']);
  try {
    const { exitCode, stderr } = await runner.run(['sh', '-c', openMasterScript, 'sh', ...master], { privileged: false, expectedExitCodes: [0, 70, 255], timeoutMs: 60_000, ...(signal ? { signal } : {}) });
    if (exitCode !== 0) return { controlPath: null, unavailable: stderr.trim().split('\n').at(-1) || `ssh exited ${exitCode}`, close: async () => {} };
  } catch (error) {
    return { controlPath: null, unavailable: error instanceof Error ? error.message : String(error), close: async () => {} };
  }
  return {
    controlPath,
    unavailable: null,
    async close() {
      try {
        await runner.run(nasToNasSshArgv(target.user, target, 20, ['-o', `ControlPath=${controlPath}`, '-O', 'exit']), { privileged: false, expectedExitCodes: [0, 255], timeoutMs: 30_000 });
      } catch {
        // Gone already, or the NAS is unreachable: the connection ends by itself once idle.
      }
    },
  };
}
