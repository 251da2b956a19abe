import { createHash } from 'node:crypto';
import type { DestructionPlan, FailbackPlan, HoldChanges, PromoteReport, RepairDataset, RepairReport, ResetReport } from '../../../shared/replication-reports.ts';
import { AppFailure, toAppError } from '../../../shared/result.ts';
import { assertRunnableTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { destroyedNames, itemWords } from '../zfs/destruction.ts';
import { listHolds } from '../zfs/holds.ts';
import { buildHoldArgv, buildInheritArgv, buildMountArgv, buildSetPropertiesArgv, inheritProperty, settleHolds } from '../zfs/operations.ts';
import { getProperties } from '../zfs/properties.ts';
import { listForReplication, promotedProperty, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildRollbackArgv } from '../zfs/rollback.ts';
import { buildAbortReceiveArgv } from '../zfs/send-receive.ts';
import { callOf, type Call } from './engine-types.ts';
import { destinationNameOf, holdTagOf, planTask, runReplicationTask, type EngineDeps, type EngineNas, type PlannedDataset, type TaskPlan } from './replication-engine.ts';
import { acquireTaskLock, inspectTaskLock, removeTaskLockFiles } from './task-lock.ts';

// The admin's tools around a replication task, like OviOS retadm: doctor (diagnose, change nothing), repair
// (find the newest usable common snapshot or bookmark, restore our holds, plan the minimal resend; applied only
// with the digest of exactly that plan), reset (our holds and lock files, never data) and promote (failover:
// the replica becomes writable, the relationship is marked broken, and the failback plan comes back).
// Every result is plain data: the app stores and shows it, the CLI prints it with --json.

export type { DoctorReport, PromoteReport, RepairReport, ResetReport } from '../../../shared/replication-reports.ts';

export { doctorTask } from './task-doctor.ts';

// ---- holds of a task -------------------------------------------------------------------------------------

/** Our tag on every snapshot of the planned datasets that has any hold, per side. */
async function ourHolds(nas: EngineNas, tag: string, datasets: ReadonlyArray<{ name: string; snapshots: ListedDataset['snapshots'] }>, call: Call): Promise<string[]> {
  const held = datasets.flatMap((d) => d.snapshots.filter((s) => s.userRefs > 0).map((s) => `${d.name}@${s.name}`));
  if (held.length === 0) return [];
  return (await listHolds(nas.host, held, {}, call)).filter((h) => h.tag === tag).map((h) => h.snapshot);
}

/** The holds that make the common base pair safe again, and ours elsewhere (stale after a rollback) to release. */
async function holdRepairs(task: ReplicationTask, source: EngineNas, destination: EngineNas, plan: TaskPlan, call: Call): Promise<{ source: HoldChanges; destination: HoldChanges }> {
  const tag = holdTagOf(task.id);
  const destinationTrees = plan.datasets.flatMap((w) => (w.destinationDataset ? [{ name: w.report.destination, snapshots: w.destinationDataset.snapshots }] : []));
  const [sourceHeld, destinationHeld] = await Promise.all([ourHolds(source, tag, plan.datasets.map((w) => w.sourceDataset), call), ourHolds(destination, tag, destinationTrees, call)]);
  const wantSource: string[] = [];
  const wantDestination: string[] = [];
  for (const w of plan.datasets) {
    const base = baseOf(w);
    if (!base) continue;
    // A bookmark base cannot be held on the source; its destination snapshot still can (the receive needs it).
    if (base.onSource) wantSource.push(`${w.sourceDataset.name}@${base.name}`);
    wantDestination.push(`${w.report.destination}@${base.name}`);
  }
  return {
    source: { hold: wantSource.filter((s) => !sourceHeld.includes(s)), release: sourceHeld.filter((s) => !wantSource.includes(s)) },
    destination: { hold: wantDestination.filter((s) => !destinationHeld.includes(s)), release: destinationHeld.filter((s) => !wantDestination.includes(s)) },
  };
}

const isSnapshotOf = (dataset: ListedDataset, name: string) => dataset.snapshots.some((s) => s.name === name);

/** The common base of a planned dataset, when the plan keeps it (not when the replica is destroyed and resent). */
function baseOf(w: PlannedDataset): { name: string; onSource: boolean } | null {
  const plan = w.report.plan;
  if (plan.status === 'refused' || plan.base === null || !w.destinationDataset) return null;
  if (plan.status === 'ready' && plan.destructive?.kind === 'destroy-dataset') return null;
  const base = plan.base;
  return isSnapshotOf(w.destinationDataset, base) ? { name: base, onSource: isSnapshotOf(w.sourceDataset, base) } : null;
}

// ---- repair ----------------------------------------------------------------------------------------------

export interface MaintenanceOptions extends Call {
  dryRun?: boolean;
  confirmation?: string;
  /** encrypt-on-destination tasks whose key is not stored. */
  destinationKey?: string;
}

/**
 * After a destination rollback or a lost base: finds the newest usable common snapshot or bookmark, the holds to
 * restore, what a diverged replica's resolution destroys (its destruction plan), and the minimal plan from there.
 * Without the matching confirmation nothing changes.
 */
export async function repairTask(task: ReplicationTask, deps: EngineDeps, options: MaintenanceOptions = {}): Promise<RepairReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const call = callOf(options.signal);
  const source = await deps.nas(task.sourceConnectionId);
  const destination = await deps.nas(task.destinationConnectionId);
  // Shown as it will run: refused datasets planned as if their destruction was confirmed.
  const plan = await planTask(task, source, destination, call, { asConfirmed: true });
  const datasets = plan.datasets.map(repairDatasetOf);
  const holds = await holdRepairs(task, source, destination, plan, call);
  const destruction = plan.refusal?.destruction ?? null;
  const actions = repairActions(datasets, holds, destruction, source, destination);
  const confirmation = repairDigest(task, actions, destruction);
  const report: RepairReport = { taskId: task.id, datasets, holds, destruction, actions, confirmation, applied: false, run: null, error: null };
  if (options.dryRun || actions.length === 0) return report;
  if (options.confirmation !== confirmation) {
    report.error = {
      code: 'CONFIRMATION_REQUIRED',
      message: `Repairing "${task.name}" would: ${actions.join('; ')}.`,
      hint: 'Nothing was changed. Review the list; to apply it, repair again with this confirmation (it covers exactly this list, for this task, on these NAS).',
      details: { confirmation, destroys: destroyedNames(destruction), actions, ...(destruction ? { plan: destruction } : {}) },
    };
    return report;
  }
  await applyHoldRepairs(task, source, destination, holds, call);
  report.applied = true;
  if (datasets.some((d) => d.plan.status === 'ready' || d.abortedResume)) {
    // The run plans again and re-checks the destruction against the destination before acting.
    report.run = await runReplicationTask(task, deps, { ...(destruction ? { confirmation: destruction.digest } : {}), ...call, ...(options.destinationKey ? { destinationKey: options.destinationKey } : {}) });
    report.error = report.run.error;
  }
  return report;
}

