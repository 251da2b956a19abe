import type { DestructionChange, DestructionPlan, RunRefusal, RunReport } from '../../../shared/replication-reports.ts';
import { formatBytes } from '../../../shared/format-bytes.ts';
import { AppFailure, toAppError } from '../../../shared/result.ts';
import { decideRetention, describeReason, prunedNames, replicaRetentionRequest } from '../../../shared/retention.ts';
import { assertRunnableTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { assertZfsPropertyName } from '../../../shared/zfs-names.ts';
import { buildCommandLine, type CommandRunner, type RunOptions } from '../ssh/command-runner.ts';
import { buildDestructionPlan, changeWords, confirmationDetails, type OperationSpec } from '../zfs/destruction.ts';
import { buildCreateDatasetArgv, createDataset } from '../zfs/operations.ts';
import { buildReplicationListingArgv } from '../zfs/replication-listing.ts';
import { buildAbortReceiveArgv, buildReceiveArgv, buildSendArgv, buildSendEstimateArgv, parseSendEstimate } from '../zfs/send-receive.ts';
import { emitStep, noHoldMoves, planSummary, replicateDataset, settleHoldMoves, type EngineRun, type PreparedRun } from './dataset-run.ts';
import { datasetStreams } from './dataset-streams.ts';
import { replicateBatch, sendGroups } from './increment-batch.ts';
import { checkEncryptedParent, createParentRequests, destinationKeyOf } from './destination-encryption.ts';
import { callOf, type EngineDeps, type EngineNas, type EngineRunOptions } from './engine-types.ts';
import { availableTools, openDirectConnection, requiredTools } from './stream-transfer.ts';
import { acquireTaskLock, type PrefetchedCommands } from './task-lock.ts';
import { confirmDestruction, planTask, type TaskPlan } from './task-plan.ts';
import { relaysSmallIncrement, smallIncrementBytes } from './transport-choice.ts';

// Runs one replication task: lock (the lock's shell then lists the source, one command per source root), list the
// destination, plan every dataset, refuse anything destructive that was not confirmed (one destruction plan, its digest), prune the destination by
// its retention policy, send (single incremental streams batched through one channel per side, increment-batch.ts),
// hold the new common snapshot pair. A dry run stops after planning and returns the exact
// commands it would run.
//
// The engine's public API (what the app, the CLI and task maintenance use) is this file's exports: running a task,
// planning one without changing anything, where a source dataset lands, which snapshots a task selects and the
// destination key it runs with (checked as a run checks them).

export type { EngineDeps, EngineEvent, EngineNas, EngineRunOptions } from './engine-types.ts';
export type { DatasetReport, RunReport } from '../../../shared/replication-reports.ts';
export { destinationNameOf, planTask, selector, type PlannedDataset, type TaskPlan } from './task-plan.ts';
export { destinationKeyOf } from './destination-encryption.ts';
export { holdTagOf } from './hold-tags.ts';

type Run = EngineRun;

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
  const lockHeld = gate();
  try {
    // The whole task is checked before any connection opens: a bad value (e.g. from a hand-edited settings file)
    // fails here, named, with nothing changed on any NAS.
    task = assertRunnableTask(task);
    // Both connections (handshake and capability probe) at once; the lock is taken as soon as the source is
    // connected. Meanwhile the destination's listing channel opens and its shell starts (a NAS's first session is
    // the slow part of a first command), gated: the listing itself starts only once the lock is held, never while
    // another run of the task may be receiving. A dry run takes no lock: it lists both sides at once when planned.
    const connecting = deps.nas(task.destinationConnectionId).then((nas) => {
      if (options.dryRun) return nas;
      const listing = buildReplicationListingArgv(nas.host.capabilities.tools, task.destinationParent);
      return answeredFrom(earlyCommand(nas.host.runner, listing, { ...callOf(options.signal), expectedExitCodes: [0, 1], startWhen: lockHeld.promise }), nas);
    });
    connecting.catch(() => undefined); // awaited below; a source failure first must not leave it unhandled
    const source = await deps.nas(task.sourceConnectionId);
    let prefetched: PrefetchedCommands | null = null;
    if (!options.dryRun) {
      // The lock's shell also lists the source as soon as it holds the lock: one round trip less per cycle, and the
      // listing is still taken under the lock.
      const prefetch = task.sources.map((spec) => buildReplicationListingArgv(source.host.capabilities.tools, spec.name));
      const lock = await acquireTaskLock({ taskId: task.id, taskName: task.name, runner: source.host.runner, by: deps.by ?? 'app', prefetch, ...callOf(options.signal) });
      release = lock.release;
      prefetched = lock.prefetched;
      lockHeld.open();
    }
    const destination = await connecting;
    await execute({ task, source, destination, options, call: callOf(options.signal), report, log, emit, now }, prefetched);
  } catch (error) {
    report.result = 'FAILED';
    report.error = toAppError(error);
    log('error', `${report.error.message}${report.error.hint ? ` ${report.error.hint}` : ''}`);
  } finally {
    // A run that ends before holding the lock never starts the destination's gated listing (after open: no effect).
    lockHeld.close(new AppFailure('CANCELLED', `The run of "${task.name}" stopped before it held the task lock: the destination was not listed.`));
    await release?.();
    report.finishedAt = now().toISOString();
  }
  return report;
}

