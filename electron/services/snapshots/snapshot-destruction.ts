import type { DestructionOutcome, DestructionPlan } from '../../../shared/replication-reports.ts';
import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName, splitZfsName } from '../../../shared/zfs-names.ts';
import { holdTagPrefix } from '../replication/hold-tags.ts';
import {
  confirmationDetails,
  buildDestructionPlan,
  executeDestruction,
  listInventory,
  measureReclaim,
  type DestructionScope,
  type Inventory,
  type OperationSpec,
} from '../zfs/destruction.ts';
import { listHolds } from '../zfs/holds.ts';
import type { CallOptions, ZfsHost } from '../zfs/zfs-host.ts';

// What the snapshot and dataset screens destroy, through the same guarded path as replication: plan (the exact
// items with GUIDs and sizes, and what `zfs destroy -nv` says it frees), show, confirm the plan's digest, execute
// (listed again right before; any difference refuses). Held snapshots are refused with the reason - a replication
// task's hold marks its common base - and so are snapshots the caller knows must stay.

export interface ScreenTarget {
  host: ZfsHost;
  /** The saved connection of that NAS: the plan's digest is bound to it. */
  connectionId: string;
}

export interface ScreenOptions {
  call?: CallOptions;
  /** A replication task's name by id, for "common base of task …" (hold tags carry the id). */
  taskName?: (taskId: string) => string | undefined;
  /** Full snapshot names the caller knows must stay (e.g. a task's common base whose hold was lost), with why. */
  keep?: ReadonlyMap<string, string>;
}

const scopeOf = (target: ScreenTarget, purpose: DestructionPlan['purpose']): DestructionScope => ({ purpose, taskId: null, connectionId: target.connectionId, host: target.host.runner.label });

/** Why each held snapshot must stay, from its hold tags: a replication task's tag marks that task's common base. */
async function holdReasons(host: ZfsHost, snapshots: readonly string[], options: ScreenOptions): Promise<Map<string, string>> {
  const reasons = new Map<string, string[]>();
  if (snapshots.length > 0) {
    for (const hold of await listHolds(host, snapshots, {}, options.call ?? {})) {
      const taskId = hold.tag.startsWith(holdTagPrefix) ? hold.tag.slice(holdTagPrefix.length) : null;
      const why = taskId !== null ? `common base of task "${options.taskName?.(taskId) ?? taskId}" (held by ${hold.tag})` : `held by "${hold.tag}"`;
      reasons.set(hold.snapshot, [...(reasons.get(hold.snapshot) ?? []), why]);
    }
  }
  return new Map(snapshots.map((s) => [s, (reasons.get(s) ?? ['held']).join(', ')]));
}

function heldIn(inventory: Inventory, snapshot: string): boolean {
  const { dataset, shortName } = splitZfsName(snapshot);
  return (inventory.get(dataset)?.snapshots.find((s) => s.name === shortName)?.userRefs ?? 0) > 0;
}

/**
 * Destroying snapshots chosen on a screen (any datasets of one NAS): one atomic `zfs destroy ds@a,b` per dataset.
 * Held ones (and `keep`) are refused with the reason and left out; the plan says what the rest free.
 */
