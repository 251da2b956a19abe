import { namingSchema } from '../../../shared/naming-schema.ts';
import type { DatasetReport, DestructionChange, DestructionItem, DestructionPlan, DestructiveOperation, ReplicationPlan, RunRefusal, RunReport, SendStep } from '../../../shared/replication-reports.ts';
import type { DatasetStep } from '../../../shared/contract.ts';
import { AppFailure, stderrOf, toAppError } from '../../../shared/result.ts';
import { decideRetention, describeReason, prunedNames, replicaRetentionRequest } from '../../../shared/retention.ts';
import { compileSelectionRegex } from '../../../shared/selection-regex.ts';
import { assertRunnableTask, encryptionKeyProblem, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { assertZfsName, assertZfsPropertyName, poolOfName } from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import type { Privilege } from '../ssh/ssh-command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { listDatasets } from '../zfs/datasets.ts';
import { buildDestructionPlan, changeWords, confirmationDetails, executeOperations, itemWords, planWords, type OperationSpec } from '../zfs/destruction.ts';
import { buildCreateDatasetArgv, buildLoadKeyArgv, createDataset, settleHolds, type CreateDatasetRequest } from '../zfs/operations.ts';
import { getProperties } from '../zfs/properties.ts';
import { listForReplication, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildAbortReceiveArgv, buildReceiveArgv, buildSendArgv, buildSendEstimateArgv, parseSendEstimate, type ReceiveOptions, type SendFlags, type SendSource } from '../zfs/send-receive.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import { planReplication, type DestinationState, type PlanOptions } from './replication-planner.ts';
import { availableTools, openDirectConnection, requiredTools, transferStream, type DirectConnection, type TransferSide } from './stream-transfer.ts';
import { acquireTaskLock } from './task-lock.ts';

// Runs one replication task: lock, list both sides (one command each per source root), plan every dataset,
// refuse anything destructive that was not confirmed, prune the destination by its lifetime, send, hold the new
// common snapshot pair. A dry run stops after planning and returns the exact commands it would run.

export interface EngineNas {
  host: ZfsHost;
  privilege: Privilege;
  /** For messages: "admin@nas-a:22". */
  label: string;
}

export type EngineEvent =
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'progress'; dataset: string; bytesSent: number; bytesTotal: number | null; bytesPerSecond: number; etaSeconds: number | null }
  /** One dataset moved on: planned, pruning, destroying (confirmed), sending, holding, done or skipped. */
  | { kind: 'step'; dataset: string; destination: string; step: DatasetStep; detail: string | null };

export interface EngineDeps {
  /** A ready host (runner + probed capabilities) for a saved connection. */
  nas(connectionId: string): Promise<EngineNas>;
  emit?(event: EngineEvent): void;
  now?(): Date;
  /** Who runs: "app", "cli". Shown to a concurrent run that finds the lock taken. */
  by?: string;
}

export interface EngineRunOptions {
  dryRun?: boolean;
  /** The digest from a refused run's report: confirms exactly the destruction it listed. */
  confirmation?: string;
  signal?: AbortSignal;
  /** encrypt-on-destination tasks whose key is not stored: the key, asked for at this run. Never logged. */
  destinationKey?: string;
}

export type { DatasetReport, RunReport } from '../../../shared/replication-reports.ts';

export const holdTagOf = (taskId: string) => `zfs-replication:${taskId}`;

export { promotedProperty } from '../zfs/replication-listing.ts';

/** Where a source dataset lands: <parent>/<source path without its pool>, e.g. tank/a/b -> backup/r/a/b. */
export function destinationNameOf(parent: string, sourceRoot: string, source: string): string {
  const rootTail = sourceRoot.includes('/') ? sourceRoot.slice(sourceRoot.lastIndexOf('/') + 1) : sourceRoot;
  return `${parent}/${rootTail}${source.slice(sourceRoot.length)}`;
}

/** How this task's datasets are planned: its selection, and a long -I split when properties travel (-p). */
export function planOptionsOf(task: ReplicationTask): PlanOptions {
  return { select: selector(task), splitLongIncremental: task.properties.replicate };
}

export function selector(task: ReplicationTask): (name: string) => boolean {
  const selection = task.selection;
  switch (selection.kind) {
    case 'all':
      return () => true;
    case 'regex':
      // RE2: linear time on any name a NAS lists, whatever the pattern.
      return compileSelectionRegex(selection.pattern);
    case 'naming-schema': {
      const schemas = selection.schemas.map((pattern) => namingSchema(pattern, selection.timeZone));
      return (name) => schemas.some((schema) => schema.matches(name));
    }
  }
}

export function isExcluded(name: string, excludes: readonly string[]): boolean {
  return excludes.some((excluded) => name === excluded || name.startsWith(`${excluded}/`));
}

