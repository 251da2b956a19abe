import { createHash } from 'node:crypto';
import { formatBytes } from '../../../shared/format-bytes.ts';
import type { DestructionChange, DestructionItem, DestructionOutcome, DestructionPlan, DestructiveOperation } from '../../../shared/replication-reports.ts';
import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName, splitZfsName } from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { buildDestroyArgv, parseDestroyOutput } from './destroy.ts';
import { listHolds } from './holds.ts';
import { settleHolds } from './operations.ts';
import { listForReplication } from './replication-listing.ts';
import { buildRollbackArgv } from './rollback.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// The one guarded path of every destroy and rollback the app runs (replication divergence, repair, the
// destination and periodic prunes, the snapshot screens). A destruction is planned as ONE object: the exact items
// each command destroys (descendants included, with GUIDs and sizes) from a listing of the NAS, and a digest bound
// to the purpose, the task, the connection and those GUIDs. Acting needs that digest, and lists the NAS again
// first: anything new or different there refuses the action and names the difference. `zfs receive -F` is never
// used (send-receive.ts cannot build it), so a receive destroys nothing by itself.

/** What the plan is computed from: one NAS's datasets with their snapshots and bookmarks (a replication listing). */
export interface InventoryDataset {
  name: string;
  type: 'filesystem' | 'volume';
  guid: string;
  usedBytes: number;
  /** Bytes written since the newest snapshot. */
  writtenBytes: number;
  /** Oldest first. */
  snapshots: ReadonlyArray<{ name: string; guid: string; createtxg: number; usedBytes: number; userRefs: number }>;
  bookmarks: ReadonlyArray<{ name: string; guid: string; createtxg: number }>;
}
export type Inventory = ReadonlyMap<string, InventoryDataset>;

/** An operation before its items are known. */
export type OperationSpec =
  | { kind: 'destroy-dataset'; dataset: string }
  | { kind: 'destroy-snapshots'; dataset: string; snapshots: readonly string[] }
  | { kind: 'rollback'; to: string };

export interface DestructionScope {
  purpose: DestructionPlan['purpose'];
  taskId: string | null;
  connectionId: string;
  /** For messages: "root@nas-b:22". */
  host: string;
}

/** Metadata (atime, the rollback's own bookkeeping) moves `written` a little between plan and action. */
export const writtenSlackBytes = 1024 * 1024;

const isUnder = (name: string, dataset: string) => name === dataset || name.startsWith(`${dataset}/`);

function missing(name: string, scope: { host: string }): AppFailure {
  return new AppFailure('DATASET_NOT_FOUND', `${name} does not exist on ${scope.host}.`, 'Refresh the list: it may have been destroyed or renamed.');
}

/** Exactly what one operation destroys, from the inventory. `note` annotates an item (not part of the digest). */
export function operationItems(spec: OperationSpec, inventory: Inventory, note: (item: DestructionItem) => string | null = () => null): DestructionItem[] | null {
  const items: DestructionItem[] = [];
  const push = (item: Omit<DestructionItem, 'note'>, fixed: string | null = null) => items.push({ ...item, note: fixed ?? note({ ...item, note: null }) });
  const snapshotsOf = (d: InventoryDataset, after = -1) => {
    for (const s of d.snapshots) if (s.createtxg > after) push({ kind: 'snapshot', name: `${d.name}@${s.name}`, guid: s.guid, bytes: s.usedBytes });
    for (const b of d.bookmarks) if (b.createtxg > after) push({ kind: 'bookmark', name: `${d.name}#${b.name}`, guid: b.guid, bytes: null });
  };
  switch (spec.kind) {
    case 'destroy-dataset': {
      if (!inventory.has(spec.dataset)) return null;
      // Parents before children (the listing's order); each dataset with its snapshots and bookmarks.
      for (const d of inventory.values()) {
        if (!isUnder(d.name, spec.dataset)) continue;
        push({ kind: d.type, name: d.name, guid: d.guid, bytes: d.usedBytes });
        snapshotsOf(d);
      }
      return items;
    }
    case 'destroy-snapshots': {
      const d = inventory.get(spec.dataset);
      if (!d) return null;
      for (const name of spec.snapshots) {
        const s = d.snapshots.find((x) => x.name === name);
        if (s) push({ kind: 'snapshot', name: `${d.name}@${s.name}`, guid: s.guid, bytes: s.usedBytes });
      }
      return items;
    }
    case 'rollback': {
      const { dataset, shortName } = splitZfsName(spec.to);
      const d = inventory.get(dataset);
      const target = d?.snapshots.find((s) => s.name === shortName);
      if (!d || !target) return null;
      // zfs rollback -r: every newer snapshot and bookmark, and what was written since the newest snapshot.
      snapshotsOf(d, target.createtxg);
      if (d.writtenBytes > 0) push({ kind: 'written-data', name: d.name, guid: d.guid, bytes: d.writtenBytes }, `since @${d.snapshots.at(-1)!.name}`);
      return items;
    }
  }
}