export async function planSnapshotDestroy(target: ScreenTarget, snapshots: readonly string[], options: ScreenOptions = {}): Promise<DestructionPlan> {
  if (snapshots.length === 0) throw new AppFailure('INVALID_REQUEST', 'Choose at least one snapshot to destroy.');
  const byDataset = new Map<string, string[]>();
  for (const snapshot of new Set(snapshots)) {
    const { dataset, shortName } = splitZfsName(assertZfsName('snapshot', snapshot));
    byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), shortName!]);
  }
  const asked = [...byDataset].map(([dataset, names]): OperationSpec => ({ kind: 'destroy-snapshots', dataset, snapshots: names }));
  const call = options.call ?? {};
  const inventory = await listInventory(target.host, asked, call);
  const absent = [...new Set(snapshots)].filter((s) => {
    const { dataset, shortName } = splitZfsName(s);
    return !inventory.get(dataset)?.snapshots.some((x) => x.name === shortName);
  });
  if (absent.length > 0) throw new AppFailure('DATASET_NOT_FOUND', `Not on ${target.host.runner.label}: ${absent.join(', ')}.`, 'Refresh the snapshot list: they may have been destroyed or renamed.');
  const held = [...new Set(snapshots)].filter((s) => heldIn(inventory, s));
  const reasons = await holdReasons(target.host, held, options);
  for (const [snapshot, why] of options.keep ?? []) if (snapshots.includes(snapshot) && !reasons.has(snapshot)) reasons.set(snapshot, why);
  const specs = asked.flatMap((spec): OperationSpec[] => {
    if (spec.kind !== 'destroy-snapshots') return [];
    const going = spec.snapshots.filter((name) => !reasons.has(`${spec.dataset}@${name}`));
    return going.length > 0 ? [{ ...spec, snapshots: going }] : [];
  });
  const reclaimBytes = await measureReclaim(target.host, specs, call);
  return buildDestructionPlan(scopeOf(target, 'destroy-snapshots'), target.host.capabilities.tools, specs, inventory, {
    refused: [...reasons].map(([name, reason]) => ({ name, reason })),
    reclaimBytes,
  });
}

/** Rolling a dataset back to one of its snapshots: every newer snapshot and bookmark, and unsnapshotted writes, go. */
export async function planRollbackTo(target: ScreenTarget, snapshot: string, options: ScreenOptions = {}): Promise<DestructionPlan> {
  const spec: OperationSpec = { kind: 'rollback', to: assertZfsName('snapshot', snapshot) };
  const inventory = await listInventory(target.host, [spec], options.call ?? {});
  const plan = buildDestructionPlan(scopeOf(target, 'rollback'), target.host.capabilities.tools, [spec], inventory);
  // zfs refuses to destroy a held snapshot, so a rollback past one cannot run: say which and why up front.
  const held = plan.operations[0]!.items.filter((i) => i.kind === 'snapshot' && heldIn(inventory, i.name)).map((i) => i.name);
  if (held.length === 0) return plan;
  const reasons = await holdReasons(target.host, held, options);
  return buildDestructionPlan(scopeOf(target, 'rollback'), target.host.capabilities.tools, [spec], inventory, { refused: [...reasons].map(([name, reason]) => ({ name, reason })) });
}

/** Destroying a dataset with everything below it (children, snapshots, bookmarks), never a pool. */
export async function planDatasetDestroy(target: ScreenTarget, dataset: string, options: ScreenOptions = {}): Promise<DestructionPlan> {
  const spec: OperationSpec = { kind: 'destroy-dataset', dataset: assertZfsName('dataset', dataset) };
  if (!dataset.includes('/')) throw new AppFailure('INVALID_REQUEST', `"${dataset}" is a pool's root dataset; the app does not destroy pools.`, 'Destroy its child datasets instead.');
  const inventory = await listInventory(target.host, [spec], options.call ?? {});
  return buildDestructionPlan(scopeOf(target, 'destroy-dataset'), target.host.capabilities.tools, [spec], inventory);
}

/** Executes a plan the admin confirmed (its digest): listed again first, refused on any difference. */
export async function executeConfirmedDestruction(target: ScreenTarget, plan: DestructionPlan, confirmation: string | undefined, options: ScreenOptions = {}): Promise<DestructionOutcome> {
  if (plan.connectionId !== target.connectionId) {
    // Nothing this plan lists can be confirmed here: no digest, no list.
    throw new AppFailure('CONFIRMATION_REQUIRED', `This plan is for another NAS (${plan.host}).`, 'Plan the destruction again on this NAS.', confirmationDetails(null));
  }
  return executeDestruction(target.host, plan, confirmation, { ...(options.call ? { call: options.call } : {}) });
}
