import type { DatasetStep } from '../../../shared/contract.ts';
import type { DestructionPlan, ReplicationPlan, RunRefusal, RunReport } from '../../../shared/replication-reports.ts';
import { AppFailure, stderrOf } from '../../../shared/result.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import { changeWords, executeOperations, itemWords } from '../zfs/destruction.ts';
import { holdBatches } from '../zfs/hold-batches.ts';
import { settleHoldBatches } from '../zfs/operations.ts';
import { listForReplication, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildAbortReceiveArgv } from '../zfs/send-receive.ts';
import { assertEncryptedReplica, type DestinationKey } from './destination-encryption.ts';
import { snapshotsIn, type DatasetStreams } from './dataset-streams.ts';
import type { Call, EngineEvent, EngineNas, EngineRunOptions } from './engine-types.ts';
import { holdTagOf } from './hold-tags.ts';
import { planReplication } from './replication-planner.ts';
import { transferStream, type DirectConnection, type TransferSide } from './stream-transfer.ts';
import { destinationStateOf, planOptionsOf, sourceStateOf, unresumablePattern, type PlannedDataset, type TaskPlan } from './task-plan.ts';
import { relaysSmallIncrement } from './transport-choice.ts';

// One dataset of a run, in order: abort an interrupted receive that cannot be resumed, prune what the destination
// lifetime expired, carry out the confirmed rollback or destroy, send the plan's streams (finishing an interrupted
// one first, then planning again), and move the task's holds to the new common snapshot pair.

/** One run of a task: its NAS, its options, its report and where its log and events go. */
export interface EngineRun {
  task: ReplicationTask;
  source: EngineNas;
  destination: EngineNas;
  options: EngineRunOptions;
  call: Call;
  report: RunReport;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  emit(event: EngineEvent): void;
  now(): Date;
}

/** A run once everything is planned and allowed: what each dataset's steps need. */
export interface PreparedRun extends EngineRun {
  plan: TaskPlan;
  /** The confirmed divergence plan, if any. */
  refusal: RunRefusal | null;
  prunePlan: DestructionPlan | null;
  encryptionKey: DestinationKey | null;
  streams: DatasetStreams;
  /** Tools found on the source (a direct transfer meters with pv or mbuffer when present). */
  sourceHas: ReadonlySet<string>;
  /** Direct mode: the NAS-to-NAS connection the incremental streams share, when opened. */
  shared: { connection: Promise<DirectConnection> | null; reported: boolean };
  /** The task's holds to take and release, gathered dataset by dataset and settled together (settleHoldMoves). */
  holds: HoldMoves;
}

/** Snapshots to hold and to release with the task's tag, per side. */
export interface HoldMoves {
  hold: { source: Set<string>; destination: Set<string> };
  release: { source: Set<string>; destination: Set<string> };
  /** Destination datasets this run sent into: one whose later step failed may hold a new snapshot unnamed here. */
  sentInto: Set<string>;
}

export const noHoldMoves = (): HoldMoves => ({ hold: { source: new Set(), destination: new Set() }, release: { source: new Set(), destination: new Set() }, sentInto: new Set() });

/** Tells the run's subscribers where one dataset is (runStep events): the dashboard's per-dataset rows. */
export function emitStep(run: Pick<PreparedRun, 'emit'>, w: PlannedDataset, step: DatasetStep, detail: string | null = null): void {
  run.emit({ kind: 'step', dataset: w.report.source, destination: w.report.destination, step, detail });
}

export async function replicateDataset(run: PreparedRun, w: PlannedDataset): Promise<void> {
  await abortUnresumable(run, w);
  await pruneExpired(run, w);
  const plan = w.report.plan;
  if (plan.status !== 'ready') {
    if (plan.status === 'up-to-date') healHolds(run, w, plan.base);
    run.log('info', `${w.report.source} -> ${w.report.destination}: ${plan.status === 'up-to-date' ? 'up to date' : plan.status === 'nothing-to-send' ? plan.reason : plan.status}.`);
    emitStep(run, w, 'skipped', planSummary(plan));
    return;
  }
  // A replica destroyed with the one above it is sent again in full: its old base's hold on the source goes too.
  const startBase = plan.base ?? w.supersededBase ?? null;
  await resolveDivergence(run, w);
  emitStep(run, w, 'sending', planSummary(w.report.plan));
  run.holds.sentInto.add(w.report.destination);
  try {
    await sendSteps(run, w);
  } finally {
    // What crossed counts in the run's record even when a stream broke: it went over the network, and a resumable
    // receive kept it for the next run (a stopped run said "0 B" in the history after sending megabytes).
    run.report.bytesSent += w.report.bytesSent;
  }
  run.report.snapshotsSent += w.report.snapshotsSent;
  moveHolds(run, w, startBase);
  emitStep(run, w, 'done', `${w.report.snapshotsSent} snapshot(s), ${w.report.bytesSent} bytes`);
}

