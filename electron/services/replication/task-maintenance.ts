import { createHash } from 'node:crypto';
import type { CheckStatus, DestructionPlan, DoctorCheck, DoctorReport, FailbackPlan, HoldChanges, PromoteReport, RepairDataset, RepairReport, ResetReport } from '../../../shared/replication-reports.ts';
import { AppFailure, toAppError } from '../../../shared/result.ts';
import { formatBytes } from '../../../shared/format-bytes.ts';
import { assertRunnableTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { poolOfName } from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { nasToNasSshArgv } from '../ssh/key-exchange.ts';
import { destinationPermissions, sourcePermissions } from '../ssh/zfs-delegation.ts';
import { isAtLeast } from '../zfs/capabilities.ts';
import { listDatasets } from '../zfs/datasets.ts';
import { listHolds } from '../zfs/holds.ts';
import { listPools } from '../zfs/pools.ts';
import { buildHoldArgv, buildInheritArgv, buildMountArgv, buildSetPropertiesArgv, inheritProperty, settleHolds } from '../zfs/operations.ts';
import { destroyedNames, itemWords } from '../zfs/destruction.ts';
import { getProperties } from '../zfs/properties.ts';
import { buildRollbackArgv } from '../zfs/rollback.ts';
import { listForReplication, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildAbortReceiveArgv } from '../zfs/send-receive.ts';
import { confirmDestruction, destinationNameOf, holdTagOf, planTask, promotedProperty, resolutionOf, runReplicationTask, type EngineDeps, type EngineNas, type PlannedDataset, type TaskPlan } from './replication-engine.ts';
import { acquireTaskLock, inspectTaskLock, removeTaskLockFiles } from './task-lock.ts';

// The admin's tools around a replication task, like OviOS retadm: doctor (diagnose, change nothing), repair
// (find the newest usable common snapshot or bookmark, restore our holds, plan the minimal resend; applied only
// with the digest of exactly that plan), reset (our holds and lock files, never data) and promote (failover:
// the replica becomes writable, the relationship is marked broken, and the failback plan comes back).
// Every result is plain data: the app stores and shows it, the CLI prints it with --json.

export type { DoctorReport, PromoteReport, RepairReport, ResetReport } from '../../../shared/replication-reports.ts';

interface Call {
  signal?: AbortSignal;
}

const worst = (statuses: readonly CheckStatus[]): CheckStatus => (statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'ok');

function describe(error: unknown): { detail: string; hint: string | null } {
  const appError = toAppError(error);
  return { detail: appError.message, hint: appError.hint ?? null };
}

const isSnapshotOf = (dataset: ListedDataset, name: string) => dataset.snapshots.some((s) => s.name === name);

export async function doctorTask(task: ReplicationTask, deps: EngineDeps, options: Call = {}): Promise<DoctorReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const now = deps.now ?? (() => new Date());
  const call = options.signal ? { signal: options.signal } : {};
  const checks: DoctorCheck[] = [];
  const add = (id: string, title: string, status: CheckStatus, detail: string, hint: string | null = null) => checks.push({ id, title, status, detail, hint });
  const finish = (): DoctorReport => ({ taskId: task.id, checkedAt: now().toISOString(), status: worst(checks.map((c) => c.status)), checks });

  const sides: Array<{ role: 'source' | 'destination'; connectionId: string; nas: EngineNas | null }> = [
    { role: 'source', connectionId: task.sourceConnectionId, nas: null },
    { role: 'destination', connectionId: task.destinationConnectionId, nas: null },
  ];
  for (const side of sides) {
    try {
      const nas = await deps.nas(side.connectionId);
      await nas.host.runner.run(['true'], { ...call, privileged: false, timeoutMs: 30_000 });
      side.nas = nas;
      add(`ssh-${side.role}`, `SSH to the ${side.role}`, 'ok', `${nas.label} answers.`);
    } catch (error) {
      const { detail, hint } = describe(error);
      add(`ssh-${side.role}`, `SSH to the ${side.role}`, 'fail', detail, hint);
    }
  }
  const source = sides[0]!.nas;
  const destination = sides[1]!.nas;

  for (const side of sides) {
    const nas = side.nas;
    if (!nas) continue;
    const id = `privilege-${side.role}`;
    const title = `ZFS privilege on the ${side.role}`;
    try {
      if (nas.privilege === 'root') {
        if (nas.host.capabilities.loginIsRoot) add(id, title, 'ok', `${nas.label} logs in as root.`);
        else add(id, title, 'fail', `${nas.label} is set to "root" privilege but does not log in as root.`, 'Log in as root, or switch the connection to "sudo" or "delegated" privilege.');
      } else if (nas.privilege === 'sudo') {
        await nas.host.runner.run([nas.host.capabilities.tools.zfs, 'version'], { ...call, timeoutMs: 30_000 });
        add(id, title, 'ok', `sudo -n zfs works on ${nas.label} without a password.`);
      } else {
        const dataset = side.role === 'source' ? task.sources[0]!.name : task.destinationParent;
        const needed = side.role === 'source' ? sourcePermissions : destinationPermissions;
        const { stdout: user } = await nas.host.runner.run(['id', '-un'], { ...call, privileged: false });
        const target = side.role === 'destination' ? await nearestExisting(nas, dataset, call) : dataset;
        const { stdout } = await nas.host.runner.run([nas.host.capabilities.tools.zfs, 'allow', target], call);
        const granted = new Set(
          stdout
            .split('\n')
            .map((line) => line.trim().split(/\s+/))
            .filter((words) => words[0] === 'user' && words[1] === user.trim())
            .flatMap((words) => (words[2] ?? '').split(',')),
        );
        const missing = needed.filter((p) => !granted.has(p));
        if (missing.length === 0) add(id, title, 'ok', `${user.trim()} has ${needed.join(', ')} on ${target} (zfs allow).`);
        else add(id, title, 'fail', `${user.trim()} lacks ${missing.join(', ')} on ${target}.`, `On ${nas.label} as root: zfs allow -u ${user.trim()} ${missing.join(',')} ${target}`);
      }
    } catch (error) {
      const { detail, hint } = describe(error);
      add(id, title, 'fail', detail, hint);
    }
  }

  if (source && destination) {
    const s = source.host.capabilities;
    const d = destination.host.capabilities;
    const text = (c: typeof s) => `${c.userland.text}${c.kernel && c.kernel.text.replace('kmod-', '') !== c.userland.text ? ` (kernel module ${c.kernel.text})` : ''}`;
    const detail = `source ${text(s)}, destination ${text(d)}.`;
    const mismatched = [s, d].some((c) => c.kernel && (c.kernel.major !== c.userland.major || c.kernel.minor !== c.userland.minor));
    if (mismatched) add('zfs-versions', 'OpenZFS versions', 'warn', detail, 'The zfs tools and the loaded kernel module differ: reboot the NAS after an upgrade.');
    else if (!isAtLeast(d.userland, s.userland)) add('zfs-versions', 'OpenZFS versions', 'warn', detail, 'The destination runs an older OpenZFS: streams using newer features may be refused; upgrade the destination.');
    else add('zfs-versions', 'OpenZFS versions', 'ok', detail);
  }

  for (const side of sides) {
    const nas = side.nas;
    if (!nas) continue;
    const wanted = side.role === 'source' ? [...new Set(task.sources.map((x) => poolOfName(x.name)))] : [poolOfName(task.destinationParent)];
    try {
      const pools = await listPools(nas.host, call);
      for (const name of wanted) {
        const pool = pools.find((p) => p.name === name);
        const id = `pool-${side.role}-${name}`;
        const title = `Pool ${name} on the ${side.role}`;
        if (!pool) {
          add(id, title, 'fail', `${nas.label} has no imported pool ${name}.`, `Import it (zpool import ${name}) or fix the task.`);
          continue;
        }
        const free = `${pool.health}, ${pool.capacityPercent}% used, ${formatBytes(pool.freeBytes)} free`;
        if (pool.health !== 'ONLINE' && pool.health !== 'DEGRADED') add(id, title, 'fail', `${free}.`, `Check zpool status ${name} on ${nas.label}.`);
        else if (pool.health === 'DEGRADED') add(id, title, 'warn', `${free}.`, `A device failed: zpool status ${name} on ${nas.label} says which; replace it.`);
        else if (pool.capacityPercent >= 95) add(id, title, 'fail', `${free}.`, 'Free space: a pool this full slows down and sends/receives may fail.');
        else if (pool.capacityPercent >= 80) add(id, title, 'warn', `${free}.`, 'Keep pools below 80% for performance; prune old snapshots or add space.');
        else add(id, title, 'ok', `${free}.`);
      }
    } catch (error) {
      const { detail, hint } = describe(error);
      add(`pool-${side.role}`, `Pools on the ${side.role}`, 'fail', detail, hint);
    }
  }

  if (source) {
    try {
      const lock = await inspectTaskLock(source.host.runner, task.id, options.signal);
      if (lock.state === 'held') add('lock', 'Task lock', 'warn', `A run is in progress: started by ${lock.owner ?? 'an unknown runner'}.`, 'Wait for it to finish; runs of one task never overlap.');
      else if (lock.state === 'stale-owner') add('lock', 'Task lock', 'warn', `Free, but a run that ended abnormally left its owner line (${lock.owner}).`, 'Harmless; reset removes it.');
      else add('lock', 'Task lock', 'ok', 'No run in progress.');
    } catch (error) {
      const { detail, hint } = describe(error);
      add('lock', 'Task lock', 'fail', detail, hint);
    }
  }

  if (source && task.transport.kind === 'direct') {
    const { destinationHost, destinationPort, destinationUser } = task.transport;
    try {
      await source.host.runner.run([...nasToNasSshArgv(destinationUser, { host: destinationHost, port: destinationPort }), 'true'], { ...call, privileged: false, timeoutMs: 60_000 });
      add('ssh-source-to-destination', 'SSH from the source to the destination', 'ok', `${source.label} logs in to ${destinationUser}@${destinationHost}:${destinationPort} with its key.`);
    } catch (error) {
      const { detail, hint } = describe(error);
      add('ssh-source-to-destination', 'SSH from the source to the destination', 'fail', detail, hint ?? 'Run the NAS-to-NAS key exchange again.');
    }
  }

  if (!source || !destination) return finish();
  let plan: TaskPlan;
  try {
    plan = await planTask(task, source, destination, call);
  } catch (error) {
    const { detail, hint } = describe(error);
    add('datasets', 'Datasets', 'fail', detail, hint);
    return finish();
  }

  const existing = plan.datasets.filter((w) => w.destinationDataset !== null);
  if (existing.length > 0) {
    const readonly = await getProperties(destination.host, existing.map((w) => w.report.destination), ['readonly', promotedProperty], {}, call);
    const writable = readonly.filter((p) => p.property === 'readonly' && p.value === 'off').map((p) => p.name);
    const promoted = readonly.filter((p) => p.property === promotedProperty && p.value?.startsWith(`${task.id} `));
    if (promoted.length > 0) {
      add('promoted', 'Replication relationship', 'fail', `Promoted (failover): ${promoted.map((p) => `${p.name} ${p.value!.slice(task.id.length + 1)}`).join('; ')}.`, 'Fail back with the plan promote returned, or reset the task to replicate into it again.');
    }
    if (!task.destinationReadonly) add('destination-readonly', 'Replicas read-only', 'ok', 'The task does not make replicas read-only (its setting).');
    else if (writable.length > 0) add('destination-readonly', 'Replicas read-only', promoted.length > 0 ? 'ok' : 'warn', `Writable: ${writable.join(', ')}.`, promoted.length > 0 ? null : `A write there makes the next run refuse. Set it back: zfs set readonly=on ${writable[0]}`);
    else add('destination-readonly', 'Replicas read-only', 'ok', `${existing.length} replica(s) are read-only.`);
  }

  if (task.encryption.kind === 'encrypt-on-destination' && plan.parentExists) {
    const [parent] = await listDatasets(destination.host, { root: task.destinationParent, depth: 0 }, call);
    if (!parent || parent.encryption === 'off') add('encryption', 'Destination encryption', 'fail', `${task.destinationParent} is not encrypted.`, 'Use a destination parent the app creates (encrypted with the task key).');
    else add('encryption', 'Destination encryption', 'ok', `${task.destinationParent} is encrypted (${parent.encryption}, root ${parent.encryptionRoot}, key ${parent.keyStatus}).${parent.keyStatus === 'unavailable' ? ' The next run loads the key.' : ''}`);
  }

  for (const w of plan.datasets) {
    const token = w.destinationDataset?.receiveResumeToken;
    if (w.report.abortedResume) add(`resume:${w.report.destination}`, `Interrupted transfer into ${w.report.destination}`, 'warn', `Cannot be resumed: ${w.report.abortedResume}.`, 'The next run (or repair) aborts it and sends again from the last common snapshot.');
    else if (token) add(`resume:${w.report.destination}`, `Interrupted transfer into ${w.report.destination}`, 'warn', 'A partial receive is waiting (receive_resume_token set).', 'The next run resumes it where it stopped.');
  }

  const tag = holdTagOf(task.id);
  for (const w of plan.datasets) {
    const id = `base:${w.report.destination}`;
    const title = `Common base of ${w.report.source}`;
    const p = w.report.plan;
    if (p.status === 'refused') {
      const resolution = plan.refusal ? resolutionOf(plan.refusal.destruction, w) : undefined;
      const loses = resolution ? resolution.items.map(itemWords).join('; ') : 'it goes with the replica above it';
      add(id, title, 'fail', `${w.report.destination} has diverged; resolving it would destroy: ${loses}.`, 'Run repair: it shows the minimal plan, applied only after you confirm it.');
      continue;
    }
    if (!w.destinationDataset || p.base === null) {
      add(id, title, 'warn', `No replica yet at ${w.report.destination}: the next run sends it in full.`);
      continue;
    }
    const base = p.base;
    const isBookmark = !isSnapshotOf(w.sourceDataset, base);
    const pending = p.status === 'ready' ? `; ${p.steps.length} send step(s) pending` : p.status === 'up-to-date' ? '; up to date' : '';
    add(id, title, isBookmark ? 'warn' : 'ok', `${isBookmark ? `bookmark #${base} (the source snapshot is gone)` : `@${base}`}${pending}.`, isBookmark ? 'Still incremental, from the bookmark. Avoid destroying held snapshots by hand.' : null);
    if (isBookmark) continue;
    try {
      const [sourceHolds, destinationHolds] = await Promise.all([
        listHolds(source.host, [`${w.sourceDataset.name}@${base}`], {}, call),
        listHolds(destination.host, [`${w.report.destination}@${base}`], {}, call),
      ]);
      const missing = [
        ...(sourceHolds.some((h) => h.tag === tag) ? [] : [`${source.label}:${w.sourceDataset.name}@${base}`]),
        ...(destinationHolds.some((h) => h.tag === tag) ? [] : [`${destination.label}:${w.report.destination}@${base}`]),
      ];
      if (missing.length === 0) add(`holds:${w.report.destination}`, `Holds on @${base}`, 'ok', `Both sides hold @${base} (${tag}).`);
      else add(`holds:${w.report.destination}`, `Holds on @${base}`, 'warn', `Not held: ${missing.join(', ')}.`, 'A prune could destroy the common base. Repair puts the holds back.');
    } catch (error) {
      const { detail, hint } = describe(error);
      add(`holds:${w.report.destination}`, `Holds on @${base}`, 'fail', detail, hint);
    }
  }
  return finish();
}

async function nearestExisting(nas: EngineNas, dataset: string, call: Call): Promise<string> {
  let name = dataset;
  for (;;) {
    const found = await listDatasets(nas.host, { root: name, depth: 0 }, call).catch(() => []);
    if (found.length > 0 || !name.includes('/')) return name;
    name = name.slice(0, name.lastIndexOf('/'));
  }
}

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
 * restore, and the minimal plan from there. Without the matching confirmation nothing changes.
 */
export async function repairTask(task: ReplicationTask, deps: EngineDeps, options: MaintenanceOptions = {}): Promise<RepairReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const call = options.signal ? { signal: options.signal } : {};
  const source = await deps.nas(task.sourceConnectionId);
  const destination = await deps.nas(task.destinationConnectionId);
  const plan = await planTask(task, source, destination, call);
  const refusal = plan.refusal;
  // Shown as it will run: refused datasets replanned as if their destruction was confirmed.
  if (refusal) confirmDestruction(task, plan.datasets, refusal);
  const datasets: RepairDataset[] = plan.datasets.map((w) => {
    const p = w.report.plan;
    const baseName = p.status === 'refused' ? null : p.base;
    const destructive = p.status === 'ready' ? p.destructive : null;
    const base = baseName === null || destructive?.kind === 'destroy-dataset' ? null : { name: baseName, kind: isSnapshotOf(w.sourceDataset, baseName) ? ('snapshot' as const) : ('bookmark' as const) };
    return { source: w.report.source, destination: w.report.destination, base, plan: p, abortedResume: w.report.abortedResume };
  });
  const holds = await holdRepairs(task, source, destination, plan, call);

  const actions: string[] = [];
  for (const d of datasets) if (d.abortedResume) actions.push(`abort the interrupted receive into ${d.destination} (${d.abortedResume})`);
  for (const op of refusal?.destruction.operations ?? []) {
    const lost = op.items.map(itemWords).join('; ');
    actions.push(op.kind === 'rollback' ? `roll back ${op.to}, destroying ${lost}` : `destroy ${op.kind === 'destroy-dataset' ? op.dataset : op.command}, which destroys ${lost}, and send it again in full`);
  }
  for (const s of holds.source.hold) actions.push(`hold ${source.label}:${s}`);
  for (const s of holds.destination.hold) actions.push(`hold ${destination.label}:${s}`);
  for (const s of holds.source.release) actions.push(`release stale hold on ${source.label}:${s}`);
  for (const s of holds.destination.release) actions.push(`release stale hold on ${destination.label}:${s}`);
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
  const destruction = refusal?.destruction ?? null;
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

  const tag = holdTagOf(task.id);
  // Holds first: from now on no prune can take the base away. One command per side and verb.
  await Promise.all([settleHolds(source.host, 'hold', { tag, snapshots: holds.source.hold }, call), settleHolds(destination.host, 'hold', { tag, snapshots: holds.destination.hold }, call)]);
  await Promise.all([settleHolds(source.host, 'release', { tag, snapshots: holds.source.release }, call), settleHolds(destination.host, 'release', { tag, snapshots: holds.destination.release }, call)]);
  report.applied = true;
  const sends = datasets.some((d) => d.plan.status === 'ready' || d.abortedResume);
  if (sends) {
    report.run = await runReplicationTask(task, deps, { ...(refusal ? { confirmation: refusal.confirmation } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.destinationKey ? { destinationKey: options.destinationKey } : {}) });
    report.error = report.run.error;
  }
  return report;
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
  const call = options.signal ? { signal: options.signal } : {};
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
  const call = options.signal ? { signal: options.signal } : {};
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