function repairDatasetOf(w: PlannedDataset): RepairDataset {
  const p = w.report.plan;
  const baseName = p.status === 'refused' ? null : p.base;
  const destructive = p.status === 'ready' ? p.destructive : null;
  const base = baseName === null || destructive?.kind === 'destroy-dataset' ? null : { name: baseName, kind: isSnapshotOf(w.sourceDataset, baseName) ? ('snapshot' as const) : ('bookmark' as const) };
  return { source: w.report.source, destination: w.report.destination, base, plan: p, abortedResume: w.report.abortedResume };
}

/** Everything applying the repair does, in words and in order. */
function repairActions(datasets: readonly RepairDataset[], holds: RepairReport['holds'], destruction: DestructionPlan | null, source: EngineNas, destination: EngineNas): string[] {
  const actions: string[] = [];
  for (const d of datasets) if (d.abortedResume) actions.push(`abort the interrupted receive into ${d.destination} (${d.abortedResume})`);
  for (const op of destruction?.operations ?? []) {
    const lost = op.items.map(itemWords).join('; ');
    actions.push(op.kind === 'rollback' ? `roll back ${op.to}, destroying ${lost}` : `destroy ${op.kind === 'destroy-dataset' ? op.dataset : op.command}, which destroys ${lost}, and send it again in full`);
  }
  for (const s of holds.source.hold) actions.push(`hold ${s} on ${source.label}`);
  for (const s of holds.destination.hold) actions.push(`hold ${s} on ${destination.label}`);
  for (const s of holds.source.release) actions.push(`release the stale hold on ${s} on ${source.label}`);
  for (const s of holds.destination.release) actions.push(`release the stale hold on ${s} on ${destination.label}`);
  for (const d of datasets) {
    if (d.plan.status !== 'ready') continue;
    for (const step of d.plan.steps) {
      actions.push(
        step.kind === 'full'
          ? `send ${d.source}@${step.snapshot} in full`
          : step.kind === 'resume'
            ? `resume the interrupted send into ${d.destination}`
            : `send ${d.source} ${step.intermediates ? '-I' : '-i'} ${step.from.startsWith('#') ? step.from : `@${step.from}`} -> @${step.to}`,
      );
    }
  }
  return actions;
}