/** A plan in a few words, for a dataset's step: "full @s1", "incremental @a -> @b (3 streams)", "up to date". */
export function planSummary(plan: ReplicationPlan): string {
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

async function abortUnresumable(run: PreparedRun, w: PlannedDataset): Promise<void> {
  if (!w.report.abortedResume) return;
  run.log('warn', `The interrupted receive into ${w.report.destination} cannot be resumed (${w.report.abortedResume}); aborting it (zfs receive -A) and starting from the last common snapshot.`);
  await run.destination.host.runner.run(buildAbortReceiveArgv(run.destination.host.capabilities.tools, w.report.destination), run.call);
}

/** The lifetime's prune: checked against the destination first; a snapshot replaced or gone since is left alone. */
async function pruneExpired(run: PreparedRun, w: PlannedDataset): Promise<void> {
  const prune = w.report.destruction.find((op) => op.kind === 'destroy-snapshots');
  if (!prune || !run.prunePlan) return;
  emitStep(run, w, 'pruning', `${w.report.prune.length} expired snapshot(s)`);
  run.log('info', `Pruning ${w.report.prune.length} expired snapshot(s) of ${w.report.destination}: ${w.report.prune.join(', ')}.`);
  const outcome = await executeOperations(run.destination.host, run.prunePlan, [prune], { call: run.call, onChange: 'skip-changed' });
  if (outcome.skipped.length > 0) run.log('warn', `Left alone (changed since the plan): ${outcome.skipped.map(changeWords).join('; ')}.`);
  run.log('info', `Destroyed on ${run.destination.label}: ${outcome.destroyed.join(', ') || 'nothing'}.`);
}

/**
 * The confirmed rollback or destroy: listed again first, and anything new or different refuses the run (the
 * engine then reports what is there now). Our own holds would block it; anyone else's still do. After a rollback
 * the incremental applies; after a destroy the full send creates the replica again.
 */
async function resolveDivergence(run: PreparedRun, w: PlannedDataset): Promise<void> {
  const resolution = w.report.destruction.find((op) => op.kind !== 'destroy-snapshots');
  if (w.report.plan.status !== 'ready' || !w.report.plan.destructive || !resolution || !run.refusal) return;
  emitStep(run, w, 'destroying', resolution.items.map((i) => i.name).join('; '));
  run.log('warn', `Confirmed: ${resolution.command}; this destroys ${resolution.items.map(itemWords).join('; ')}.`);
  const outcome = await executeOperations(run.destination.host, run.refusal.destruction, [resolution], { call: run.call, releaseTag: holdTagOf(run.task.id) });
  run.log('info', `Destroyed on ${run.destination.label}: ${outcome.destroyed.join(', ')}.`);
}

export const transferSide = (nas: EngineNas): TransferSide => ({ runner: nas.host.runner, tools: nas.host.capabilities.tools, privilege: nas.privilege });

/** The NAS-to-NAS connection the incremental streams share (direct mode), said once per run. */
async function sharedConnection(run: PreparedRun): Promise<DirectConnection | null> {
  const connection = await run.shared.connection;
  if (connection && !run.shared.reported) {
    run.shared.reported = true;
    run.log('info', connection.controlPath ? `${run.source.label} keeps one ssh connection to the destination for this run's incremental streams.` : `Each stream opens its own ssh connection to the destination (${connection.unavailable}).`);
  }
  return connection;
}

/** Progress events, at most four a second, with the rate and (from the estimate) the time left. */
export function progressReporter(run: PreparedRun, w: PlannedDataset) {
  const started = Date.now();
  let lastEmit = 0;
  let sentBefore = 0;
  let inFlight = 0;
  return {
    get sentBefore() {
      return sentBefore;
    },
    /** Bytes of the stream under way (all of them, not only the ones an event reported). */
    get inFlight() {
      return inFlight;
    },
    stepDone(bytes: number) {
      sentBefore += bytes;
      inFlight = 0;
    },
    onBytes(bytes: number) {
      inFlight = bytes;
      const at = Date.now();
      if (at - lastEmit < 250) return;
      lastEmit = at;
      const sent = sentBefore + bytes;
      const total = w.report.estimatedBytes;
      const rate = sent / Math.max(0.001, (at - started) / 1000);
      run.emit({ kind: 'progress', dataset: w.report.source, bytesSent: sent, bytesTotal: total, bytesPerSecond: rate, etaSeconds: total && rate > 0 ? Math.max(0, (total - sent) / rate) : null });
    },
  };
}

/** Plans the dataset again from a fresh listing of its replica (after a resumed or aborted stream). */
export async function replan(run: PreparedRun, w: PlannedDataset, ignoreResumeToken: boolean): Promise<void> {
  const fresh = await listForReplication(run.destination.host, w.report.destination, run.call, { depth: 1 });
  w.report.plan = planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, fresh?.get(w.report.destination) ?? null, { ignoreResumeToken }), planOptionsOf(run.task));
}

