import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName, quoteName, splitZfsName } from '../../../shared/zfs-names.ts';
import { confirmationDigest } from './confirmation.ts';
import { field, tabularFormat } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs rollback` has no dry run, so the plan comes from one listing of the dataset, its snapshots and bookmarks:
// what is newer than the target (createtxg) goes with -r, clones of those go with -R, and `written@target` on
// the dataset is the data written since the target, which the rollback discards.

export const rollbackListingFields = {
  name: field.text('name'),
  type: field.oneOf('type', ['filesystem', 'volume', 'snapshot', 'bookmark']),
  createtxg: field.count('createtxg'),
  /** Comma-separated clone names; "" or null when none. */
  clones: field.optionalText('clones'),
};

/** The column list depends on the target (written@<snapshot>), so the format is built per call. */
export function rollbackListingFormat(snapshotShortName: string) {
  return tabularFormat({ ...rollbackListingFields, writtenSinceTarget: field.optionalCount(`written@${snapshotShortName}`) });
}

export function buildRollbackListingArgv(tools: ZfsToolPaths, snapshot: string): string[] {
  const { dataset, shortName } = splitZfsName(assertZfsName('snapshot', snapshot));
  return [
    tools.zfs, 'list', '-H', '-p',
    '-t', 'filesystem,volume,snapshot,bookmark',
    '-d', '1',
    '-o', rollbackListingFormat(shortName!).outputList,
    dataset,
  ];
}

export interface RollbackPlan {
  /** The snapshot rolled back to. */
  snapshot: string;
  /** Newer snapshots, destroyed (-r), oldest first. */
  destroysSnapshots: string[];
  /** Newer bookmarks, destroyed too (-r). */
  destroysBookmarks: string[];
  /** Clones of the newer snapshots, destroyed with -R. */
  destroysClones: string[];
  /**
   * Bytes written to the dataset since the snapshot: discarded. ZFS counts synced data only, so writes of the
   * last few seconds (one transaction group) are discarded too without showing here.
   */
  discardsWrittenBytes: number;
}

/** What the admin saw and agreed to; `rollback` goes ahead only when the plan still matches it. */
export type RollbackConfirmation = RollbackPlan;

/** Metadata (atime, the rollback's own bookkeeping) moves `written` a little between plan and run. */
export const rollbackWrittenSlackBytes = 1024 * 1024;

export function parseRollbackListing(stdout: string, snapshot: string): RollbackPlan {
  const { dataset, shortName } = splitZfsName(snapshot);
  const rows = rollbackListingFormat(shortName!).parse(stdout, 'zfs list (rollback plan)');
  const target = rows.find((row) => row.name === snapshot && row.type === 'snapshot');
  const head = rows.find((row) => row.name === dataset && (row.type === 'filesystem' || row.type === 'volume'));
  if (!target || !head) {
    throw new AppFailure('DATASET_NOT_FOUND', `Snapshot ${quoteName(snapshot)} does not exist.`, 'Refresh the snapshot list: it may have been destroyed or renamed.');
  }
  const newer = rows
    .filter((row) => (row.type === 'snapshot' || row.type === 'bookmark') && splitZfsName(row.name).dataset === dataset && row.createtxg > target.createtxg)
    .sort((a, b) => a.createtxg - b.createtxg);
  const newerSnapshots = newer.filter((row) => row.type === 'snapshot');
  return {
    snapshot,
    destroysSnapshots: newerSnapshots.map((row) => row.name),
    destroysBookmarks: newer.filter((row) => row.type === 'bookmark').map((row) => row.name),
    destroysClones: newerSnapshots.flatMap((row) => (row.clones ? row.clones.split(',').filter((name) => name.length > 0) : [])),
    discardsWrittenBytes: head.writtenSinceTarget ?? 0,
  };
}

/** The rollback's dry run: one read-only listing. */
export async function planRollback(host: ZfsHost, snapshot: string, call: CallOptions = {}): Promise<RollbackPlan> {
  const { stdout } = await host.runner.run(buildRollbackListingArgv(host.capabilities.tools, snapshot), call);
  return parseRollbackListing(stdout, snapshot);
}

export interface RollbackFlags {
  /** -r: destroy the snapshots and bookmarks newer than the target (zfs refuses the rollback otherwise). */
  destroyNewer?: boolean;
  /** -R: also the clones of those snapshots. */
  destroyClones?: boolean;
}

/** The one builder of `zfs rollback`: every rollback the app runs or shows is built here. */
export function buildRollbackArgv(tools: ZfsToolPaths, snapshot: string, flags: RollbackFlags = {}): string[] {
  return [
    tools.zfs, 'rollback',
    ...(flags.destroyNewer ? ['-r'] : []),
    ...(flags.destroyClones ? ['-R'] : []),
    assertZfsName('snapshot', snapshot),
  ];
}

/** The flags a rollback plan needs: -r when it destroys newer snapshots or bookmarks, -R when it destroys clones. */
export function rollbackFlagsOf(plan: RollbackPlan): RollbackFlags {
  return { destroyNewer: plan.destroysSnapshots.length > 0 || plan.destroysBookmarks.length > 0, destroyClones: plan.destroysClones.length > 0 };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((name, i) => name === b[i]);

/** Why `confirmation` no longer covers `plan`; null when it does. */
export function confirmationMismatch(plan: RollbackPlan, confirmation: RollbackConfirmation): string | null {
  if (confirmation.snapshot !== plan.snapshot) return `it was for ${quoteName(confirmation.snapshot)}`;
  if (!sameList(confirmation.destroysSnapshots, plan.destroysSnapshots)) return 'the newer snapshots changed';
  if (!sameList(confirmation.destroysBookmarks, plan.destroysBookmarks)) return 'the newer bookmarks changed';
  if (!sameList([...confirmation.destroysClones].sort(), [...plan.destroysClones].sort())) return 'the clones changed';
  if (plan.discardsWrittenBytes > confirmation.discardsWrittenBytes + rollbackWrittenSlackBytes) {
    return `${plan.discardsWrittenBytes - confirmation.discardsWrittenBytes} more bytes were written since`;
  }
  return null;
}

/** Everything the rollback destroys, by full name: newer snapshots, then bookmarks, then clones. */
export function destroysOf(plan: RollbackPlan): string[] {
  return [...plan.destroysSnapshots, ...plan.destroysBookmarks, ...plan.destroysClones];
}

function describePlan(plan: RollbackPlan): string {
  const parts = [`discards ${plan.discardsWrittenBytes} bytes written since ${plan.snapshot}`];
  if (plan.destroysSnapshots.length > 0) parts.push(`destroys ${plan.destroysSnapshots.length} newer snapshot(s)`);
  if (plan.destroysBookmarks.length > 0) parts.push(`${plan.destroysBookmarks.length} newer bookmark(s)`);
  if (plan.destroysClones.length > 0) parts.push(`${plan.destroysClones.length} clone(s)`);
  return parts.join(', ');
}

/**
 * Rolls back only with a confirmation equal to the current plan; otherwise throws CONFIRMATION_REQUIRED whose
 * details.plan is what to show (and send back as the confirmation).
 */
export async function rollback(
  host: ZfsHost,
  request: { snapshot: string; confirmation?: RollbackConfirmation },
  call: CallOptions = {},
): Promise<RollbackPlan> {
  const plan = await planRollback(host, request.snapshot, call);
  const mismatch = request.confirmation ? confirmationMismatch(plan, request.confirmation) : null;
  if (!request.confirmation || mismatch !== null) {
    throw new AppFailure(
      'CONFIRMATION_REQUIRED',
      mismatch === null
        ? `Rolling back to ${plan.snapshot} ${describePlan(plan)}.`
        : `The rollback confirmation is out of date (${mismatch}). Rolling back now ${describePlan(plan)}.`,
      'Review what will be lost and confirm it to go ahead.',
      { confirmation: confirmationDigest(destroysOf(plan)), destroys: destroysOf(plan), actions: [`roll back to ${plan.snapshot}: ${describePlan(plan)}`], reclaimBytes: plan.discardsWrittenBytes },
    );
  }
  await host.runner.run(buildRollbackArgv(host.capabilities.tools, plan.snapshot, rollbackFlagsOf(plan)), call);
  return plan;
}