async function execute(run: Run, prefetched: PrefetchedCommands | null): Promise<void> {
  const shared: PreparedRun['shared'] = { connection: null, reported: false };
  try {
    await planAndSend(run, shared, prefetched);
  } catch (error) {
    const changes = destructionChangesOf(error);
    if (!changes) throw error;
    // Refused right before acting: the destination is planned again (read-only) and the run reports what would be
    // destroyed now, with how it differs from what was confirmed.
    const again = await planTask(run.task, run.source, run.destination, run.call);
    refuseRun(run, again.refusal, changes);
  } finally {
    await (await shared.connection)?.close();
  }
}

/** Plan everything, refuse what was not confirmed, then replicate dataset by dataset. */
async function planAndSend(run: Run, shared: PreparedRun['shared'], prefetched: PrefetchedCommands | null): Promise<void> {
  const { task, options } = run;
  checkPropertyOptions(task);
  const encryptionKey = destinationKeyOf(task, options.destinationKey);
  // Every dataset is planned first: nothing runs until every plan is known and allowed.
  const { plan, sourceHas } = await planWithTools(run, prefetched);
  run.report.datasets = plan.datasets.map((w) => w.report);
  for (const w of plan.datasets) emitStep(run, w, 'planned', planSummary(w.report.plan));
  refusePromoted(run, plan);
  if (plan.refusal && options.confirmation !== plan.refusal.confirmation) return refuseRun(run, plan.refusal);
  if (plan.refusal) confirmDestruction(task, plan.datasets, plan.refusal);
  if (encryptionKey) await checkEncryptedParent(task, run.source, run.destination, plan, encryptionKey, { dryRun: options.dryRun ?? false, ...run.call });
  const pruneReasons = decideDestinationPrune(run, plan);
  const prepared: PreparedRun = { ...run, plan, refusal: plan.refusal, prunePlan: attachDestruction(run, plan, pruneReasons), encryptionKey, streams: datasetStreams(task, encryptionKey), sourceHas, shared, holds: noHoldMoves() };
  const estimated = listCommands(prepared, { estimate: options.dryRun === true || options.estimate !== false });
  const needsParent = !plan.parentExists && plan.datasets.some((w) => w.report.plan.status === 'ready');
  if (needsParent) listParentCommands(prepared);
  if (options.dryRun) {
    await estimated;
    run.log('info', `Dry run of "${task.name}": ${plan.datasets.map((w) => `${w.report.source} -> ${w.report.destination}: ${w.report.plan.status}`).join('; ')}. Nothing was changed.`);
    return;
  }
  // A real run does not wait for the estimates (they feed the ETA); a failed one costs only the ETA.
  const estimating = estimated.catch((error: unknown) => run.log('warn', `Could not estimate the stream size: ${toAppError(error).message}`));
  openSharedConnection(prepared);
  if (needsParent) await createParent(prepared);
  try {
    for (const group of sendGroups(prepared, plan.datasets)) {
      const oneByOne = group.length > 1 ? await replicateBatch(prepared, group) : group;
      for (const w of oneByOne) await replicateDataset(prepared, w);
    }
  } catch (error) {
    // What was sent before the failure is held all the same; the failure that stopped the run is what it reports.
    await settleHoldMoves(prepared).catch((holdError: unknown) => run.log('warn', `Could not move the task's holds: ${toAppError(holdError).message}`));
    throw error;
  }
  await settleHoldMoves(prepared);
  await estimating;
  run.log('info', `Task "${task.name}" finished: ${run.report.snapshotsSent} snapshot(s), ${run.report.bytesSent} bytes.`);
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

/**
 * The listings first (one command per side), then the tools a transfer needs, only when the plan sends something
 * (a dataset ready, or refused and possibly confirmed): a no-op cycle is the lock and one listing per side. Both
 * are read-only and come before anything changes, so a missing tool still fails the run with nothing changed.
 */
async function planWithTools(run: Run, prefetched: PrefetchedCommands | null): Promise<{ plan: TaskPlan; sourceHas: Set<string> }> {
  const { task, source, destination, options } = run;
  const plan = await planTask(task, answeredFrom(prefetched, source), destination, run.call);
  const sends = plan.datasets.some((w) => w.report.plan.status === 'ready' || w.report.plan.status === 'refused');
  if (!sends) return { plan, sourceHas: new Set() };
  const direct = task.transport.kind === 'direct';
  const needs = requiredTools({ direct, compression: task.compression });
  const [sourceHas, destinationHas] = await Promise.all([
    availableTools(source.host.runner, [...needs.source, ...(direct ? ['pv', 'mbuffer'] : [])], options.signal),
    availableTools(destination.host.runner, needs.destination, options.signal),
  ]);
  for (const [side, wanted, found] of [[source, needs.source, sourceHas], [destination, needs.destination, destinationHas]] as const) {
    const missing = wanted.filter((tool) => !found.has(tool));
    if (missing.length > 0) {
      throw new AppFailure('COMMAND_NOT_FOUND', `${side.label} lacks ${missing.join(', ')}, which this task needs.`, `Install ${missing.join(' and ')} on that NAS, or change the task's compression or transport.`);
    }
  }
  return { plan, sourceHas };
}

/** A promise opened or closed from outside (once). */
function gate(): { promise: Promise<void>; open: () => void; close: (error: unknown) => void } {
  let open!: () => void;
  let close!: (error: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    close = reject;
  });
  promise.catch(() => undefined); // a closed gate is reported by the command it held, if anyone asks for it
  return { promise, open, close };
}

