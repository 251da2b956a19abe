import type { DestructiveStep, Divergence, ReplicationPlan, SendStep } from '../../../shared/replication-reports.ts';

// Decides what one dataset's replication run must do, from one listing of each side. Pure: the engine lists,
// this plans, the engine (or --dry-run) executes or prints exactly this plan. Anything that would lose data on
// the destination is not a step but a refusal that says why and what would resolve it; the engine turns the
// resolutions of a task into one destruction plan (exactly what goes, with GUIDs) and only a confirmation of that
// plan's digest turns them into steps (destructionConfirmed).

export interface PlannerSnapshot {
  /** The part after '@' (or '#' for a bookmark). */
  name: string;
  /** 64-bit GUID as a decimal string (it does not fit a JS number). */
  guid: string;
  createtxg: number;
}

export interface SourceState {
  dataset: string;
  /** Oldest first, by createtxg. */
  snapshots: readonly PlannerSnapshot[];
  bookmarks: readonly PlannerSnapshot[];
}

export interface DestinationState {
  dataset: string;
  exists: boolean;
  /** Oldest first, by createtxg. */
  snapshots: readonly PlannerSnapshot[];
  /** Bytes written since the newest snapshot (the `written` property); 0 when unchanged. */
  writtenSinceNewestSnapshot: number;
  /** Bytes the dataset holds (`used`); reported when it has data but no snapshots. */
  usedBytes: number;
  receiveResumeToken: string | null;
}

export interface PlanOptions {
  /** Which source snapshots this task replicates (naming schema, regex or all). */
  select(name: string): boolean;
  /** The admin confirmed the destruction plan that resolves this dataset's divergence (the engine checked its digest). */
  destructionConfirmed?: boolean;
  /**
   * The engine sends properties (-p) with the last step only: a long -I tail then ends in its own one-snapshot -i,
   * so the receive applies them once instead of once per snapshot. Off when properties are not replicated.
   */
  splitLongIncremental?: boolean;
}

/**
 * An `-I` stream of at least this many snapshots ends in its own one-snapshot `-i` step. Only the last step of a
 * plan carries the properties (`send -p`, see the engine), and a receive applies a -p stream's properties once per
 * snapshot in it: +5–9 s per 100 small snapshots on the test VMs, against about half a second for one more stream.
 */
export const longIncrementalSnapshots = 16;