/** Snapshots one send step creates on the destination (-I counts every intermediate). */
function snapshotsIn(step: SendStep, sourceSnapshots: ListedDataset['snapshots']): number {
  if (step.kind !== 'incremental' || !step.intermediates) return 1;
  const index = (name: string) => sourceSnapshots.findIndex((s) => s.name === name);
  return Math.max(1, index(step.to) - index(step.from.replace(/^#/, '')));
}

/** What `zfs send -t` says when the snapshot (or incremental source) an interrupted stream came from is gone. */
const unresumablePattern = /no longer exists|no longer the same snapshot|resume token is corrupt/;

export function destinationStateOf(name: string, listed: ListedDataset | null, options: { ignoreResumeToken?: boolean } = {}): DestinationState {
  // A dataset that only holds an interrupted full receive (token, no snapshot) is gone once the receive is aborted.
  const exists = listed !== null && !(options.ignoreResumeToken && listed.receiveResumeToken !== null && listed.snapshots.length === 0);
  return {
    dataset: name,
    exists,
    snapshots: exists ? listed.snapshots : [],
    writtenSinceNewestSnapshot: exists ? listed.writtenBytes : 0,
    usedBytes: exists ? listed.usedBytes : 0,
    receiveResumeToken: options.ignoreResumeToken ? null : (listed?.receiveResumeToken ?? null),
  };
}

const sourceStateOf = (listed: ListedDataset) => ({ dataset: listed.name, snapshots: listed.snapshots, bookmarks: listed.bookmarks });

export interface PlannedDataset {
  report: DatasetReport;
  sourceDataset: ListedDataset;
  destinationDataset: ListedDataset | null;
}

export interface TaskPlan {
  /** The destination parent's tree (null when the parent does not exist yet). */
  parentListing: Map<string, ListedDataset> | null;
  parentExists: boolean;
  datasets: PlannedDataset[];
  /** The refused datasets, and the one destruction plan that resolves them all; null when nothing diverged. */
  refusal: RunRefusal | null;
}

/**
 * Lists both sides and plans every dataset of the task (no change anywhere). Resume tokens whose source snapshot
 * is gone are found here (`zfs send -n -t`), so the plan already starts over from the last common snapshot.
 */
export async function planTask(task: ReplicationTask, source: EngineNas, destination: EngineNas, call: { signal?: AbortSignal } = {}): Promise<TaskPlan> {
  const planOptions = planOptionsOf(task);
  // Both sides at once: every command costs a round trip and a process start on the NAS.
  const [parentListing, sourceListings] = await Promise.all([
    listForReplication(destination.host, task.destinationParent, call),
    Promise.all(task.sources.map((spec) => listForReplication(source.host, spec.name, call))),
  ]);
  const parent = parentListing?.get(task.destinationParent);
  if (parent?.type === 'volume') {
    throw new AppFailure('INVALID_REQUEST', `${task.destinationParent} on ${destination.label} is a volume (zvol); a volume cannot hold datasets.`, 'Pick a filesystem dataset as the destination parent.');
  }
  const datasets: PlannedDataset[] = [];
  for (const [specIndex, spec] of task.sources.entries()) {
    const listing = sourceListings[specIndex];
    if (!listing) throw new AppFailure('DATASET_NOT_FOUND', `Source dataset ${spec.name} does not exist on ${source.label}.`, "Check the task's source datasets.");
    const chosen = [...listing.values()].filter((d) => (spec.recursive ? !isExcluded(d.name, spec.exclude) : d.name === spec.name));
    for (const sourceDataset of chosen) {
      const destinationName = destinationNameOf(task.destinationParent, spec.name, sourceDataset.name);
      const destinationDataset = parentListing?.get(destinationName) ?? null;
      let abortedResume: string | null = null;
      const token = destinationDataset?.receiveResumeToken ?? null;
      if (token) {
        // Resumable only while the snapshot it came from exists; otherwise the partial state is dropped and replanned.
        const argv = buildSendEstimateArgv(source.host.capabilities.tools, { kind: 'resume', token });
        // zfs exits 255 for "cannot resume send" (measured on OpenZFS 2.3), 1 for most other errors.
        const { exitCode, stderr } = await source.host.runner.run(argv, { ...call, expectedExitCodes: [0, 1, 255], timeoutMs: 120_000 });
        if (exitCode !== 0) {
          if (!unresumablePattern.test(stderr)) throw failureFromStderr({ label: source.label, command: buildCommandLine(argv), exitCode, stderr });
          abortedResume = stderr.trim().split('\n').filter(Boolean).at(-1) ?? 'the snapshot it came from is gone';
        }
      }
      const destinationState = destinationStateOf(destinationName, destinationDataset, { ignoreResumeToken: abortedResume !== null });
      const plan = planReplication(sourceStateOf(sourceDataset), destinationState, planOptions);
      datasets.push({
        sourceDataset,
        destinationDataset,
        report: { source: sourceDataset.name, destination: destinationName, plan, prune: [], destruction: [], abortedResume, estimatedBytes: null, bytesSent: 0, snapshotsSent: 0, commands: [] },
      });
    }
  }
  return { parentListing, parentExists: parent !== undefined, datasets, refusal: refusalOf(task, destination, parentListing, datasets) };
}

const refusalPlanOf = (w: PlannedDataset) => (w.report.plan.status === 'refused' ? w.report.plan.refusal : null);

/**
 * The refusals of a task plan as ONE destruction plan (purpose "divergence"): for each refused dataset the command
 * that resolves it and exactly what that destroys on the destination, descendants included (a `destroy -r` of a
 * replica takes every dataset below it, replicas of this task or not), confirmed by one digest bound to the task.
 */
function refusalOf(task: ReplicationTask, destination: EngineNas, listing: Map<string, ListedDataset> | null, datasets: readonly PlannedDataset[]): RunRefusal | null {
  const refused = datasets.filter((w) => refusalPlanOf(w) !== null);
  if (refused.length === 0) return null;
  const destroyed = refused.flatMap((w) => (refusalPlanOf(w)!.resolution.kind === 'destroy-dataset' ? [w.report.destination] : []));
  // A dataset below one that is destroyed goes with it: its own rollback would have nothing left to act on.
  const specs = refused
    .filter((w) => !destroyed.some((d) => w.report.destination.startsWith(`${d}/`)))
    .map((w): OperationSpec => {
      const resolution = refusalPlanOf(w)!.resolution;
      return resolution.kind === 'rollback' ? { kind: 'rollback', to: resolution.to } : { kind: 'destroy-dataset', dataset: resolution.dataset };
    });
  const replicas = new Map(datasets.map((w) => [w.report.destination, w.report.source]));
  const note = (item: DestructionItem) => {
    if (item.kind !== 'filesystem' && item.kind !== 'volume') return null;
    const source = replicas.get(item.name);
    return source === undefined ? 'not on the source: not replicated by this task' : `replica of ${source}, sent again in full`;
  };
  const destruction = buildDestructionPlan(
    { purpose: 'divergence', taskId: task.id, connectionId: task.destinationConnectionId, host: destination.label },
    destination.host.capabilities.tools,
    specs,
    listing ?? new Map(),
    { note },
  );
  return {
    divergence: refused.map((w) => ({ dataset: w.report.destination, ...refusalPlanOf(w)! })),
    destruction,
    wouldLose: planWords(destruction),
    confirmation: destruction.digest,
    changes: [],
  };
}

export async function runReplicationTask(task: ReplicationTask, deps: EngineDeps, options: EngineRunOptions = {}): Promise<RunReport> {
  const now = deps.now ?? (() => new Date());
  const emit = deps.emit ?? (() => undefined);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ kind: 'log', level, message });
  const report: RunReport = {
    taskId: task.id,
    startedAt: now().toISOString(),
    finishedAt: '',
    result: options.dryRun ? 'DRY_RUN' : 'FINISHED',
    datasets: [],
    bytesSent: 0,
    snapshotsSent: 0,
    refusal: null,
    error: null,
  };
  let release: (() => Promise<void>) | null = null;
  try {
    // The whole task is checked before any connection opens: a bad value (e.g. from a hand-edited settings file)
    // fails here, named, with nothing changed on any NAS.
    task = assertRunnableTask(task);
    // Both connections (handshake and capability probe) at once.
    const [source, destination] = await Promise.all([deps.nas(task.sourceConnectionId), deps.nas(task.destinationConnectionId)]);
    if (!options.dryRun) {
      const lock = await acquireTaskLock({ taskId: task.id, taskName: task.name, runner: source.host.runner, by: deps.by ?? 'app', ...(options.signal ? { signal: options.signal } : {}) });
      release = lock.release;
    }
    await execute(task, source, destination, options, report, { log, emit, now });
  } catch (error) {
    report.result = 'FAILED';
    report.error = toAppError(error);
    log('error', `${report.error.message}${report.error.hint ? ` ${report.error.hint}` : ''}`);
  } finally {
    await release?.();
    report.finishedAt = now().toISOString();
  }
  return report;
}

interface Context {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  emit(event: EngineEvent): void;
  now(): Date;
}

/** The key for an encrypt-on-destination task, checked against its key format; null for as-source. */
export function destinationKeyOf(task: ReplicationTask, given: string | undefined): { format: 'hex' | 'passphrase'; key: string } | null {
  if (task.encryption.kind !== 'encrypt-on-destination') return null;
  const key = given ?? task.encryption.key;
  const format = task.encryption.keyFormat;
  if (key === undefined || key === '') {
    throw new AppFailure(
      'INVALID_REQUEST',
      `Task "${task.name}" encrypts its replicas on the destination and its key is not stored.`,
      'Enter the key (the same one every run: it unlocks the existing replicas) to run this task.',
      { needs: 'destinationKey' },
    );
  }
  // The rule the task schema applies to a stored key (shared/task-schemas.ts).
  const problem = encryptionKeyProblem(format, key);
  if (problem !== null) {
    throw new AppFailure('INVALID_REQUEST', problem, format === 'hex' ? 'Generate one with: openssl rand -hex 32' : 'Choose a passphrase of at least 8 characters on one line.');
  }
  return { format, key };
}

/** Properties: names checked, and no property both excluded and overridden (zfs receive refuses that). */
function checkPropertyOptions(task: ReplicationTask): void {
  for (const name of [...task.properties.exclude, ...Object.keys(task.properties.override)]) assertZfsPropertyName(name);
  const both = task.properties.exclude.filter((name) => Object.hasOwn(task.properties.override, name));
  if (both.length > 0) {
    throw new AppFailure('INVALID_REQUEST', `Property ${both.join(', ')} is both excluded and overridden.`, 'Keep it in one list: exclude it (the destination inherits its own value) or override it (a fixed value).');
  }
  if (task.encryption.kind === 'encrypt-on-destination') {
    const crypto = [...task.properties.exclude, ...Object.keys(task.properties.override)].filter((name) => ['encryption', 'keyformat', 'keylocation', 'pbkdf2iters'].includes(name));
    if (crypto.length > 0) throw new AppFailure('INVALID_REQUEST', `${crypto.join(', ')} cannot be set per task when the destination encrypts.`, 'Remove it: replicas inherit the encryption of the destination parent.');
  }
}

async function execute(task: ReplicationTask, source: EngineNas, destination: EngineNas, options: EngineRunOptions, report: RunReport, context: Context): Promise<void> {
  const shared: SharedDirectConnection = { connection: null };
  try {
    await planAndSend(task, source, destination, options, report, context, shared);
  } catch (error) {
    const changes = destructionChangesOf(error);
    if (!changes) throw error;
    // Refused right before acting: the destination is planned again (read-only) and the run reports what would be
    // destroyed now, with how it differs from what was confirmed.
    const again = await planTask(task, source, destination, options.signal ? { signal: options.signal } : {});
    refuseRun(report, again.refusal, options.confirmation, context.log, changes);
  } finally {
    await (await shared.connection)?.close();
  }
}

/** The differences a destruction's re-check found (executeOperations), or null for any other error. */
function destructionChangesOf(error: unknown): DestructionChange[] | null {
  if (!(error instanceof AppFailure) || error.code !== 'CONFIRMATION_REQUIRED') return null;
  return error.appError.code === 'CONFIRMATION_REQUIRED' ? (error.appError.details.changes ?? null) : null;
}

/** A REFUSED run: what replicating would destroy now, and why the confirmation given (if any) does not cover it. */
function refuseRun(report: RunReport, refusal: RunRefusal | null, given: string | undefined, log: Context['log'], changes: DestructionChange[] = []): void {
  report.result = 'REFUSED';
  report.refusal = refusal ? { ...refusal, changes } : null;
  const why =
    changes.length > 0
      ? `What would be destroyed changed since it was confirmed (${changes.map(changeWords).join('; ')}). `
      : given !== undefined
        ? 'The confirmation given does not cover what is on the destination now (it was for another task or list, or the destination changed since). '
        : '';
  const lose = refusal ? ` The destination has diverged; replicating would destroy: ${refusal.wouldLose.join('; ')}.` : ' Run the task again to plan it anew.';
  report.error = {
    code: 'CONFIRMATION_REQUIRED',
    message: `${why}${lose}`.trim(),
    hint: `${changes.length > 0 ? 'Nothing that was not listed was destroyed.' : 'Nothing was changed.'} Review the list; to proceed, run again with this confirmation (it covers exactly this list, on this destination, for this task).`,
    details: { ...confirmationDetails(refusal?.destruction ?? null, { changes, actions: refusal?.wouldLose ?? [] }), confirmation: refusal?.confirmation ?? null },
  };
  log('warn', report.error.message);
}

/** Confirmed: the refused datasets are planned again with their destruction; those below a destroyed replica go with it. */
export function confirmDestruction(task: ReplicationTask, work: PlannedDataset[], refusal: RunRefusal): void {
  const planOptions = { ...planOptionsOf(task), destructionConfirmed: true };
  const destroyed = refusal.destruction.operations.flatMap((op) => (op.kind === 'destroy-dataset' ? [op.dataset] : []));
  for (const w of work) {
    if (destroyed.some((d) => w.report.destination.startsWith(`${d}/`))) {
      // Sent again in full after the dataset above it is destroyed.
      w.destinationDataset = null;
      w.report.abortedResume = null;
      w.report.plan = planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, null), planOptions);
    } else if (w.report.plan.status === 'refused') {
      w.report.plan = planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, w.destinationDataset, { ignoreResumeToken: w.report.abortedResume !== null }), planOptions);
    }
  }
}