export function operationArgv(tools: ZfsToolPaths, spec: OperationSpec): string[] {
  switch (spec.kind) {
    case 'destroy-dataset':
      return buildDestroyArgv(tools, spec.dataset, { recursive: true });
    case 'destroy-snapshots':
      return buildDestroyArgv(tools, `${spec.dataset}@${spec.snapshots.join(',')}`);
    case 'rollback':
      return buildRollbackArgv(tools, spec.to, { destroyNewer: true });
  }
}

const specOf = (operation: DestructiveOperation): OperationSpec =>
  operation.kind === 'destroy-dataset'
    ? { kind: 'destroy-dataset', dataset: operation.dataset }
    : operation.kind === 'destroy-snapshots'
      ? { kind: 'destroy-snapshots', dataset: operation.dataset, snapshots: operation.snapshots }
      : { kind: 'rollback', to: operation.to };

/** The target an operation acts on, for messages and listings. */
export const operationTarget = (operation: OperationSpec): string => (operation.kind === 'rollback' ? operation.to : operation.dataset);

/** What the digest covers: who, where, which commands, and each item's identity (written data by its size as shown). */
function digestOf(plan: Omit<DestructionPlan, 'digest'>): string {
  const canonical = {
    v: 1,
    purpose: plan.purpose,
    taskId: plan.taskId,
    connectionId: plan.connectionId,
    operations: plan.operations.map((op) => ({
      target: { ...specOf(op) },
      items: op.items.map((i) => [i.kind, i.name, i.guid, i.kind === 'written-data' ? formatBytes(i.bytes ?? 0) : null]),
    })),
    refused: plan.refused.map((r) => r.name),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

/** A plan from the inventory; throws DATASET_NOT_FOUND when an operation's target is not there. */
export function buildDestructionPlan(
  scope: DestructionScope,
  tools: ZfsToolPaths,
  specs: readonly OperationSpec[],
  inventory: Inventory,
  options: { note?: (item: DestructionItem) => string | null; refused?: DestructionPlan['refused']; reclaimBytes?: number | null } = {},
): DestructionPlan {
  const operations = specs.flatMap((asked): DestructiveOperation[] => {
    const items = operationItems(asked, inventory, options.note);
    if (!items) throw missing(operationTarget(asked), scope);
    // Snapshots named but no longer there are not part of the command (nothing to destroy, nothing to confirm).
    const spec = asked.kind === 'destroy-snapshots' ? { ...asked, snapshots: asked.snapshots.filter((name) => items.some((i) => i.name === `${asked.dataset}@${name}`)) } : asked;
    if (spec.kind === 'destroy-snapshots' && spec.snapshots.length === 0) return [];
    const command = buildCommandLine(operationArgv(tools, spec));
    return [spec.kind === 'destroy-snapshots' ? { ...spec, snapshots: [...spec.snapshots], items, command } : { ...spec, items, command }];
  });
  const plan = { purpose: scope.purpose, taskId: scope.taskId, connectionId: scope.connectionId, host: scope.host, operations, refused: options.refused ?? [], reclaimBytes: options.reclaimBytes ?? null };
  return { ...plan, digest: digestOf(plan) };
}

/** The items of a plan in words, one line each (for the CLI and a plain confirmation). */
export function itemWords(item: DestructionItem): string {
  const size = item.bytes === null ? '' : formatBytes(item.bytes);
  const note = item.note ? `; ${item.note}` : '';
  switch (item.kind) {
    case 'written-data':
      return `${size} written to ${item.name}${item.note ? ` ${item.note}` : ''}`;
    case 'bookmark':
      return `${item.name} (bookmark${note})`;
    case 'snapshot':
      return `${item.name} (snapshot, ${size}${note})`;
    default:
      return `${item.name} (${item.kind === 'volume' ? 'volume' : 'dataset'}, ${size} used, with everything in it${note})`;
  }
}

export const planWords = (plan: DestructionPlan): string[] => plan.operations.flatMap((op) => op.items.map(itemWords));

/** What the plan destroys by full name (datasets, snapshots, bookmarks): the list a confirmation dialog shows. */
export const destroyedNames = (plan: DestructionPlan | null): string[] => (plan ? plan.operations.flatMap((op) => op.items.filter((i) => i.kind !== 'written-data').map((i) => i.name)) : []);

/** CONFIRMATION_REQUIRED's details for a plan (shared/result.ts): the digest, the names, the words, the plan. */
export function confirmationDetails(plan: DestructionPlan | null, extra: { changes?: DestructionChange[]; actions?: string[] } = {}) {
  return {
    confirmation: plan?.digest ?? null,
    destroys: destroyedNames(plan),
    actions: extra.actions ?? (plan ? planWords(plan) : []),
    reclaimBytes: plan?.reclaimBytes ?? null,
    ...(plan ? { plan } : {}),
    ...(extra.changes ? { changes: extra.changes } : {}),
  };
}

/** How the NAS differs from the plan's items, operation by operation. Written data may grow by `writtenSlackBytes`. */
export function destructionChanges(operations: readonly DestructiveOperation[], inventory: Inventory): DestructionChange[] {
  const changes: DestructionChange[] = [];
  for (const op of operations) {
    const now = operationItems(specOf(op), inventory) ?? [];
    const key = (i: DestructionItem) => `${i.kind}\u0000${i.name}`;
    const planned = new Map(op.items.map((i) => [key(i), i]));
    const fresh = new Map(now.map((i) => [key(i), i]));
    for (const [k, item] of fresh) {
      const was = planned.get(k);
      if (!was) changes.push({ change: 'added', item, was: null });
      else if (was.guid !== item.guid || (item.kind === 'written-data' && (item.bytes ?? 0) > (was.bytes ?? 0) + writtenSlackBytes)) changes.push({ change: 'changed', item, was });
    }
    for (const [k, item] of planned) if (!fresh.has(k)) changes.push({ change: 'removed', item, was: null });
  }
  return changes;
}

export function changeWords(change: DestructionChange): string {
  if (change.change === 'added') return `new: ${itemWords(change.item)}`;
  if (change.change === 'removed') return `gone: ${itemWords(change.item)}`;
  return change.item.guid !== change.was?.guid ? `replaced (another GUID): ${itemWords(change.item)}` : `grew: ${itemWords(change.item)}`;
}

/** Lists what the operations act on now: each target's tree (a dataset destroy) or the dataset alone, at once. */
export async function listInventory(host: ZfsHost, specs: readonly OperationSpec[], call: CallOptions = {}): Promise<Inventory> {
  const inventory = new Map<string, InventoryDataset>();
  const roots = new Map<string, boolean>();
  for (const spec of specs) {
    const dataset = spec.kind === 'rollback' ? splitZfsName(assertZfsName('snapshot', spec.to)).dataset : assertZfsName('dataset', spec.dataset);
    roots.set(dataset, (roots.get(dataset) ?? false) || spec.kind === 'destroy-dataset');
  }
  const listings = await Promise.all([...roots].map(([root, tree]) => listForReplication(host, root, call, tree ? {} : { depth: 1 })));
  for (const listing of listings) for (const [name, d] of listing ?? []) inventory.set(name, d);
  return inventory;
}

/** The digest is recomputed from the plan's own content: a plan edited after it was shown confirms nothing. */
export function assertConfirmed(plan: DestructionPlan, confirmation: string | undefined): void {
  const { digest: _digest, ...content } = plan;
  if (digestOf(content) !== plan.digest || confirmation !== plan.digest) {
    throw new AppFailure(
      'CONFIRMATION_REQUIRED',
      `Destroying on ${plan.host} needs a confirmation of exactly this list: ${planWords(plan).join('; ') || 'nothing'}.`,
      'Nothing was changed. Review the list; to proceed, confirm it (its digest).',
      confirmationDetails({ ...content, digest: digestOf(content) }),
    );
  }
}

export interface ExecuteOptions {
  call?: CallOptions;
  /**
   * 'refuse' (a confirmed destruction): any difference refuses the whole action. 'skip-changed' (a prune decided by a
   * policy, no admin to ask): items that changed or went are left out, the rest go; the skipped items are reported.
   */
  onChange?: 'refuse' | 'skip-changed';
  /** Holds with this tag (the task's own) are released on items that have them: they would block the destroy. */
  releaseTag?: string;
  /** Measured in the same breath, e.g. by the caller's own listing; listed here when absent. */
  inventory?: Inventory;
}

/** The re-check failed: CONFIRMATION_REQUIRED with the differences and the plan as it would be now. */
export function changedFailure(plan: DestructionPlan, changes: readonly DestructionChange[], now: DestructionPlan | null): AppFailure {
  return new AppFailure(
    'CONFIRMATION_REQUIRED',
    `What would be destroyed on ${plan.host} changed since it was confirmed: ${changes.map(changeWords).join('; ')}.`,
    'Nothing more was destroyed. Review the new list; to proceed, confirm it.',
    confirmationDetails(now, { changes: [...changes] }),
  );
}

/**
 * Acts on some operations of a confirmed plan (all by default): lists the NAS again, refuses on any difference
 * (or, for a policy prune, leaves the changed items alone), releases the task's own holds on what goes, and runs
 * each operation's one guarded command. The caller checked the confirmation (assertConfirmed) once for the plan.
 */
export async function executeOperations(host: ZfsHost, plan: DestructionPlan, operations: readonly DestructiveOperation[], options: ExecuteOptions = {}): Promise<DestructionOutcome> {
  const call = options.call ?? {};
  const outcome: DestructionOutcome = { destroyed: [], reclaimBytes: null, commands: [], skipped: [] };
  if (operations.length === 0) return outcome;
  const inventory = options.inventory ?? (await listInventory(host, operations.map(specOf), call));
  const changes = destructionChanges(operations, inventory);
  let acting = [...operations];
  if (changes.length > 0) {
    if (options.onChange !== 'skip-changed') {
      const specs = operations.map(specOf).filter((spec) => operationItems(spec, inventory) !== null);
      throw changedFailure(plan, changes, specs.length > 0 ? buildDestructionPlan(plan, host.capabilities.tools, specs, inventory) : null);
    }
    outcome.skipped.push(...changes);
    const unchanged = (op: DestructiveOperation) => op.items.filter((i) => !changes.some((c) => c.item.name === i.name || c.was?.name === i.name));
    acting = operations.flatMap((op): DestructiveOperation[] => {
      if (op.kind !== 'destroy-snapshots') return [];
      const items = unchanged(op);
      const snapshots = items.map((i) => splitZfsName(i.name).shortName!);
      return snapshots.length > 0 ? [{ ...op, snapshots, items }] : [];
    });
  }
  for (const op of acting) {
    if (options.releaseTag) {
      const held = op.items.filter((i) => i.kind === 'snapshot' && heldNow(inventory, i.name)).map((i) => i.name);
      const ours = held.length > 0 ? (await listHolds(host, held, {}, call)).filter((h) => h.tag === options.releaseTag).map((h) => h.snapshot) : [];
      await settleHolds(host, 'release', { tag: options.releaseTag, snapshots: ours }, call);
    }
    const argv = operationArgv(host.capabilities.tools, specOf(op));
    outcome.commands.push(buildCommandLine(argv));
    const { stdout } = await host.runner.run(argv, call);
    if (op.kind === 'rollback') {
      outcome.destroyed.push(...op.items.filter((i) => i.kind !== 'written-data').map((i) => i.name));
      continue;
    }
    const listing = parseDestroyOutput(stdout);
    outcome.destroyed.push(...listing.destroys);
    if (listing.reclaimBytes !== null) outcome.reclaimBytes = (outcome.reclaimBytes ?? 0) + listing.reclaimBytes;
  }
  return outcome;
}

function heldNow(inventory: Inventory, snapshot: string): boolean {
  const { dataset, shortName } = splitZfsName(snapshot);
  return (inventory.get(dataset)?.snapshots.find((s) => s.name === shortName)?.userRefs ?? 0) > 0;
}

/** Checks the confirmation, then acts on the whole plan (the snapshot screens' path). */
export async function executeDestruction(host: ZfsHost, plan: DestructionPlan, confirmation: string | undefined, options: ExecuteOptions = {}): Promise<DestructionOutcome> {
  assertConfirmed(plan, confirmation);
  // Held snapshots in a rollback's way make zfs refuse it; snapshots refused from a destroy are simply left out.
  if (plan.refused.length > 0 && (plan.operations.length === 0 || plan.purpose === 'rollback')) {
    throw new AppFailure('CONFIRMATION_REQUIRED', `This cannot go ahead: ${plan.refused.map((r) => `${r.name} (${r.reason})`).join('; ')}.`, 'Release those holds first (if they may go), or pick other snapshots.', {
      // No confirmation can make it go ahead: the plan (with its refused list) says why.
      ...confirmationDetails(plan),
      confirmation: null,
    });
  }
  return executeOperations(host, plan, plan.operations, options);
}

/** `zfs destroy -n -v -p` of the plan's snapshot destroys: the space they would free. */
export async function measureReclaim(host: ZfsHost, specs: readonly OperationSpec[], call: CallOptions = {}): Promise<number | null> {
  let total: number | null = null;
  for (const spec of specs) {
    if (spec.kind !== 'destroy-snapshots' || spec.snapshots.length === 0) continue;
    const { stdout } = await host.runner.run(buildDestroyArgv(host.capabilities.tools, `${spec.dataset}@${spec.snapshots.join(',')}`, { dryRun: true }), call);
    const reclaim = parseDestroyOutput(stdout).reclaimBytes;
    if (reclaim !== null) total = (total ?? 0) + reclaim;
  }
  return total;
}
