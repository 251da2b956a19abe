import type { CommandRunner, RunOptions } from '../ssh/command-runner.ts';
import type { ZfsCapabilities } from './capabilities.ts';

/** Absolute paths of the ZFS tools on one NAS: a non-root login over ssh often lacks /usr/sbin in its PATH. */
export interface ZfsToolPaths {
  zfs: string;
  zpool: string;
}

/** One NAS as the ZFS functions see it: where commands run, and what the probe found there. */
export interface ZfsHost {
  readonly runner: CommandRunner;
  readonly capabilities: ZfsCapabilities;
}

/** What a caller may pass down to the runner for one call. */
export type CallOptions = Pick<RunOptions, 'signal' | 'timeoutMs'>;