/** One command started ahead of time (the destination's gated listing), answered once to whoever runs that argv. */
function earlyCommand(runner: CommandRunner, argv: readonly string[], options: RunOptions): PrefetchedCommands {
  const running = runner.run(argv, options);
  running.catch(() => undefined); // the caller who takes it sees the failure; nobody else must
  let taken = false;
  return {
    take: (asked) => {
      if (taken || asked.length !== argv.length || asked.some((word, i) => word !== argv[i])) return null;
      taken = true;
      return running;
    },
  };
}

/**
 * A side as the first plan sees it: a command already run (the source's listing in the lock's shell, the
 * destination's gated listing) is answered from it, once; everything else, and every later listing, runs on the NAS.
 */
function answeredFrom(prefetched: PrefetchedCommands | null, nas: EngineNas): EngineNas {
  if (!prefetched) return nas;
  const inner = nas.host.runner;
  const runner: CommandRunner = { label: inner.label, run: (argv, options) => prefetched.take(argv, options) ?? inner.run(argv, options) };
  return { ...nas, host: { runner, capabilities: nas.host.capabilities } };
}

/** A promoted replica is a live dataset now: replicating into it again needs the admin to reset the task first. */
function refusePromoted(run: Run, plan: TaskPlan): void {
  const { task } = run;
  // The mark is a user property in the destination listing (inherited by a promoted replica's children too).
  const mark = [...(plan.parentListing?.values() ?? [])].find((d) => d.promoted?.startsWith(`${task.id} `));
  if (mark) {
    throw new AppFailure(
      'CONFLICT',
      `${mark.name} on ${run.destination.label} was promoted (${mark.promoted!.slice(task.id.length + 1)}): this replication relationship is broken.`,
      'Fail back with the plan promote returned, or reset the task to resume replication (the next run then shows what it would overwrite).',
      { promoted: mark.name },
    );
  }
}

