import { AppFailure } from '../../../shared/result.ts';
import { assertHoldTag, assertZfsName, isSameOrDescendant, quoteName, splitZfsName } from '../../../shared/zfs-names.ts';
import { confirmationDigest } from './confirmation.ts';
import { field, tabularFormat } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs destroy -v -p [-n]` prints what it destroys ("destroy<TAB>name") and, for snapshots, the space it frees
// ("reclaim<TAB>bytes"). The same parser reads the dry run (-n) the UI shows before anything goes, and the real
// run's record of what went.

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

// ---- snapshots ---------------------------------------------------------------------------------------------

/** Why a snapshot must not be destroyed without a forced, explained decision. */
export interface SnapshotProtection {
  /** Full name, "tank/data@daily-1". */
  snapshot: string;
  kind: 'hold' | 'last-common' | 'other';
  /** For the admin, e.g. "last snapshot in common with nas-b:backup/data (task Nightly)". */
  reason: string;
  /** kind 'hold': the tags a forced destroy releases first (ZFS refuses to destroy a held snapshot). */
  holdTags?: readonly string[];
}

export interface DestroySnapshotsRequest {
  /** Full names, all of one dataset. */
  snapshots: readonly string[];
  recursive?: boolean;
  dryRun?: boolean;
  /** The snapshots the caller knows must be kept: held ones, each task's last common snapshot. */
  protections?: readonly SnapshotProtection[];
  /** Destroy protected snapshots anyway; the reason goes to the log. */
  force?: { reason: string };
}

export interface DestroySnapshotsResult extends DestroyListing {
  dryRun: boolean;
  /** Protections that apply: a dry run reports them, a forced run overrode them. */
  protections: SnapshotProtection[];
  forceReason: string | null;
}

function snapshotTarget(snapshots: readonly string[]): { dataset: string; target: string } {
  if (snapshots.length === 0) throw new AppFailure('INVALID_REQUEST', 'Name at least one snapshot to destroy.');
  const parts = snapshots.map((snapshot) => splitZfsName(assertZfsName('snapshot', snapshot)));
  const dataset = parts[0]!.dataset;
  const other = parts.find((part) => part.dataset !== dataset);
  if (other) {
    throw new AppFailure(
      'INVALID_REQUEST',
      `Snapshots of ${quoteName(dataset)} and ${quoteName(other.dataset)} cannot be destroyed in one command.`,
      'Destroy the snapshots of each dataset separately.',
    );
  }
  return { dataset, target: `${dataset}@${parts.map((part) => part.shortName).join(',')}` };
}

/** The protections hit by destroying `snapshots` (with -r, also same-named snapshots of descendants). */
export function protectionsHit(
  snapshots: readonly string[],
  protections: readonly SnapshotProtection[],
  recursive: boolean,
): SnapshotProtection[] {
  const targets = snapshots.map((snapshot) => splitZfsName(snapshot));
  return protections.filter((protection) => {
    const protectedName = splitZfsName(protection.snapshot);
    return targets.some(
      (target) =>
        target.shortName === protectedName.shortName &&
        (recursive ? isSameOrDescendant(protectedName.dataset, target.dataset) : protectedName.dataset === target.dataset),
    );
  });
}

/**
 * Destroys snapshots of one dataset in one atomic command (or lists what would go, with dryRun). A protected
 * snapshot is refused with CONFIRMATION_REQUIRED unless `force` gives a reason; a forced destroy first releases
 * the holds the protections name.
 */
export async function destroySnapshots(
  host: ZfsHost,
  request: DestroySnapshotsRequest,
  call: CallOptions = {},
): Promise<DestroySnapshotsResult> {
  const { target } = snapshotTarget(request.snapshots);
  const recursive = request.recursive ?? false;
  const dryRun = request.dryRun ?? false;
  const hit = protectionsHit(request.snapshots, request.protections ?? [], recursive);
  const forceReason = request.force?.reason.trim() ?? '';
  if (request.force && forceReason.length === 0) {
    throw new AppFailure('INVALID_REQUEST', 'A forced destroy needs a reason.', 'Say why the protected snapshots may go; the reason is logged.');
  }
  if (hit.length > 0 && !dryRun && !request.force) {
    throw new AppFailure(
      'CONFIRMATION_REQUIRED',
      `Refusing to destroy protected snapshots: ${hit.map((p) => `${p.snapshot} (${p.reason})`).join('; ')}.`,
      'Keep them, or force the destroy with a reason. Destroying a task\'s last common snapshot makes its next run a full send.',
      {
        confirmation: confirmationDigest(hit.map((p) => p.snapshot)),
        destroys: hit.map((p) => p.snapshot),
        actions: hit.map((p) => `destroy ${p.snapshot} (${p.reason})`),
        protections: hit.map((p) => ({ snapshot: p.snapshot, kind: p.kind, reason: p.reason, ...(p.holdTags ? { holdTags: [...p.holdTags] } : {}) })),
      },
    );
  }
  const tools = host.capabilities.tools;
  if (!dryRun) {
    for (const protection of hit) {
      for (const tag of protection.holdTags ?? []) {
        await host.runner.run([tools.zfs, 'release', assertHoldTag(tag), assertZfsName('snapshot', protection.snapshot)], call);
      }
    }
  }
  const { stdout } = await host.runner.run(buildDestroyArgv(tools, target, { recursive, dryRun }), call);
  return { ...parseDestroyOutput(stdout), dryRun, protections: hit, forceReason: request.force ? forceReason : null };
}

// ---- datasets ----------------------------------------------------------------------------------------------

export interface DestroyDatasetRequest {
  dataset: string;
  /** -r: children and snapshots too. */
  recursive?: boolean;
  /** -R: clones outside the tree too. */
  dependents?: boolean;
  /** What the admin agreed to lose: the `destroys` list of planDestroyDataset. Required to destroy. */
  confirmation?: { destroys: readonly string[] };
}

function destroyDatasetTarget(request: DestroyDatasetRequest): string {
  const dataset = assertZfsName('dataset', request.dataset);
  if (!dataset.includes('/')) {
    throw new AppFailure('INVALID_REQUEST', `"${dataset}" is a pool's root dataset; the app does not destroy pools.`, 'Destroy its child datasets instead.');
  }
  return dataset;
}