/** The operation of a divergence plan that resolves this dataset, if any. */
export function resolutionOf(destruction: DestructionPlan, w: PlannedDataset): DestructiveOperation | undefined {
  return destruction.operations.find((op) => (op.kind === 'rollback' ? op.to.slice(0, op.to.indexOf('@')) : op.kind === 'destroy-dataset' ? op.dataset : null) === w.report.destination);
}

/** The destination retention's prune as a destruction plan: exactly those snapshots, with GUIDs, sizes and why. */
function prunePlanOf(task: ReplicationTask, destination: EngineNas, plan: TaskPlan, reasons: ReadonlyMap<string, string>): DestructionPlan | null {
  const specs = plan.datasets.filter((w) => w.report.prune.length > 0).map((w): OperationSpec => ({ kind: 'destroy-snapshots', dataset: w.report.destination, snapshots: w.report.prune }));
  if (specs.length === 0) return null;
  return buildDestructionPlan(
    { purpose: 'prune', taskId: task.id, connectionId: task.destinationConnectionId, host: destination.label },
    destination.host.capabilities.tools,
    specs,
    plan.parentListing ?? new Map(),
    { note: (item) => reasons.get(item.name) ?? null },
  );
}

/**
 * Direct mode, a run with two incremental streams or more (datasets x steps): the source's ssh connection to the
 * destination, opened once while the run prepares, serves them all (each would otherwise pay a key exchange and
 * login: 2.4-2.8 s in the emulated test NAS). Full sends and resumes, the bulk of the bytes, connect on their own:
 * through the shared connection every byte takes one more hop (client -> master), which cost a 64 MiB full send
 * a quarter of its throughput on the VMs (bench: direct/raw 0.74 instead of 0.96).
 */
