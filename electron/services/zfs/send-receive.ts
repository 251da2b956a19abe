import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName, assertZfsPropertyName, assertZfsPropertyValue } from '../../../shared/zfs-names.ts';
import type { ZfsToolPaths } from './zfs-host.ts';

// argv for `zfs send` and `zfs receive`, and the parser of `zfs send -n -P -v` estimates. The replication engine
// pipes one into the other (relay: through the app; direct: on the source NAS); nothing here runs a command.

export type SendSource =
  | { kind: 'full'; snapshot: string }
  /** `from`: the full name of a snapshot (tank/a@s1) or bookmark (tank/a#s1) of the same dataset. */
  | { kind: 'incremental'; from: string; snapshot: string; intermediates: boolean }
  | { kind: 'resume'; token: string };

export interface SendFlags {
  /** -w: encrypted data leaves as it is stored (and arrives still encrypted). Implies -L -c -e. */
  raw?: boolean;
  /** -p: include the dataset's properties. */
  properties?: boolean;
  /** -L -c: keep large blocks, send blocks compressed as they are stored. */
  compact?: boolean;
  /** -e: embed small blocks in the stream. An encrypted receive refuses such records (OpenZFS 2.3: "incompatible
   * embedded data stream feature with encrypted receive"), so it is separate from compact. */
  embedded?: boolean;
}

const resumeTokenPattern = /^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/i;

function sendSourceArgs(source: SendSource): string[] {
  switch (source.kind) {
    case 'full':
      return [assertZfsName('snapshot', source.snapshot)];
    case 'incremental': {
      const fromIsBookmark = source.from.includes('#');
      const from = assertZfsName(fromIsBookmark ? 'bookmark' : 'snapshot', source.from);
      if (source.intermediates && fromIsBookmark) {
        throw new AppFailure('INTERNAL', 'An incremental stream with intermediate snapshots cannot start from a bookmark.', 'This is a bug in the replication planner.');
      }
      return [source.intermediates ? '-I' : '-i', from, assertZfsName('snapshot', source.snapshot)];
    }
    case 'resume':
      if (!resumeTokenPattern.test(source.token)) {
        throw new AppFailure('INVALID_NAME', 'The destination reported a resume token in an unexpected format.', 'Abort the partial receive (zfs receive -A) and run the task again.');
      }
      return ['-t', source.token];
  }
}

function sendFlagArgs(source: SendSource, flags: SendFlags): string[] {
  // A resumed stream carries the flags of the stream it resumes.
  if (source.kind === 'resume') return [];
  const args: string[] = [];
  if (flags.raw) args.push('-w');
  else {
    if (flags.compact) args.push('-L', '-c');
    if (flags.embedded) args.push('-e');
  }
  if (flags.properties) args.push('-p');
  return args;
}

export function buildSendArgv(tools: ZfsToolPaths, source: SendSource, flags: SendFlags = {}): string[] {
  return [tools.zfs, 'send', ...sendFlagArgs(source, flags), ...sendSourceArgs(source)];
}

/** `zfs send -n -P -v`: sends nothing, prints the stream size the real send will have. */
export function buildSendEstimateArgv(tools: ZfsToolPaths, source: SendSource, flags: SendFlags = {}): string[] {
  return [tools.zfs, 'send', '-n', '-P', '-v', ...sendFlagArgs(source, flags), ...sendSourceArgs(source)];
}

/** The estimated stream size in bytes: the `size` line of `zfs send -n -P -v` (it prints on stdout or stderr by version). */
export function parseSendEstimate(output: string): number | null {
  let size: number | null = null;
  for (const line of output.split('\n')) {
    const match = /^size\t(\d+)$/.exec(line.trim());
    if (match) size = Number(match[1]);
  }
  return size;
}

export interface ReceiveOptions {
  /** The dataset to create or update (the full destination name). */
  target: string;
  /** Property overrides (-o name=value) and exclusions (-x name). */
  setProperties?: Readonly<Record<string, string>>;
  excludeProperties?: readonly string[];
}

/**
 * Always resumable (-s) and never mounted on arrival (-u): a replica is not a live filesystem. Never -F: a receive
 * does not roll back or destroy anything by itself; what a run destroys is planned, listed and confirmed first
 * (a destruction plan) and done by its own guarded command (zfs rollback / zfs destroy).
 */
export function buildReceiveArgv(tools: ZfsToolPaths, options: ReceiveOptions): string[] {
  const argv = [tools.zfs, 'receive', '-s', '-u'];
  for (const [name, value] of Object.entries(options.setProperties ?? {})) {
    argv.push('-o', `${assertZfsPropertyName(name)}=${assertZfsPropertyValue(value, name)}`);
  }
  for (const name of options.excludeProperties ?? []) argv.push('-x', assertZfsPropertyName(name));
  argv.push(assertZfsName('dataset', options.target));
  return argv;
}

/** `zfs receive -A`: throws away a partially received state (when its source is gone). */
export function buildAbortReceiveArgv(tools: ZfsToolPaths, target: string): string[] {
  return [tools.zfs, 'receive', '-A', assertZfsName('dataset', target)];
}