function splitLongTail(source: SourceState, steps: SendStep[]): SendStep[] {
  const last = steps.at(-1);
  if (!last || last.kind !== 'incremental' || !last.intermediates) return steps;
  const from = source.snapshots.findIndex((s) => s.name === last.from.replace(/^#/, ''));
  const to = source.snapshots.findIndex((s) => s.name === last.to);
  if (from < 0 || to - from < longIncrementalSnapshots) return steps;
  const beforeNewest = source.snapshots[to - 1]!.name;
  return [
    ...steps.slice(0, -1),
    { kind: 'incremental', from: last.from, to: beforeNewest, intermediates: to - 1 - from > 1 },
    { kind: 'incremental', from: beforeNewest, to: last.to, intermediates: false },
  ];
}

/**
 * Sends from `base` (exclusive; null = none yet) to the newest selected snapshot. One `-I` when every source
 * snapshot in between is selected; otherwise a chain of `-i` that skips the unselected ones.
 */
function incrementalSteps(source: SourceState, base: { name: string; isBookmark: boolean; createtxg: number }, selected: PlannerSnapshot[], options: PlanOptions): SendStep[] {
  const steps = contiguousOrChainedSteps(source, base, selected);
  return options.splitLongIncremental ? splitLongTail(source, steps) : steps;
}

function contiguousOrChainedSteps(source: SourceState, base: { name: string; isBookmark: boolean; createtxg: number }, selected: PlannerSnapshot[]): SendStep[] {
  const after = selected.filter((s) => s.createtxg > base.createtxg);
  if (after.length === 0) return [];
  const newest = after.at(-1)!;
  const between = source.snapshots.filter((s) => s.createtxg > base.createtxg && s.createtxg <= newest.createtxg);
  const contiguous = between.length === after.length;
  const baseRef = base.isBookmark ? `#${base.name}` : base.name;
  if (contiguous && !base.isBookmark) return [{ kind: 'incremental', from: baseRef, to: newest.name, intermediates: after.length > 1 }];
  if (contiguous) {
    // A bookmark can only be an -i source: reach the first snapshot with -i, then -I the rest.
    const [first, ...rest] = after;
    const steps: SendStep[] = [{ kind: 'incremental', from: baseRef, to: first!.name, intermediates: false }];
    if (rest.length > 0) steps.push({ kind: 'incremental', from: first!.name, to: newest.name, intermediates: rest.length > 1 });
    return steps;
  }
  const steps: SendStep[] = [];
  let from = baseRef;
  for (const snapshot of after) {
    steps.push({ kind: 'incremental', from, to: snapshot.name, intermediates: false });
    from = snapshot.name;
  }
  return steps;
}

function refuse(divergence: Divergence[], resolution: DestructiveStep): ReplicationPlan {
  return { status: 'refused', steps: [], refusal: { divergence, resolution } };
}

export function planReplication(source: SourceState, destination: DestinationState, options: PlanOptions): ReplicationPlan {
  const selected = source.snapshots.filter((s) => options.select(s.name));
  const destinationGuids = new Map(destination.snapshots.map((s) => [s.guid, s]));

  // The common base: the newest source snapshot or bookmark whose GUID is on the destination. A bookmark wins
  // when it is newer (its snapshot was destroyed after the last run): the older snapshot would force a rollback.
  const newestSnapshot = [...source.snapshots].reverse().find((s) => destinationGuids.has(s.guid));
  const newestBookmark = [...source.bookmarks].reverse().find((b) => destinationGuids.has(b.guid));
  const commonBookmark = newestBookmark && (!newestSnapshot || newestBookmark.createtxg > newestSnapshot.createtxg) ? newestBookmark : undefined;
  const commonSnapshot = commonBookmark ? undefined : newestSnapshot;
  const common = commonSnapshot ?? commonBookmark;

  if (destination.receiveResumeToken) {
    // An interrupted receive is finished first; the run is planned again after it.
    return { status: 'ready', base: common?.name ?? null, destructive: null, steps: [{ kind: 'resume', token: destination.receiveResumeToken }], newest: '' };
  }

  if (selected.length === 0) {
    return { status: 'nothing-to-send', reason: `No snapshot of ${source.dataset} matches this task's selection.`, steps: [], base: common?.name ?? null };
  }
  const newest = selected.at(-1)!;

  const fullSteps = (): SendStep[] => {
    const oldest = selected[0]!;
    return [{ kind: 'full', snapshot: oldest.name }, ...incrementalSteps(source, { name: oldest.name, isBookmark: false, createtxg: oldest.createtxg }, selected, options)];
  };

  if (!destination.exists) return { status: 'ready', base: null, destructive: null, steps: fullSteps(), newest: newest.name };

  if (!common) {
    const divergence: Divergence[] =
      destination.snapshots.length > 0
        ? [{ reason: 'no-common-snapshot', snapshots: destination.snapshots.map((s) => `${destination.dataset}@${s.name}`) }]
        : [{ reason: 'data-without-snapshots', usedBytes: destination.usedBytes }];
    const resolution: DestructiveStep = { kind: 'destroy-dataset', dataset: destination.dataset };
    if (!options.destructionConfirmed) return refuse(divergence, resolution);
    return { status: 'ready', base: null, destructive: resolution, steps: fullSteps(), newest: newest.name };
  }

  const destinationBase = destinationGuids.get(common.guid)!;
  const newer = destination.snapshots.filter((s) => s.createtxg > destinationBase.createtxg);
  const divergence: Divergence[] = [];
  if (newer.length > 0) divergence.push({ reason: 'newer-snapshots', base: destinationBase.name, snapshots: newer.map((s) => s.name) });
  // `written` counts from the newest destination snapshot: it is the base only when nothing newer exists.
  // (With newer snapshots the rollback discards those writes too; the destruction plan lists them as data.)
  if (newer.length === 0 && destination.writtenSinceNewestSnapshot > 0) {
    divergence.push({ reason: 'written-since-base', base: destinationBase.name, bytes: destination.writtenSinceNewestSnapshot });
  }
  let destructive: DestructiveStep | null = null;
  if (divergence.length > 0) {
    const resolution: DestructiveStep = { kind: 'rollback', to: `${destination.dataset}@${destinationBase.name}` };
    if (!options.destructionConfirmed) return refuse(divergence, resolution);
    destructive = resolution;
  }

  const steps = incrementalSteps(source, { name: common.name, isBookmark: common === commonBookmark, createtxg: common.createtxg }, selected, options);
  if (steps.length === 0) {
    return destructive
      ? { status: 'ready', base: common.name, destructive, steps: [], newest: common.name }
      : { status: 'up-to-date', base: common.name, steps: [] };
  }
  return { status: 'ready', base: common.name, destructive, steps, newest: newest.name };
}