/** The differences a destruction's re-check found (executeOperations), or null for any other error. */
function destructionChangesOf(error: unknown): DestructionChange[] | null {
  if (!(error instanceof AppFailure) || error.code !== 'CONFIRMATION_REQUIRED') return null;
  return error.appError.code === 'CONFIRMATION_REQUIRED' ? (error.appError.details.changes ?? null) : null;
}

/** A REFUSED run: what replicating would destroy now, and why the confirmation given (if any) does not cover it. */
function refuseRun(run: Run, refusal: RunRefusal | null, changes: DestructionChange[] = []): void {
  const { report } = run;
  report.result = 'REFUSED';
  report.refusal = refusal ? { ...refusal, changes } : null;
  const why =
    changes.length > 0
      ? `What would be destroyed changed since it was confirmed (${changes.map(changeWords).join('; ')}). `
      : run.options.confirmation !== undefined
        ? 'The confirmation given does not cover what is on the destination now (it was for another task or list, or the destination changed since). '
        : '';
  const lose = refusal ? ` The destination has diverged; replicating would destroy: ${refusal.wouldLose.join('; ')}.` : ' Run the task again to plan it anew.';
  report.error = {
    code: 'CONFIRMATION_REQUIRED',
    message: `${why}${lose}`.trim(),
    hint: `${changes.length > 0 ? 'Nothing that was not listed was destroyed.' : 'Nothing was changed.'} Review the list; to proceed, run again with this confirmation (it covers exactly this list, on this destination, for this task).`,
    // The one confirmation design (shared/result.ts): the plan's names and digest; the run's words as its actions.
    details: { ...confirmationDetails(refusal?.destruction ?? null, { changes, actions: refusal?.wouldLose ?? [] }), confirmation: refusal?.confirmation ?? null },
  };
  run.log('warn', report.error.message);
}

/**
 * Destination retention: what to prune before sending (naming-schema tasks; the common base and held snapshots stay).
 * decideRetention is what the review screen shows for the same request; its reasons annotate the destruction plan.
 */
function decideDestinationPrune(run: Run, plan: TaskPlan): Map<string, string> {
  const { task } = run;
  const reasons = new Map<string, string>();
  if (task.selection.kind !== 'naming-schema' || task.destinationLifetime.kind === 'forever') return reasons;
  for (const w of plan.datasets) {
    if (!w.destinationDataset || w.report.plan.status === 'refused') continue;
    // A rollback or destroy removes some snapshots anyway; pruning those too would fail.
    const destructive = w.report.plan.status === 'ready' ? w.report.plan.destructive : null;
    if (destructive?.kind === 'destroy-dataset') continue;
    const goingAnyway = new Set(w.report.destruction.flatMap((op) => op.items.map((i) => i.name)));
    const request = replicaRetentionRequest(task, w.destinationDataset.snapshots.map((s) => ({ name: s.name, holds: s.userRefs })), {
      now: run.now().getTime(),
      commonBase: w.report.plan.base,
      sourceNames: w.sourceDataset.snapshots.map((s) => s.name),
    });
    const decisions = request ? decideRetention(request) : [];
    for (const d of decisions) if (d.fate === 'prune') reasons.set(`${w.report.destination}@${d.name}`, describeReason(d.reason, { timeZone: request?.timeZone ?? 'UTC' }));
    w.report.prune.push(...prunedNames(decisions).filter((name) => !goingAnyway.has(`${w.report.destination}@${name}`)));
  }
  return reasons;
}

/**
 * What each dataset's run destroys, in order: its prune (decided by the retention policy, as a destruction plan of
 * exactly those snapshots with GUIDs, sizes and why), then its confirmed rollback or destroy. Both come from the
 * listing the plan was made from and are checked again against the destination right before they run.
 */
function attachDestruction(run: Run, plan: TaskPlan, reasons: ReadonlyMap<string, string>): DestructionPlan | null {
  const specs = plan.datasets.filter((w) => w.report.prune.length > 0).map((w): OperationSpec => ({ kind: 'destroy-snapshots', dataset: w.report.destination, snapshots: w.report.prune }));
  const prunePlan =
    specs.length === 0
      ? null
      : buildDestructionPlan(
          { purpose: 'prune', taskId: run.task.id, connectionId: run.task.destinationConnectionId, host: run.destination.label },
          run.destination.host.capabilities.tools,
          specs,
          plan.parentListing ?? new Map(),
          { note: (item) => reasons.get(item.name) ?? null },
        );
  for (const w of plan.datasets) {
    const prune = prunePlan?.operations.find((op) => op.kind === 'destroy-snapshots' && op.dataset === w.report.destination);
    if (prune) w.report.destruction.unshift(prune);
  }
  return prunePlan;
}

