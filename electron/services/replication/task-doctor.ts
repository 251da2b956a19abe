import { formatBytes } from '../../../shared/format-bytes.ts';
import type { CheckStatus, DoctorCheck, DoctorReport } from '../../../shared/replication-reports.ts';
import { toAppError } from '../../../shared/result.ts';
import { assertRunnableTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { poolOfName } from '../../../shared/zfs-names.ts';
import { nasToNasSshArgv } from '../ssh/key-exchange.ts';
import { destinationPermissions, sourcePermissions } from '../ssh/zfs-delegation.ts';
import { isAtLeast } from '../zfs/capabilities.ts';
import { listDatasets } from '../zfs/datasets.ts';
import { itemWords } from '../zfs/destruction.ts';
import { listHolds } from '../zfs/holds.ts';
import { listPools } from '../zfs/pools.ts';
import { getProperties } from '../zfs/properties.ts';
import { promotedProperty } from '../zfs/replication-listing.ts';
import { holdTagOf, planTask, type EngineDeps, type EngineNas, type PlannedDataset, type TaskPlan } from './replication-engine.ts';
import { inspectTaskLock } from './task-lock.ts';
import { callOf, type Call } from './engine-types.ts';

// doctor: diagnose a task end to end and change nothing (like OviOS retadm's). Each check is its own step: ssh to
// each side, ZFS privilege, versions, pools, the lock, the NAS-to-NAS login, then from one plan of the task the
// replicas (promoted, read-only), destination encryption, interrupted transfers, the common base and its holds.

type Side = { role: 'source' | 'destination'; connectionId: string; nas: EngineNas | null };

/** The checks found so far; each step adds its own. */
class Checks {
  readonly list: DoctorCheck[] = [];
  add(id: string, title: string, status: CheckStatus, detail: string, hint: string | null = null): void {
    this.list.push({ id, title, status, detail, hint });
  }
  /** A check that threw: failed, with the error's message and hint. */
  failed(id: string, title: string, error: unknown): void {
    const appError = toAppError(error);
    this.add(id, title, 'fail', appError.message, appError.hint ?? null);
  }
  report(task: ReplicationTask, now: Date): DoctorReport {
    const statuses = this.list.map((c) => c.status);
    return { taskId: task.id, checkedAt: now.toISOString(), status: statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'ok', checks: this.list };
  }
}

export async function doctorTask(task: ReplicationTask, deps: EngineDeps, options: Call = {}): Promise<DoctorReport> {
  task = assertRunnableTask(task); // the whole task, before any connection opens
  const now = deps.now ?? (() => new Date());
  const call = callOf(options.signal);
  const checks = new Checks();
  const sides = await connectSides(task, deps, call, checks);
  for (const side of sides) await checkPrivilege(task, side, call, checks);
  const [source, destination] = [sides[0]!.nas, sides[1]!.nas];
  if (source && destination) checkVersions(source, destination, checks);
  for (const side of sides) await checkPools(task, side, call, checks);
  if (source) await checkLock(task, source, call, checks);
  if (source) await checkNasToNasLogin(task, source, call, checks);
  if (!source || !destination) return checks.report(task, now());
  let plan: TaskPlan;
  try {
    plan = await planTask(task, source, destination, call);
  } catch (error) {
    checks.failed('datasets', 'Datasets', error);
    return checks.report(task, now());
  }
  await checkReplicas(task, destination, plan, call, checks);
  await checkDestinationEncryption(task, destination, plan, call, checks);
  checkInterruptedTransfers(plan, checks);
  for (const w of plan.datasets) await checkCommonBase(task, source, destination, w, call, checks);
  return checks.report(task, now());
}

async function connectSides(task: ReplicationTask, deps: EngineDeps, call: Call, checks: Checks): Promise<Side[]> {
  const sides: Side[] = [
    { role: 'source', connectionId: task.sourceConnectionId, nas: null },
    { role: 'destination', connectionId: task.destinationConnectionId, nas: null },
  ];
  for (const side of sides) {
    try {
      const nas = await deps.nas(side.connectionId);
      await nas.host.runner.run(['true'], { ...call, privileged: false, timeoutMs: 30_000 });
      side.nas = nas;
      checks.add(`ssh-${side.role}`, `SSH to the ${side.role}`, 'ok', `${nas.label} answers.`);
    } catch (error) {
      checks.failed(`ssh-${side.role}`, `SSH to the ${side.role}`, error);
    }
  }
  return sides;
}

async function checkPrivilege(task: ReplicationTask, side: Side, call: Call, checks: Checks): Promise<void> {
  const nas = side.nas;
  if (!nas) return;
  const id = `privilege-${side.role}`;
  const title = `ZFS privilege on the ${side.role}`;
  try {
    if (nas.privilege === 'root') {
      if (nas.host.capabilities.loginIsRoot) checks.add(id, title, 'ok', `${nas.label} logs in as root.`);
      else checks.add(id, title, 'fail', `${nas.label} is set to "root" privilege but does not log in as root.`, 'Log in as root, or switch the connection to "sudo" or "delegated" privilege.');
    } else if (nas.privilege === 'sudo') {
      await nas.host.runner.run([nas.host.capabilities.tools.zfs, 'version'], { ...call, timeoutMs: 30_000 });
      checks.add(id, title, 'ok', `sudo -n zfs works on ${nas.label} without a password.`);
    } else {
      await checkDelegation(task, side.role, nas, call, checks);
    }
  } catch (error) {
    checks.failed(id, title, error);
  }
}

/** Delegated privilege: the login user must hold exactly the `zfs allow` permissions its side needs. */
async function checkDelegation(task: ReplicationTask, role: Side['role'], nas: EngineNas, call: Call, checks: Checks): Promise<void> {
  const dataset = role === 'source' ? task.sources[0]!.name : task.destinationParent;
  const needed = role === 'source' ? sourcePermissions : destinationPermissions;
  const { stdout: user } = await nas.host.runner.run(['id', '-un'], { ...call, privileged: false });
  const target = role === 'destination' ? await nearestExisting(nas, dataset, call) : dataset;
  const { stdout } = await nas.host.runner.run([nas.host.capabilities.tools.zfs, 'allow', target], call);
  const granted = new Set(
    stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((words) => words[0] === 'user' && words[1] === user.trim())
      .flatMap((words) => (words[2] ?? '').split(',')),
  );
  const missing = needed.filter((p) => !granted.has(p));
  const [id, title] = [`privilege-${role}`, `ZFS privilege on the ${role}`];
  if (missing.length === 0) checks.add(id, title, 'ok', `${user.trim()} has ${needed.join(', ')} on ${target} (zfs allow).`);
  else checks.add(id, title, 'fail', `${user.trim()} lacks ${missing.join(', ')} on ${target}.`, `On ${nas.label} as root: zfs allow -u ${user.trim()} ${missing.join(',')} ${target}`);
}

async function nearestExisting(nas: EngineNas, dataset: string, call: Call): Promise<string> {
  let name = dataset;
  for (;;) {
    const found = await listDatasets(nas.host, { root: name, depth: 0 }, call).catch(() => []);
    if (found.length > 0 || !name.includes('/')) return name;
    name = name.slice(0, name.lastIndexOf('/'));
  }
}

function checkVersions(source: EngineNas, destination: EngineNas, checks: Checks): void {
  const s = source.host.capabilities;
  const d = destination.host.capabilities;
  const text = (c: typeof s) => `${c.userland.text}${c.kernel && c.kernel.text.replace('kmod-', '') !== c.userland.text ? ` (kernel module ${c.kernel.text})` : ''}`;
  const detail = `source ${text(s)}, destination ${text(d)}.`;
  const mismatched = [s, d].some((c) => c.kernel && (c.kernel.major !== c.userland.major || c.kernel.minor !== c.userland.minor));
  if (mismatched) checks.add('zfs-versions', 'OpenZFS versions', 'warn', detail, 'The zfs tools and the loaded kernel module differ: reboot the NAS after an upgrade.');
  else if (!isAtLeast(d.userland, s.userland)) checks.add('zfs-versions', 'OpenZFS versions', 'warn', detail, 'The destination runs an older OpenZFS: streams using newer features may be refused; upgrade the destination.');
  else checks.add('zfs-versions', 'OpenZFS versions', 'ok', detail);
}

async function checkPools(task: ReplicationTask, side: Side, call: Call, checks: Checks): Promise<void> {
  const nas = side.nas;
  if (!nas) return;
  const wanted = side.role === 'source' ? [...new Set(task.sources.map((x) => poolOfName(x.name)))] : [poolOfName(task.destinationParent)];
  try {
    const pools = await listPools(nas.host, call);
    for (const name of wanted) {
      const pool = pools.find((p) => p.name === name);
      const id = `pool-${side.role}-${name}`;
      const title = `Pool ${name} on the ${side.role}`;
      if (!pool) {
        checks.add(id, title, 'fail', `${nas.label} has no imported pool ${name}.`, `Import it (zpool import ${name}) or fix the task.`);
        continue;
      }
      const free = `${pool.health}, ${pool.capacityPercent}% used, ${formatBytes(pool.freeBytes)} free`;
      if (pool.health !== 'ONLINE' && pool.health !== 'DEGRADED') checks.add(id, title, 'fail', `${free}.`, `Check zpool status ${name} on ${nas.label}.`);
      else if (pool.health === 'DEGRADED') checks.add(id, title, 'warn', `${free}.`, `A device failed: zpool status ${name} on ${nas.label} says which; replace it.`);
      else if (pool.capacityPercent >= 95) checks.add(id, title, 'fail', `${free}.`, 'Free space: a pool this full slows down and sends/receives may fail.');
      else if (pool.capacityPercent >= 80) checks.add(id, title, 'warn', `${free}.`, 'Keep pools below 80% for performance; prune old snapshots or add space.');
      else checks.add(id, title, 'ok', `${free}.`);
    }
  } catch (error) {
    checks.failed(`pool-${side.role}`, `Pools on the ${side.role}`, error);
  }
}

async function checkLock(task: ReplicationTask, source: EngineNas, call: Call, checks: Checks): Promise<void> {
  try {
    const lock = await inspectTaskLock(source.host.runner, task.id, call.signal);
    if (lock.state === 'held') checks.add('lock', 'Task lock', 'warn', `A run is in progress: started by ${lock.owner ?? 'an unknown runner'}.`, 'Wait for it to finish; runs of one task never overlap.');
    else if (lock.state === 'stale-owner') checks.add('lock', 'Task lock', 'warn', `Free, but a run that ended abnormally left its owner line (${lock.owner}).`, 'Harmless; reset removes it.');
    else checks.add('lock', 'Task lock', 'ok', 'No run in progress.');
  } catch (error) {
    checks.failed('lock', 'Task lock', error);
  }
}

async function checkNasToNasLogin(task: ReplicationTask, source: EngineNas, call: Call, checks: Checks): Promise<void> {
  if (task.transport.kind !== 'direct') return;
  const { destinationHost, destinationPort, destinationUser } = task.transport;
  const [id, title] = ['ssh-source-to-destination', 'SSH from the source to the destination'];
  try {
    await source.host.runner.run([...nasToNasSshArgv(destinationUser, { host: destinationHost, port: destinationPort }), 'true'], { ...call, privileged: false, timeoutMs: 60_000 });
    checks.add(id, title, 'ok', `${source.label} logs in to ${destinationUser}@${destinationHost}:${destinationPort} with its key.`);
  } catch (error) {
    const appError = toAppError(error);
    checks.add(id, title, 'fail', appError.message, appError.hint ?? 'Run the NAS-to-NAS key exchange again.');
  }
}

/** Existing replicas: not promoted (a broken relationship), and read-only when the task says so. */
async function checkReplicas(task: ReplicationTask, destination: EngineNas, plan: TaskPlan, call: Call, checks: Checks): Promise<void> {
  const existing = plan.datasets.filter((w) => w.destinationDataset !== null);
  if (existing.length === 0) return;
  const properties = await getProperties(destination.host, existing.map((w) => w.report.destination), ['readonly', promotedProperty], {}, call);
  const writable = properties.filter((p) => p.property === 'readonly' && p.value === 'off').map((p) => p.name);
  const promoted = properties.filter((p) => p.property === promotedProperty && p.value?.startsWith(`${task.id} `));
  if (promoted.length > 0) {
    checks.add('promoted', 'Replication relationship', 'fail', `Promoted (failover): ${promoted.map((p) => `${p.name} ${p.value!.slice(task.id.length + 1)}`).join('; ')}.`, 'Fail back with the plan promote returned, or reset the task to replicate into it again.');
  }
  if (!task.destinationReadonly) checks.add('destination-readonly', 'Replicas read-only', 'ok', 'The task does not make replicas read-only (its setting).');
  else if (writable.length > 0) checks.add('destination-readonly', 'Replicas read-only', promoted.length > 0 ? 'ok' : 'warn', `Writable: ${writable.join(', ')}.`, promoted.length > 0 ? null : `A write there makes the next run refuse. Set it back: zfs set readonly=on ${writable[0]}`);
  else checks.add('destination-readonly', 'Replicas read-only', 'ok', `${existing.length} replica(s) are read-only.`);
}

async function checkDestinationEncryption(task: ReplicationTask, destination: EngineNas, plan: TaskPlan, call: Call, checks: Checks): Promise<void> {
  if (task.encryption.kind !== 'encrypt-on-destination' || !plan.parentExists) return;
  const [parent] = await listDatasets(destination.host, { root: task.destinationParent, depth: 0 }, call);
  if (!parent || parent.encryption === 'off') checks.add('encryption', 'Destination encryption', 'fail', `${task.destinationParent} is not encrypted.`, 'Use a destination parent the app creates (encrypted with the task key).');
  else checks.add('encryption', 'Destination encryption', 'ok', `${task.destinationParent} is encrypted (${parent.encryption}, root ${parent.encryptionRoot}, key ${parent.keyStatus}).${parent.keyStatus === 'unavailable' ? ' The next run loads the key.' : ''}`);
}

function checkInterruptedTransfers(plan: TaskPlan, checks: Checks): void {
  for (const w of plan.datasets) {
    const [id, title] = [`resume:${w.report.destination}`, `Interrupted transfer into ${w.report.destination}`];
    if (w.report.abortedResume) checks.add(id, title, 'warn', `Cannot be resumed: ${w.report.abortedResume}.`, 'The next run (or repair) aborts it and sends again from the last common snapshot.');
    else if (w.destinationDataset?.receiveResumeToken) checks.add(id, title, 'warn', 'A partial receive is waiting (receive_resume_token set).', 'The next run resumes it where it stopped.');
  }
}

/** The common base of one dataset: there (and what resolving a divergence would destroy), and held on both sides. */
async function checkCommonBase(task: ReplicationTask, source: EngineNas, destination: EngineNas, w: PlannedDataset, call: Call, checks: Checks): Promise<void> {
  const [id, title] = [`base:${w.report.destination}`, `Common base of ${w.report.source}`];
  const p = w.report.plan;
  if (p.status === 'refused') {
    const resolution = w.report.destruction[0];
    const loses = resolution ? resolution.items.map(itemWords).join('; ') : 'it goes with the replica above it';
    checks.add(id, title, 'fail', `${w.report.destination} has diverged; resolving it would destroy: ${loses}.`, 'Run repair: it shows the minimal plan, applied only after you confirm it.');
    return;
  }
  if (!w.destinationDataset || p.base === null) {
    checks.add(id, title, 'warn', `No replica yet at ${w.report.destination}: the next run sends it in full.`);
    return;
  }
  const base = p.base;
  const isBookmark = !w.sourceDataset.snapshots.some((s) => s.name === base);
  const pending = p.status === 'ready' ? `; ${p.steps.length} send step(s) pending` : p.status === 'up-to-date' ? '; up to date' : '';
  checks.add(id, title, isBookmark ? 'warn' : 'ok', `${isBookmark ? `bookmark #${base} (the source snapshot is gone)` : `@${base}`}${pending}.`, isBookmark ? 'Still incremental, from the bookmark. Avoid destroying held snapshots by hand.' : null);
  if (!isBookmark) await checkBaseHolds(task, source, destination, w, base, call, checks);
}

async function checkBaseHolds(task: ReplicationTask, source: EngineNas, destination: EngineNas, w: PlannedDataset, base: string, call: Call, checks: Checks): Promise<void> {
  const tag = holdTagOf(task.id);
  const [id, title] = [`holds:${w.report.destination}`, `Holds on @${base}`];
  try {
    const [sourceHolds, destinationHolds] = await Promise.all([
      listHolds(source.host, [`${w.sourceDataset.name}@${base}`], {}, call),
      listHolds(destination.host, [`${w.report.destination}@${base}`], {}, call),
    ]);
    const missing = [
      ...(sourceHolds.some((h) => h.tag === tag) ? [] : [`${source.label}:${w.sourceDataset.name}@${base}`]),
      ...(destinationHolds.some((h) => h.tag === tag) ? [] : [`${destination.label}:${w.report.destination}@${base}`]),
    ];
    if (missing.length === 0) checks.add(id, title, 'ok', `Both sides hold @${base} (${tag}).`);
    else checks.add(id, title, 'warn', `Not held: ${missing.join(', ')}.`, 'A prune could destroy the common base. Repair puts the holds back.');
  } catch (error) {
    checks.failed(id, title, error);
  }
}
