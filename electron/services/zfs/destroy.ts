import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName } from '../../../shared/zfs-names.ts';
import { field, tabularFormat } from './tabular-output.ts';
import type { ZfsToolPaths } from './zfs-host.ts';

// `zfs destroy -v -p [-n]` prints what it destroys ("destroy<TAB>name") and, for snapshots, the space it frees
// ("reclaim<TAB>bytes"). The same parser reads the dry run (-n) the UI shows before anything goes, and the real
// run's record of what went. What may be destroyed, and its confirmation, is a destruction plan (destruction.ts):
// the only caller of this builder besides the dry runs.

export const destroyOutputFields = {
  action: field.oneOf('action', ['destroy', 'reclaim']),
  subject: field.text('subject'),
};

export const destroyOutputFormat = tabularFormat(destroyOutputFields);

export interface DestroyListing {
  /** Every snapshot, bookmark, dataset or clone that goes, in zfs's order. */
  destroys: string[];
  /** Bytes freed by destroying snapshots; null when zfs does not say (datasets). */
  reclaimBytes: number | null;
}

export function parseDestroyOutput(stdout: string): DestroyListing {
  const listing: DestroyListing = { destroys: [], reclaimBytes: null };
  for (const { action, subject } of destroyOutputFormat.parse(stdout, 'zfs destroy -v -p')) {
    if (action === 'destroy') {
      listing.destroys.push(subject);
    } else {
      const bytes = field.count('reclaim').decode(subject);
      listing.reclaimBytes = (listing.reclaimBytes ?? 0) + bytes;
    }
  }
  return listing;
}

export interface DestroyFlags {
  /** -r: a dataset's children and snapshots; for snapshots, the same-named snapshot of every descendant. */
  recursive?: boolean;
  /** -R: also clones and their dependents, outside the dataset's tree. */
  dependents?: boolean;
  /** -n: list, destroy nothing. */
  dryRun?: boolean;
}

/** Every name checked: a dataset below a pool (the app never destroys a pool), or "dataset@snap1,snap2". */
function checkedDestroyTarget(target: string): string {
  const at = target.indexOf('@');
  if (at < 0) {
    const dataset = assertZfsName('dataset', target);
    if (!dataset.includes('/')) throw new AppFailure('INVALID_REQUEST', `"${dataset}" is a pool's root dataset; the app does not destroy pools.`, 'Destroy its child datasets instead.');
    return dataset;
  }
  const dataset = assertZfsName('dataset', target.slice(0, at));
  // Snapshot names cannot contain ",": the list splits cleanly, and each name is checked as a snapshot of the dataset.
  for (const name of target.slice(at + 1).split(',')) assertZfsName('snapshot', `${dataset}@${name}`);
  return target;
}

/**
 * The one builder of `zfs destroy`: every destroy the app runs or shows is built here. `target` is a dataset, or
 * "dataset@snap1,snap2" (several snapshots of one dataset in one atomic command). -v -p: zfs lists what it
 * destroys, so a run records exactly what went and a dry run (-n) shows exactly what would.
 */
export function buildDestroyArgv(tools: ZfsToolPaths, target: string, flags: DestroyFlags = {}): string[] {
  return [
    tools.zfs, 'destroy',
    ...(flags.dryRun ? ['-n'] : []),
    '-v', '-p',
    ...(flags.recursive ? ['-r'] : []),
    ...(flags.dependents ? ['-R'] : []),
    checkedDestroyTarget(target),
  ];
}