/**
 * The command list (what a dry run shows and what a real run will do) and, when asked, the size estimates
 * (`zfs send -n -P`), one after another. Resolves when every estimate is in.
 */
function listCommands(run: PreparedRun, options: { estimate: boolean }): Promise<void> {
  const sourceTools = run.source.host.capabilities.tools;
  const destinationTools = run.destination.host.capabilities.tools;
  let estimates: Promise<void> = Promise.resolve();
  for (const w of run.plan.datasets) {
    const plan = w.report.plan;
    if (w.report.abortedResume) w.report.commands.push(buildCommandLine(buildAbortReceiveArgv(destinationTools, w.report.destination)));
    // The prune, then the confirmed rollback or destroy: the commands of the destruction plan(s), as they will run.
    w.report.commands.push(...w.report.destruction.map((op) => op.command));
    if (plan.status !== 'ready') continue;
    const sendSources = plan.steps.map((step) => run.streams.sendSource(w, step));
    sendSources.forEach((sendSource, index) => {
      w.report.commands.push(`${buildCommandLine(buildSendArgv(sourceTools, sendSource, run.streams.sendFlags(w, index)))} | ${buildCommandLine(buildReceiveArgv(destinationTools, run.streams.receive(w, index)))}`);
    });
    if (!options.estimate) continue;
    estimates = estimates.then(async () => {
      let estimate = 0;
      for (const [index, sendSource] of sendSources.entries()) {
        const { stdout, stderr } = await run.source.host.runner.run(buildSendEstimateArgv(sourceTools, sendSource, run.streams.sendFlags(w, index)), { ...run.call, timeoutMs: 120_000 });
        estimate += parseSendEstimate(`${stdout}\n${stderr}`) ?? 0;
      }
      w.report.estimatedBytes = estimate;
    });
  }
  return estimates;
}

function listParentCommands(run: PreparedRun): void {
  const tools = run.destination.host.capabilities.tools;
  run.plan.datasets[0]?.report.commands.unshift(...createParentRequests(run.task, run.encryptionKey).map((request) => buildCommandLine(buildCreateDatasetArgv(tools, request))));
}

async function createParent(run: PreparedRun): Promise<void> {
  run.log('info', `Creating destination parent ${run.task.destinationParent} on ${run.destination.label}${run.encryptionKey ? ` as an encryption root (keyformat=${run.encryptionKey.format})` : ''}.`);
  for (const request of createParentRequests(run.task, run.encryptionKey)) await createDataset(run.destination.host, request, run.call);
}

/**
 * Direct mode, a run with two incremental streams or more (datasets x steps): the source's ssh connection to the
 * destination, opened once while the run prepares, serves them all (each would otherwise pay a key exchange and
 * login: 2.4-2.8 s in the emulated test NAS). Full sends and resumes, the bulk of the bytes, connect on their own:
 * through the shared connection every byte takes one more hop (client -> master), which cost a 64 MiB full send
 * a quarter of its throughput on the VMs (bench: direct/raw 0.74 instead of 0.96).
 */
function openSharedConnection(run: PreparedRun): void {
  const { task } = run;
  if (task.transport.kind !== 'direct') return;
  const incrementals = run.plan.datasets.flatMap((w) => (w.report.plan.status === 'ready' ? w.report.plan.steps.filter((step) => step.kind === 'incremental').map((step) => ({ w, step })) : []));
  const relayed = incrementals.filter(({ w, step }) => relaysSmallIncrement(task, step, w.sourceDataset)).length;
  if (relayed > 0) {
    run.log('info', `${relayed} of ${incrementals.length} incremental stream(s) are ${formatBytes(smallIncrementBytes)} or less: they go through this computer, which costs less than a NAS-to-NAS connection; the rest goes direct.`);
  }
  if (incrementals.length - relayed < 2) return;
  const { destinationHost: host, destinationPort: port, destinationUser: user } = task.transport;
  run.shared.connection = openDirectConnection(run.source.host.runner, { host, port, user }, run.options.signal);
}
