import { assertZfsName } from '../../../shared/zfs-names.ts';
import type { ZfsToolPaths } from './zfs-host.ts';

// `zfs rollback` has no dry run: what a rollback destroys (newer snapshots and bookmarks, unsnapshotted writes) is
// listed by its destruction plan (destruction.ts) from a listing of the dataset, confirmed, and checked again right
// before this command runs. -R (clones of the newer snapshots) is never used by the app: zfs then refuses instead.

export interface RollbackFlags {
  /** -r: destroy the snapshots and bookmarks newer than the target (zfs refuses the rollback otherwise). */
  destroyNewer?: boolean;
}

/** The one builder of `zfs rollback`: every rollback the app runs or shows is built here. */
export function buildRollbackArgv(tools: ZfsToolPaths, snapshot: string, flags: RollbackFlags = {}): string[] {
  return [
    tools.zfs, 'rollback',
    ...(flags.destroyNewer ? ['-r'] : []),
    assertZfsName('snapshot', snapshot),
  ];
}