interface SharedDirectConnection {
  connection: Promise<DirectConnection> | null;
}

async function planAndSend(
  task: ReplicationTask,
  source: EngineNas,
  destination: EngineNas,
  options: EngineRunOptions,
  report: RunReport,
  context: Context,
  shared: SharedDirectConnection,
): Promise<void> {
  const { log } = context;
  const call = options.signal ? { signal: options.signal } : {};
  const planOptions = planOptionsOf(task);
  const direct = task.transport.kind === 'direct';
  checkPropertyOptions(task);
  const encryptionKey = destinationKeyOf(task, options.destinationKey);

  // Tools beyond zfs, checked before anything changes.
  // Listing and tool checks are read-only: they run together, and the plan is checked before anything changes.
  const needs = requiredTools({ direct, compression: task.compression });
  const [sourceHas, destinationHas, taskPlan] = await Promise.all([
    availableTools(source.host.runner, [...needs.source, ...(direct ? ['pv', 'mbuffer'] : [])], options.signal),
    availableTools(destination.host.runner, needs.destination, options.signal),
    planTask(task, source, destination, call),
  ]);
  for (const [side, wanted, found] of [[source, needs.source, sourceHas], [destination, needs.destination, destinationHas]] as const) {
    const missing = wanted.filter((tool) => !found.has(tool));
    if (missing.length > 0) {
      throw new AppFailure('COMMAND_NOT_FOUND', `${side.label} lacks ${missing.join(', ')}, which this task needs.`, `Install ${missing.join(' and ')} on that NAS, or change the task's compression or transport.`);
    }
  }

  // Every dataset is planned first: nothing runs until every plan is known and allowed.
  const work = taskPlan.datasets;
  report.datasets = work.map((w) => w.report);
  for (const w of work) context.emit({ kind: 'step', dataset: w.report.source, destination: w.report.destination, step: 'planned', detail: planSummary(w.report.plan) });
  refusePromoted(task, destination, taskPlan);

  // Refusals: all of them at once, one destruction plan confirmed by one digest.
  const refusal = taskPlan.refusal;
  if (refusal) {
    if (options.confirmation !== refusal.confirmation) {
      refuseRun(report, refusal, options.confirmation, log);
      return;
    }
    confirmDestruction(task, work, refusal);
  }

  if (encryptionKey) await checkEncryptedParent(task, source, destination, taskPlan, encryptionKey, { dryRun: options.dryRun ?? false, ...call });

  // Destination retention: prune before sending (naming-schema tasks; the common base and held snapshots stay).
  // decideRetention is what the review screen shows for the same request; its reasons annotate the destruction plan.
  const pruneReasons = new Map<string, string>();
  if (task.selection.kind === 'naming-schema' && task.destinationLifetime.kind !== 'forever') {
    for (const w of work) {
      if (!w.destinationDataset || w.report.plan.status === 'refused') continue;
      // A rollback or destroy removes some snapshots anyway; pruning those too would fail.
      const destructive = w.report.plan.status === 'ready' ? w.report.plan.destructive : null;
      if (destructive?.kind === 'destroy-dataset') continue;
      const resolution = refusal?.destruction.operations.find((op) => op.kind === 'rollback' && destructive?.kind === 'rollback' && op.to === destructive.to);
      const goingAnyway = new Set(resolution?.items.map((i) => i.name) ?? []);
      const request = replicaRetentionRequest(task, w.destinationDataset.snapshots.map((s) => ({ name: s.name, holds: s.userRefs })), {
        now: context.now().getTime(),
        commonBase: w.report.plan.base,
        sourceNames: w.sourceDataset.snapshots.map((s) => s.name),
      });
      const decisions = request ? decideRetention(request) : [];
      for (const d of decisions) if (d.fate === 'prune') pruneReasons.set(`${w.report.destination}@${d.name}`, describeReason(d.reason, { timeZone: request?.timeZone ?? 'UTC' }));
      w.report.prune.push(...prunedNames(decisions).filter((name) => !goingAnyway.has(`${w.report.destination}@${name}`)));
    }
  }
  // What each dataset's run destroys, in order: its prune (decided by the retention policy), then its confirmed
  // rollback or destroy. Both come from the listing the plan was made from, with GUIDs, and are checked again
  // against the destination right before they run.
  const prunePlan = prunePlanOf(task, destination, taskPlan, pruneReasons);
  for (const w of work) {
    const prune = prunePlan?.operations.find((op) => op.kind === 'destroy-snapshots' && op.dataset === w.report.destination);
    const resolution = refusal ? resolutionOf(refusal.destruction, w) : undefined;
    w.report.destruction = [...(prune ? [prune] : []), ...(resolution ? [resolution] : [])];
  }

  const flagsFor = (w: PlannedDataset, index: number): SendFlags => {
    const steps = w.report.plan.steps;
    const step = steps[index];
    return {
      raw: task.encryption.kind === 'as-source' && w.sourceDataset.encrypted,
      compact: true,
      // An encrypted receive refuses embedded-data records (-e): "incompatible embedded data stream feature with
      // encrypted receive" (OpenZFS 2.3).
      embedded: !encryptionKey,
      // Properties travel with a full send (they shape how its blocks are written) and with the plan's last
      // incremental, which leaves the replica with the source's current properties; every earlier incremental
      // without -p spares the receive a property update per snapshot. (Resume streams keep their own flags.)
      properties: task.properties.replicate && (step?.kind !== 'incremental' || index === steps.length - 1),
    };
  };
  const receiveFor = (w: PlannedDataset, index: number): ReceiveOptions => {
    const plan = w.report.plan;
    const existing = w.destinationDataset;
    const first = plan.steps[0];
    // `receive -o readonly=on` sets the property again for every snapshot of an -I stream (+6 s per 100 small
    // snapshots measured on the VMs). A replica that is already read-only and stays (no destroy, no half-done
    // receive), or that an earlier step of this run received with readonly=on, gets `-x readonly` instead: free,
    // and a readonly in a -p stream still cannot make it writable.
    const alreadyReadonly =
      task.destinationReadonly &&
      ((index > 0 && first?.kind !== 'resume') ||
        (existing !== null && existing.readonly && existing.receiveResumeToken === null && !(plan.status === 'ready' && plan.destructive?.kind === 'destroy-dataset'))) &&
      !Object.hasOwn(task.properties.override, 'readonly') && !task.properties.exclude.includes('readonly');
    return {
      target: w.report.destination,
      setProperties: { ...(task.destinationReadonly && !alreadyReadonly ? { readonly: 'on' } : {}), ...task.properties.override },
      // A -p stream of a plain dataset carries encryption=off, which beats inheritance: -x encryption lets the
      // replica inherit the encryption root above it (measured on OpenZFS 2.3: without it the replica is plain).
      excludeProperties: [...task.properties.exclude, ...(encryptionKey ? ['encryption'] : []), ...(alreadyReadonly ? ['readonly'] : [])],
    };
  };
  const sendSourceOf = (w: PlannedDataset, step: SendStep): SendSource => {
    const name = w.sourceDataset.name;
    if (step.kind === 'full') return { kind: 'full', snapshot: `${name}@${step.snapshot}` };
    if (step.kind === 'resume') return { kind: 'resume', token: step.token };
    return { kind: 'incremental', from: step.from.startsWith('#') ? `${name}${step.from}` : `${name}@${step.from}`, snapshot: `${name}@${step.to}`, intermediates: step.intermediates };
  };
  const sourceTools = source.host.capabilities.tools;
  const destinationTools = destination.host.capabilities.tools;
  const parentRequests = createParentRequests(task, encryptionKey);

  // The command list (what a dry run shows and what a real run will do) and the size estimates. The estimates
  // (`zfs send -n -P`) run one after another on one channel; a real run does not wait for them: they arrive while
  // the first stream flows and feed its ETA.
  let estimates: Promise<void> = Promise.resolve();
  for (const w of work) {
    const plan = w.report.plan;
    if (w.report.abortedResume) w.report.commands.push(buildCommandLine(buildAbortReceiveArgv(destinationTools, w.report.destination)));
    // The prune, then the confirmed rollback or destroy: the commands of the destruction plan(s), as they will run.
    w.report.commands.push(...w.report.destruction.map((op) => op.command));
    if (plan.status !== 'ready') continue;
    const sendSources = plan.steps.map((step) => sendSourceOf(w, step));
    sendSources.forEach((sendSource, index) => {
      w.report.commands.push(`${buildCommandLine(buildSendArgv(sourceTools, sendSource, flagsFor(w, index)))} | ${buildCommandLine(buildReceiveArgv(destinationTools, receiveFor(w, index)))}`);
    });
    estimates = estimates.then(async () => {
      let estimate = 0;
      for (const [index, sendSource] of sendSources.entries()) {
        const { stdout, stderr } = await source.host.runner.run(buildSendEstimateArgv(sourceTools, sendSource, flagsFor(w, index)), { ...call, timeoutMs: 120_000 });
        estimate += parseSendEstimate(`${stdout}\n${stderr}`) ?? 0;
      }
      w.report.estimatedBytes = estimate;
    });
  }
  if (options.dryRun) await estimates;
  // A real run: a failed estimate costs only the ETA (the send itself reports what is wrong).
  const estimated = estimates.catch((error: unknown) => log('warn', `Could not estimate the stream size: ${toAppError(error).message}`));
  const anyReady = work.some((w) => w.report.plan.status === 'ready');
  const needsParent = !taskPlan.parentExists && anyReady;
  if (needsParent) work[0]?.report.commands.unshift(...parentRequests.map((request) => buildCommandLine(buildCreateDatasetArgv(destinationTools, request))));

  if (options.dryRun) {
    log('info', `Dry run of "${task.name}": ${work.map((w) => `${w.report.source} -> ${w.report.destination}: ${w.report.plan.status}`).join('; ')}. Nothing was changed.`);
    return;
  }

  const incrementalStreams = work.reduce((n, w) => n + (w.report.plan.status === 'ready' ? w.report.plan.steps.filter((step) => step.kind === 'incremental').length : 0), 0);
  if (task.transport.kind === 'direct' && incrementalStreams >= 2) {
    const { destinationHost: host, destinationPort: port, destinationUser: user } = task.transport;
    shared.connection = openDirectConnection(source.host.runner, { host, port, user }, options.signal);
  }

  if (needsParent) {
    log('info', `Creating destination parent ${task.destinationParent} on ${destination.label}${encryptionKey ? ` as an encryption root (keyformat=${encryptionKey.format})` : ''}.`);
    for (const request of parentRequests) await createDataset(destination.host, request, call);
  }

  const tag = holdTagOf(task.id);
  let sharedReported = false;
  for (const w of work) {
    const step = (step: DatasetStep, detail: string | null = null) => context.emit({ kind: 'step', dataset: w.report.source, destination: w.report.destination, step, detail });
    if (w.report.abortedResume) {
      log('warn', `The interrupted receive into ${w.report.destination} cannot be resumed (${w.report.abortedResume}); aborting it (zfs receive -A) and starting from the last common snapshot.`);
      await destination.host.runner.run(buildAbortReceiveArgv(destinationTools, w.report.destination), call);
    }
    const prune = w.report.destruction.find((op) => op.kind === 'destroy-snapshots');
    if (prune && prunePlan) {
      step('pruning', `${w.report.prune.length} expired snapshot(s)`);
      log('info', `Pruning ${w.report.prune.length} expired snapshot(s) of ${w.report.destination}: ${w.report.prune.join(', ')}.`);
      const outcome = await executeOperations(destination.host, prunePlan, [prune], { call, onChange: 'skip-changed' });
      if (outcome.skipped.length > 0) log('warn', `Left alone (changed since the plan): ${outcome.skipped.map(changeWords).join('; ')}.`);
      log('info', `Destroyed on ${destination.label}: ${outcome.destroyed.join(', ') || 'nothing'}.`);
    }
    let plan = w.report.plan;
    if (plan.status !== 'ready') {
      log('info', `${w.report.source} -> ${w.report.destination}: ${plan.status === 'up-to-date' ? 'up to date' : plan.status === 'nothing-to-send' ? plan.reason : plan.status}.`);
      step('skipped', planSummary(plan));
      continue;
    }
    const startBase = plan.base;
    const resolution = w.report.destruction.find((op) => op.kind !== 'destroy-snapshots');
    if (plan.destructive && resolution && refusal) {
      step('destroying', resolution.items.map((i) => i.name).join('; '));
      log('warn', `Confirmed: ${resolution.command}; this destroys ${resolution.items.map(itemWords).join('; ')}.`);
      // Listed again first: anything new or different refuses the run. Our own holds would block it; anyone
      // else's still do. After a rollback the incremental applies; after a destroy the full send recreates it.
      const outcome = await executeOperations(destination.host, refusal.destruction, [resolution], { call, releaseTag: tag });
      log('info', `Destroyed on ${destination.label}: ${outcome.destroyed.join(', ')}.`);
    }

    const transferSide = (nas: EngineNas): TransferSide => ({ runner: nas.host.runner, tools: nas.host.capabilities.tools, privilege: nas.privilege });
    const connection = await shared.connection;
    if (connection && !sharedReported) {
      sharedReported = true;
      log('info', connection.controlPath ? `${source.label} keeps one ssh connection to the destination for this run's incremental streams.` : `Each stream opens its own ssh connection to the destination (${connection.unavailable}).`);
    }
    step('sending', planSummary(plan));
    const started = Date.now();
    let lastEmit = 0;
    let sentBefore = 0;
    for (let index = 0; index < plan.steps.length; index++) {
      const step = plan.steps[index]!;
      const sendSource = sendSourceOf(w, step);
      const onBytes = (bytes: number) => {
        const at = Date.now();
        if (at - lastEmit < 250) return;
        lastEmit = at;
        const sent = sentBefore + bytes;
        const total = w.report.estimatedBytes;
        const rate = sent / Math.max(0.001, (at - started) / 1000);
        context.emit({ kind: 'progress', dataset: w.report.source, bytesSent: sent, bytesTotal: total, bytesPerSecond: rate, etaSeconds: total && rate > 0 ? Math.max(0, (total - sent) / rate) : null });
      };
      const replan = async (ignoreResumeToken: boolean) => {
        const fresh = await listForReplication(destination.host, w.report.destination, call);
        return planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, fresh?.get(w.report.destination) ?? null, { ignoreResumeToken }), planOptions);
      };
      try {
        const result = await transferStream({
          source: transferSide(source),
          destination: transferSide(destination),
          send: sendSource,
          sendFlags: flagsFor(w, index),
          receive: receiveFor(w, index),
          transport:
            task.transport.kind === 'relay'
              ? { kind: 'relay' }
              : {
                  kind: 'direct',
                  host: task.transport.destinationHost,
                  port: task.transport.destinationPort,
                  user: task.transport.destinationUser,
                  meter: sourceHas.has('pv') ? 'pv' : sourceHas.has('mbuffer') ? 'mbuffer' : 'none',
                  controlPath: step.kind === 'incremental' ? (connection?.controlPath ?? null) : null,
                },
          compression: task.compression,
          bandwidthLimitKiBps: task.bandwidthLimitKiBps,
          ...(options.signal ? { signal: options.signal } : {}),
          onBytes,
        });
        sentBefore += result.bytes;
        w.report.bytesSent += result.bytes;
        w.report.snapshotsSent += snapshotsIn(step, w.sourceDataset.snapshots);
        if (encryptionKey && step.kind === 'full') await assertEncryptedReplica(destination, w.report.destination, call);
        log('info', `${step.kind === 'full' ? 'Full' : step.kind === 'resume' ? 'Resumed' : 'Incremental'} send ${step.kind === 'incremental' ? `${step.from} -> ${step.to}` : step.kind === 'full' ? step.snapshot : ''} of ${w.report.source}: ${result.bytes} bytes in ${result.seconds.toFixed(1)} s.`);
      } catch (error) {
        if (step.kind === 'resume' && error instanceof AppFailure && unresumablePattern.test(`${error.message}\n${stderrOf(error)}`)) {
          // The snapshot went away between planning and sending: drop the partial state, plan again.
          log('warn', `The interrupted receive into ${w.report.destination} cannot be resumed (${error.message}); aborting it and planning again.`);
          await destination.host.runner.run(buildAbortReceiveArgv(destinationTools, w.report.destination), call);
          plan = await replan(true);
          w.report.plan = plan;
          if (plan.status !== 'ready') break;
          index = -1;
          continue;
        }
        throw await explainInterruption(error, destination, w.report.destination, sentBefore);
      }
      if (step.kind === 'resume') {
        // Finished the interrupted stream; now plan the rest from a fresh listing.
        plan = await replan(false);
        w.report.plan = plan;
        if (plan.status !== 'ready') break;
        index = -1;
      }
    }
    report.bytesSent += w.report.bytesSent;
    report.snapshotsSent += w.report.snapshotsSent;

    // Hold the new common pair so no prune breaks the chain; release the previous base. After a resume the
    // plan was made again and may be up to date: its base is then the new common snapshot.
    const newest = plan.status === 'ready' ? plan.newest || null : plan.status === 'up-to-date' ? plan.base : null;
    if (newest && w.sourceDataset.snapshots.some((s) => s.name === newest)) {
      step('holding', `@${newest}`);
      // Both sides at once; the old pair is released only once the new pair is held.
      await Promise.all([settleHolds(source.host, 'hold', { tag, snapshots: [`${w.sourceDataset.name}@${newest}`] }, call), settleHolds(destination.host, 'hold', { tag, snapshots: [`${w.report.destination}@${newest}`] }, call)]);
      const base = startBase;
      if (base && base !== newest) {
        // A bookmark base has no hold on the source; its destination snapshot had one.
        await Promise.all([
          w.sourceDataset.snapshots.some((s) => s.name === base) ? settleHolds(source.host, 'release', { tag, snapshots: [`${w.sourceDataset.name}@${base}`] }, call) : null,
          settleHolds(destination.host, 'release', { tag, snapshots: [`${w.report.destination}@${base}`] }, call),
        ]);
      }
    }
    step('done', `${w.report.snapshotsSent} snapshot(s), ${w.report.bytesSent} bytes`);
  }
  await estimated;
  log('info', `Task "${task.name}" finished: ${report.snapshotsSent} snapshot(s), ${report.bytesSent} bytes.`);
}