/** The plan's streams, one after another. A resumed stream is finished first, then the rest is planned again. */
async function sendSteps(run: PreparedRun, w: PlannedDataset): Promise<void> {
  const { task, source, destination, streams } = run;
  const connection = await sharedConnection(run);
  const progress = progressReporter(run, w);
  for (let index = 0; index < w.report.plan.steps.length; index++) {
    const step = w.report.plan.steps[index]!;
    try {
      const result = await transferStream({
        source: transferSide(source),
        destination: transferSide(destination),
        send: streams.sendSource(w, step),
        sendFlags: streams.sendFlags(w, index),
        receive: streams.receive(w, index),
        transport:
          task.transport.kind === 'relay' || relaysSmallIncrement(task, step, w.sourceDataset)
            ? { kind: 'relay' }
            : {
                kind: 'direct',
                host: task.transport.destinationHost,
                port: task.transport.destinationPort,
                user: task.transport.destinationUser,
                meter: run.sourceHas.has('pv') ? 'pv' : run.sourceHas.has('mbuffer') ? 'mbuffer' : 'none',
                controlPath: step.kind === 'incremental' ? (connection?.controlPath ?? null) : null,
              },
        compression: task.compression,
        bandwidthLimitKiBps: task.bandwidthLimitKiBps,
        ...run.call,
        onBytes: (bytes) => progress.onBytes(bytes),
      });
      progress.stepDone(result.bytes);
      w.report.bytesSent += result.bytes;
      w.report.snapshotsSent += snapshotsIn(step, w.sourceDataset.snapshots);
      if (run.encryptionKey && step.kind === 'full') await assertEncryptedReplica(destination, w.report.destination, run.call);
      run.log('info', `${step.kind === 'full' ? 'Full' : step.kind === 'resume' ? 'Resumed' : 'Incremental'} send ${step.kind === 'incremental' ? `${step.from} -> ${step.to}` : step.kind === 'full' ? step.snapshot : ''} of ${w.report.source}: ${result.bytes} bytes in ${result.seconds.toFixed(1)} s.`);
    } catch (error) {
      if (!(step.kind === 'resume' && isUnresumable(error))) {
        w.report.bytesSent += progress.inFlight;
        throw await explainInterruption(error, destination, w.report.destination, progress.sentBefore);
      }
      // The snapshot went away between planning and sending: drop the partial state, plan again.
      run.log('warn', `The interrupted receive into ${w.report.destination} cannot be resumed (${(error as AppFailure).message}); aborting it and planning again.`);
      await destination.host.runner.run(buildAbortReceiveArgv(destination.host.capabilities.tools, w.report.destination), run.call);
      await replan(run, w, true);
      if (w.report.plan.status !== 'ready') break;
      index = -1;
      continue;
    }
    if (step.kind === 'resume') {
      // Finished the interrupted stream; now plan the rest from a fresh listing.
      await replan(run, w, false);
      if (w.report.plan.status !== 'ready') break;
      index = -1;
    }
  }
}

const isUnresumable = (error: unknown) => error instanceof AppFailure && unresumablePattern.test(`${error.message}\n${stderrOf(error)}`);

/**
 * Hold the new common pair so no prune breaks the chain; release the previous base once the new pair is held.
 * After a resume the plan was made again and may be up to date: its base is then the new common snapshot.
 * The moves are only gathered here: settleHoldMoves makes them for every dataset of the run at once.
 */
export function moveHolds(run: PreparedRun, w: PlannedDataset, startBase: string | null): void {
  const plan = w.report.plan;
  const newest = plan.status === 'ready' ? plan.newest || null : plan.status === 'up-to-date' ? plan.base : null;
  if (!newest || !w.sourceDataset.snapshots.some((s) => s.name === newest)) return;
  emitStep(run, w, 'holding', `@${newest}`);
  run.holds.hold.source.add(`${w.sourceDataset.name}@${newest}`);
  run.holds.hold.destination.add(`${w.report.destination}@${newest}`);
  if (!startBase || startBase === newest) return;
  // A bookmark base has no hold on the source; its destination snapshot had one.
  if (w.sourceDataset.snapshots.some((s) => s.name === startBase)) run.holds.release.source.add(`${w.sourceDataset.name}@${startBase}`);
  run.holds.release.destination.add(`${w.report.destination}@${startBase}`);
}