/** Holds first: from then on no prune can take the base away. One command per side and verb. */
async function applyHoldRepairs(task: ReplicationTask, source: EngineNas, destination: EngineNas, holds: RepairReport['holds'], call: Call): Promise<void> {
  const tag = holdTagOf(task.id);
  await Promise.all([settleHolds(source.host, 'hold', { tag, snapshots: holds.source.hold }, call), settleHolds(destination.host, 'hold', { tag, snapshots: holds.destination.hold }, call)]);
  await Promise.all([settleHolds(source.host, 'release', { tag, snapshots: holds.source.release }, call), settleHolds(destination.host, 'release', { tag, snapshots: holds.destination.release }, call)]);
}

/** Binds a repair's confirmation to the task, its actions and the GUIDs its destruction lists (via the plan's digest). */
function repairDigest(task: ReplicationTask, actions: readonly string[], destruction: DestructionPlan | null): string {
  const canonical = { v: 1, taskId: task.id, source: task.sourceConnectionId, destination: task.destinationConnectionId, actions, destruction: destruction?.digest ?? null };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

// ---- reset -----------------------------------------------------------------------------------------------

/** Removes what the task left on the NAS for itself: its holds on both sides, its lock files, a promote mark. Never data. */
export async function resetTask(task: ReplicationTask, deps: EngineDeps, options: MaintenanceOptions = {}): Promise<ResetReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const call = callOf(options.signal);
  const source = await deps.nas(task.sourceConnectionId);
  const destination = await deps.nas(task.destinationConnectionId);
  const lock = await inspectTaskLock(source.host.runner, task.id, options.signal);
  if (lock.state === 'held') throw new AppFailure('BUSY', `Task "${task.name}" is running (started by ${lock.owner ?? 'another runner'}); reset would pull the holds from under it.`, 'Wait for the run to finish (or cancel it), then reset.');
  const plan = await planTask(task, source, destination, call);
  const tag = holdTagOf(task.id);
  const destinationTrees = plan.datasets.flatMap((w) => (w.destinationDataset ? [{ name: w.report.destination, snapshots: w.destinationDataset.snapshots }] : []));
  const released = {
    source: await ourHolds(source, tag, plan.datasets.map((w) => w.sourceDataset), call),
    destination: await ourHolds(destination, tag, destinationTrees, call),
  };
  const existing = plan.datasets.filter((w) => w.destinationDataset).map((w) => w.report.destination);
  const marks = existing.length > 0 ? await getProperties(destination.host, existing, [promotedProperty], {}, call) : [];
  const unmarked = marks.filter((m) => m.source.kind === 'local' && m.value?.startsWith(`${task.id} `)).map((m) => m.name);
  const tools = (nas: EngineNas) => nas.host.capabilities.tools;
  const unmark = (dataset: string) => ({ name: dataset, property: promotedProperty });
  const commands = [
    ...(released.source.length > 0 ? [buildCommandLine(buildHoldArgv(tools(source), 'release', { tag, snapshots: released.source }))] : []),
    ...(released.destination.length > 0 ? [buildCommandLine(buildHoldArgv(tools(destination), 'release', { tag, snapshots: released.destination }))] : []),
    ...unmarked.map((d) => buildCommandLine(buildInheritArgv(tools(destination), unmark(d)))),
  ];
  if (options.dryRun) {
    const files = await removeTaskLockFiles(source.host.runner, task.id, { dryRun: true, ...(options.signal ? { signal: options.signal } : {}) });
    return { taskId: task.id, dryRun: true, released, lockFiles: files.removed, unmarked, commands };
  }
  await Promise.all([settleHolds(source.host, 'release', { tag, snapshots: released.source }, call), settleHolds(destination.host, 'release', { tag, snapshots: released.destination }, call)]);
  for (const d of unmarked) await inheritProperty(destination.host, unmark(d), call);
  const files = await removeTaskLockFiles(source.host.runner, task.id, options.signal ? { signal: options.signal } : {});
  if (files.heldBy) throw new AppFailure('BUSY', `A run of "${task.name}" started during the reset (${files.heldBy}); its lock was left alone.`, 'Holds were released; the running task sets its own again when it finishes.');
  return { taskId: task.id, dryRun: false, released, lockFiles: files.removed, unmarked, commands };
}