/** A plan in a few words, for a dataset's step: "full @s1", "incremental @a -> @b (3 streams)", "up to date". */
function planSummary(plan: ReplicationPlan): string {
  switch (plan.status) {
    case 'ready': {
      const first = plan.steps[0];
      const what = first?.kind === 'full' ? `full @${first.snapshot}` : first?.kind === 'resume' ? 'resume the interrupted transfer' : `incremental @${plan.base ?? ''} -> @${plan.newest}`;
      return plan.steps.length > 1 ? `${what} (${plan.steps.length} streams)` : what;
    }
    case 'up-to-date':
      return 'up to date';
    case 'nothing-to-send':
      return plan.reason;
    case 'refused':
      return `refused: ${plan.refusal.divergence.map((d) => d.reason).join(', ')}`;
  }
}

/** A failed transfer that left a resumable receive says so: the next run continues it instead of starting over. */
async function explainInterruption(error: unknown, destination: EngineNas, target: string, bytesBefore: number): Promise<unknown> {
  if (!(error instanceof AppFailure)) return error;
  try {
    // Not under the run's signal: a cancelled run still reports what it left behind.
    const fresh = await listForReplication(destination.host, target);
    if (!fresh?.get(target)?.receiveResumeToken) return error;
  } catch {
    return error;
  }
  return error.reworded(
    `${error.message} The transfer into ${target} was interrupted${bytesBefore > 0 ? ` after ${bytesBefore} bytes of earlier steps` : ''}; ZFS kept what arrived.`,
    'Run the task again: it resumes from where the stream stopped (zfs send -t), nothing is sent twice.',
    { resumable: true },
  );
}