/** Lists what destroying the dataset would remove (zfs destroy -n). */
export async function planDestroyDataset(host: ZfsHost, request: DestroyDatasetRequest, call: CallOptions = {}): Promise<DestroyListing> {
  const dataset = destroyDatasetTarget(request);
  const flags = { recursive: request.recursive ?? false, dependents: request.dependents ?? false, dryRun: true };
  const { stdout } = await host.runner.run(buildDestroyArgv(host.capabilities.tools, dataset, flags), call);
  return parseDestroyOutput(stdout);
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((name) => left.has(name));
};

/**
 * Destroys a dataset only when `confirmation` lists exactly what the dry run lists now; otherwise throws
 * CONFIRMATION_REQUIRED whose details.plan is the list to show the admin.
 */
export async function destroyDataset(host: ZfsHost, request: DestroyDatasetRequest, call: CallOptions = {}): Promise<DestroyListing> {
  const plan = await planDestroyDataset(host, request, call);
  if (!request.confirmation || !sameSet(request.confirmation.destroys, plan.destroys)) {
    throw new AppFailure(
      'CONFIRMATION_REQUIRED',
      request.confirmation
        ? `What destroying ${quoteName(request.dataset)} removes has changed since it was confirmed: ${plan.destroys.length} item(s) now.`
        : `Destroying ${quoteName(request.dataset)} removes ${plan.destroys.length} item(s): ${plan.destroys.join(', ')}.`,
      'Review the list and confirm it to go ahead.',
      { confirmation: confirmationDigest(plan.destroys), destroys: plan.destroys, actions: [`destroy ${request.dataset}${request.recursive ? ' and everything below it' : ''}`], reclaimBytes: plan.reclaimBytes },
    );
  }
  const flags = { recursive: request.recursive ?? false, dependents: request.dependents ?? false };
  const { stdout } = await host.runner.run(buildDestroyArgv(host.capabilities.tools, request.dataset, flags), call);
  return parseDestroyOutput(stdout);
}