// ---- promote ---------------------------------------------------------------------------------------------

/**
 * Failover: every replica of the task becomes writable (readonly=off, mounted where it can be), and is marked
 * promoted so no later run overwrites it; the failback plan (a reverse incremental from the newest common
 * snapshot) comes back with the report. Holds the task lock so no run is in the middle of a transfer.
 */
export async function promoteTask(task: ReplicationTask, deps: EngineDeps, options: MaintenanceOptions = {}): Promise<PromoteReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const now = deps.now ?? (() => new Date());
  const call = callOf(options.signal);
  const destination = await deps.nas(task.destinationConnectionId);
  const notes: string[] = [];
  // Failover usually means the source is down: promote works without it (no lock there, no failback plan yet).
  let source: EngineNas | null = null;
  let lock: { release(): Promise<void> } | null = null;
  try {
    source = await deps.nas(task.sourceConnectionId);
    if (!options.dryRun) lock = await acquireTaskLock({ taskId: task.id, taskName: task.name, runner: source.host.runner, by: `${deps.by ?? 'app'} (promote)`, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if (error instanceof AppFailure && (error.code === 'BUSY' || error.code === 'CANCELLED')) throw error;
    notes.push(`The source is unreachable (${toAppError(error).message}): promoted without it. Promote again with --dry-run once it is back to get the failback plan.`);
    source = null;
  }
  try {
    const plan = source ? await planTask(task, source, destination, call) : null;
    const replicas: ListedDataset[] = plan
      ? plan.datasets.flatMap((w) => (w.destinationDataset ? [w.destinationDataset] : []))
      : await replicasWithoutSource(task, destination, call);
    const promotedAt = now().toISOString();
    const mark = `${task.id} promoted ${promotedAt} by ${deps.by ?? 'app'}`;
    const tools = destination.host.capabilities.tools;
    if (replicas.length === 0) throw new AppFailure('NOT_FOUND', `Task "${task.name}" has no replica on ${destination.label} yet: there is nothing to promote.`, 'Run the task first.');
    const commands: string[] = [];
    const promoted: string[] = [];
    const mounted: string[] = [];
    for (const replica of replicas) {
      const argv = buildSetPropertiesArgv(tools, replica.name, { readonly: 'off', [promotedProperty]: mark });
      if (replica.receiveResumeToken) {
        notes.push(`${replica.name} had an interrupted receive; it is promoted as of its last complete snapshot and the partial state is aborted.`);
        const abort = buildAbortReceiveArgv(tools, replica.name);
        commands.push(buildCommandLine(abort));
        if (!options.dryRun) await destination.host.runner.run(abort, call);
      }
      commands.push(buildCommandLine(argv));
      if (!options.dryRun) {
        await destination.host.runner.run(argv, call);
        promoted.push(replica.name);
      }
    }
    // Mounted after all are writable, parents first (the listing is in that order).
    for (const replica of replicas) {
      if (replica.type !== 'filesystem') continue;
      if (replica.keyStatus === 'unavailable') {
        notes.push(`${replica.name} is encrypted and its key is not loaded: load it (zfs load-key) and mount it to serve data.`);
        continue;
      }
      const argv = buildMountArgv(tools, replica.name);
      commands.push(buildCommandLine(argv));
      if (options.dryRun) continue;
      const { exitCode, stderr } = await destination.host.runner.run(argv, { ...call, expectedExitCodes: [0, 1] });
      if (exitCode === 0 || /already mounted/.test(stderr)) mounted.push(replica.name);
      else notes.push(`${replica.name} was not mounted: ${stderr.trim().split('\n').at(-1) ?? 'zfs mount failed'}.`);
    }
    const failback = plan && source ? plan.datasets.filter((w) => w.destinationDataset !== null).map((w) => failbackOf(w, source, destination)) : [];
    return { taskId: task.id, dryRun: options.dryRun ?? false, promotedAt, promoted, mounted, notes, commands, failback };
  } finally {
    await lock?.release();
  }
}

/** The task's replicas from the destination listing alone (the source being down). */
async function replicasWithoutSource(task: ReplicationTask, destination: EngineNas, call: Call): Promise<ListedDataset[]> {
  const listing = await listForReplication(destination.host, task.destinationParent, call);
  if (!listing) return [];
  return task.sources.flatMap((spec) => {
    const top = destinationNameOf(task.destinationParent, spec.name, spec.name);
    return [...listing.values()].filter((d) => d.name === top || (spec.recursive && d.name.startsWith(`${top}/`)));
  });
}

function failbackOf(w: PlannedDataset, source: EngineNas, destination: EngineNas): FailbackPlan {
  const replica = w.destinationDataset!;
  const onReplica = new Map(replica.snapshots.map((s) => [s.guid, s]));
  const common = [...w.sourceDataset.snapshots].reverse().find((s) => onReplica.has(s.guid)) ?? null;
  const from = w.report.destination;
  const to = w.sourceDataset.name;
  const zfsB = destination.host.capabilities.tools.zfs;
  const zfsA = source.host.capabilities.tools.zfs;
  if (!common) {
    return { from, to, base: null, rollbackDestroys: [], commands: [`# no common snapshot: ${to} must be received in full from ${from} (destroy it first, after a confirmation)`] };
  }
  const rollbackDestroys = w.sourceDataset.snapshots.filter((s) => s.createtxg > common.createtxg).map((s) => `${to}@${s.name}`);
  const snapshot = `${from}@failback-<time>`;
  return {
    from,
    to,
    base: common.name,
    rollbackDestroys,
    commands: [
      buildCommandLine([zfsB, 'snapshot', snapshot]),
      ...(rollbackDestroys.length > 0 || w.sourceDataset.writtenBytes > 0 ? [buildCommandLine(buildRollbackArgv(source.host.capabilities.tools, `${to}@${common.name}`, { destroyNewer: true }))] : []),
      `${buildCommandLine([zfsB, 'send', '-I', `${from}@${common.name}`, snapshot])} | ${buildCommandLine([zfsA, 'receive', '-s', '-u', to])}`,
    ],
  };
}