/** What creates a missing destination parent: an encryption root made with the task's key when the destination encrypts. */
function createParentRequests(task: ReplicationTask, key: { format: 'hex' | 'passphrase'; key: string } | null): CreateDatasetRequest[] {
  const parent = assertZfsName('dataset', task.destinationParent);
  if (!key) return [{ dataset: parent, createParents: true }];
  // No -p on the parent itself: with -p an existing unencrypted dataset would count as success.
  const above = parent.includes('/') ? parent.slice(0, parent.lastIndexOf('/')) : null;
  const requests: CreateDatasetRequest[] = above && above.includes('/') ? [{ dataset: above, createParents: true }] : [];
  // keylocation=prompt: zfs reads the key from stdin, so it is never written to the NAS's disk or shown in ps.
  requests.push({ dataset: parent, encryptionKey: key });
  return requests;
}

/**
 * encrypt-on-destination: replicas inherit encryption from the destination parent (an encryption root made with
 * the task's key). An existing parent must be encrypted, and its key loaded so plain streams can be written.
 */
async function checkEncryptedParent(task: ReplicationTask, source: EngineNas, destination: EngineNas, plan: TaskPlan, key: { format: 'hex' | 'passphrase'; key: string }, options: { dryRun: boolean; signal?: AbortSignal }): Promise<void> {
  const { dryRun, ...call } = options;
  const pool = poolOfName(task.destinationParent);
  if (destination.host.capabilities.pools[pool]?.encryption === false) {
    throw new AppFailure('UNSUPPORTED_VERSION', `Pool ${pool} on ${destination.label} has the encryption feature disabled.`, `Enable it (zpool set feature@encryption=enabled ${pool}) or pick a destination in another pool.`);
  }
  for (const w of plan.datasets) {
    if (w.sourceDataset.encrypted && w.sourceDataset.keyStatus !== 'available') {
      throw new AppFailure('INVALID_REQUEST', `${w.sourceDataset.name} on ${source.label} is encrypted and its key is not loaded, so it cannot be sent decrypted for re-encryption.`, 'Load its key on the source (zfs load-key), or set the task to keep the source encryption (raw send).');
    }
    if (w.destinationDataset && !w.destinationDataset.encrypted) {
      throw new AppFailure('INVALID_REQUEST', `The replica ${w.report.destination} on ${destination.label} exists and is not encrypted.`, 'Replicate into a new destination parent: the app creates it encrypted with the task key.');
    }
  }
  if (!plan.parentExists) return;
  const [parent] = await listDatasets(destination.host, { root: task.destinationParent, depth: 0 }, call);
  if (!parent || parent.encryption === 'off') {
    throw new AppFailure(
      'INVALID_REQUEST',
      `The destination parent ${task.destinationParent} on ${destination.label} is not encrypted; replicas received there would be stored in plain text.`,
      'Pick a destination parent that does not exist yet (the app creates it as an encryption root with the task key) or one that is encrypted.',
    );
  }
  // A dry run changes nothing, not even the key status; the real run loads it.
  if (parent.keyStatus === 'unavailable' && parent.encryptionRoot && !dryRun) {
    const { exitCode, stderr } = await destination.host.runner.run(buildLoadKeyArgv(destination.host.capabilities.tools, { dataset: parent.encryptionRoot, passphrase: key.key }), {
      ...call,
      stdin: `${key.key}\n`,
      expectedExitCodes: [0, 1, 255],
    });
    if (exitCode !== 0) {
      throw /incorrect key|invalid key/i.test(stderr)
        ? new AppFailure('INVALID_REQUEST', `ZFS refused the task's key for ${parent.encryptionRoot} on ${destination.label}.`, 'Enter the key the replicas were created with.')
        : failureFromStderr({ label: destination.label, command: `zfs load-key -L prompt ${parent.encryptionRoot}`, exitCode, stderr });
    }
  }
}