/**
 * An up-to-date dataset whose common snapshot has no hold on a side (the listing's userrefs is 0): a run stopped
 * between sending and holding. Its holds are made now, and the task's tag is released from the side's other held
 * snapshots (the previous base such a run left held). When every hold is in place, as after any finished run,
 * nothing is done: a no-op cycle moves no hold.
 */
function healHolds(run: PreparedRun, w: PlannedDataset, base: string | null): void {
  if (!base || !w.destinationDataset) return;
  const onSource = w.sourceDataset.snapshots.find((s) => s.name === base);
  const onDestination = w.destinationDataset.snapshots.find((s) => s.name === base);
  if (!onDestination || (onDestination.userRefs > 0 && (!onSource || onSource.userRefs > 0))) return;
  run.log('info', `The common snapshot @${base} of ${w.report.source} -> ${w.report.destination} was not held on both sides (a run stopped before holding it): holding it now.`);
  const heldElsewhere = (snapshots: ListedDataset['snapshots']) => snapshots.filter((s) => s.name !== base && s.userRefs > 0).map((s) => s.name);
  if (onSource?.userRefs === 0) {
    run.holds.hold.source.add(`${w.sourceDataset.name}@${base}`);
    for (const name of heldElsewhere(w.sourceDataset.snapshots)) run.holds.release.source.add(`${w.sourceDataset.name}@${name}`);
  }
  if (onDestination.userRefs === 0) {
    run.holds.hold.destination.add(`${w.report.destination}@${base}`);
    for (const name of heldElsewhere(w.destinationDataset.snapshots)) run.holds.release.destination.add(`${w.report.destination}@${name}`);
  }
}

/**
 * The run's hold moves in at most four commands, whatever the number of datasets: one `zfs hold` per side with
 * every new common snapshot, then - only once both succeeded - one `zfs release` per side with every previous base.
 * A run that fails or is cancelled still holds what it sent: the moves are made without the run's signal. If the
 * holds fail, the previous bases stay held, so a held common pair always exists (the next run heals the rest).
 */
export async function settleHoldMoves(run: PreparedRun): Promise<void> {
  const { hold, release, sentInto } = run.holds;
  run.holds = noHoldMoves();
  const tag = holdTagOf(run.task.id);
  // Where the listings prove it exact, one `-r` per tree instead of one sync task per snapshot (hold-batches.ts).
  const sides = {
    source: { roots: run.task.sources.map((spec) => spec.name), snapshotsOf: snapshotNamesOf(run.plan.sourceListing) },
    destination: { roots: [run.task.destinationParent], snapshotsOf: snapshotNamesOf(run.plan.parentListing), alwaysOutside: sentInto },
  };
  // Not under the run's signal: a stopped run still holds what it sent (its next run starts from there).
  const settle = (side: 'source' | 'destination', verb: 'hold' | 'release', snapshots: Set<string>) =>
    settleHoldBatches(run[side].host, verb, tag, holdBatches([...snapshots], sides[side]));
  await Promise.all([settle('source', 'hold', hold.source), settle('destination', 'hold', hold.destination)]);
  await Promise.all([settle('source', 'release', release.source), settle('destination', 'release', release.destination)]);
}

const snapshotNamesOf = (listing: ReadonlyMap<string, ListedDataset> | null) => new Map([...(listing ?? [])].map(([name, d]) => [name, new Set(d.snapshots.map((s) => s.name))]));

/** How long the check of what an interrupted transfer left behind may take. */
const interruptionCheckMs = 20_000;

/** A failed transfer that left a resumable receive says so: the next run continues it instead of starting over. */
export async function explainInterruption(error: unknown, destination: EngineNas, target: string, bytesBefore: number): Promise<unknown> {
  if (!(error instanceof AppFailure)) return error;
  // The destination's own connection just died (its network down, the NAS rebooting): asking it again would only
  // wait out the reconnects (minutes on a dead link); the error's hint already says the next run resumes.
  if (error.code === 'HOST_UNREACHABLE' && error.message.includes(destination.host.runner.label)) return error;
  try {
    // Not under the run's signal (a cancelled run still reports what it left behind), but bounded: a destination
    // that does not answer soon is not waited for.
    const fresh = await listForReplication(destination.host, target, { signal: AbortSignal.timeout(interruptionCheckMs) }, { depth: 1 });
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