/** Defence in depth for encrypt-on-destination: a replica that arrived in plain text stops the run loudly. */
async function assertEncryptedReplica(destination: EngineNas, replica: string, call: { signal?: AbortSignal }): Promise<void> {
  const [row] = await getProperties(destination.host, [replica], ['encryption'], {}, call);
  if (row?.value === 'off') {
    throw new AppFailure('INTERNAL', `${replica} on ${destination.label} was received unencrypted although the task encrypts on the destination.`, 'Destroy that replica after checking it, and report this: the receive did not inherit the encryption root.');
  }
}

/** A promoted replica is a live dataset now: replicating into it again needs the admin to reset the task first. */
function refusePromoted(task: ReplicationTask, destination: EngineNas, plan: TaskPlan): void {
  // The mark is a user property in the destination listing (inherited by a promoted replica's children too).
  const mark = [...(plan.parentListing?.values() ?? [])].find((d) => d.promoted?.startsWith(`${task.id} `));
  if (mark) {
    throw new AppFailure(
      'CONFLICT',
      `${mark.name} on ${destination.label} was promoted (${mark.promoted!.slice(task.id.length + 1)}): this replication relationship is broken.`,
      'Fail back with the plan promote returned, or reset the task to resume replication (the next run then shows what it would overwrite).',
      { promoted: mark.name },
    );
  }
}

