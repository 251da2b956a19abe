import { AppFailure, toAppError } from '../../../shared/result.ts';
import { snapshotsIn } from './dataset-streams.ts';
import { emitStep, explainInterruption, moveHolds, planSummary, progressReporter, replan, transferSide, type PreparedRun } from './dataset-run.ts';
import { transferStreams } from './stream-transfer.ts';
import type { PlannedDataset } from './task-plan.ts';
import { relaysSmallIncrement } from './transport-choice.ts';

// The cron cycle: every dataset of a tree has one new snapshot, so each one's plan is a single incremental stream.
// Those streams go through one source shell and one destination shell together (transferStreams) instead of a
// channel pair each. Only the plain case is batched: one incremental step, nothing to abort, prune, roll back or
// destroy first, through this computer (a relay task, or a direct task's small increment). Everything else, and
// whatever follows a stream that failed in a batch, runs dataset by dataset as before.

/** Does this dataset's whole plan fit in a batch? */
export function batchable(run: Pick<PreparedRun, 'task'>, w: PlannedDataset): boolean {
  const plan = w.report.plan;
  if (plan.status !== 'ready' || plan.destructive || plan.steps.length !== 1) return false;
  const step = plan.steps[0]!;
  if (step.kind !== 'incremental' || w.report.abortedResume || w.report.destruction.length > 0) return false;
  return run.task.transport.kind === 'relay' || relaysSmallIncrement(run.task, step, w.sourceDataset);
}

/** The datasets in their order, consecutive batchable ones grouped; every other dataset alone. */
export function sendGroups(run: Pick<PreparedRun, 'task'>, datasets: readonly PlannedDataset[]): PlannedDataset[][] {
  const groups: PlannedDataset[][] = [];
  let batch: PlannedDataset[] = [];
  const flush = () => {
    if (batch.length > 0) groups.push(batch);
    batch = [];
  };
  for (const w of datasets) {
    if (batchable(run, w)) {
      batch.push(w);
      continue;
    }
    flush();
    groups.push([w]);
  }
  flush();
  return groups;
}

/**
 * Sends a batch; returns the datasets still to replicate one by one: none when every stream arrived, else the one
 * whose stream failed (planned again from a fresh listing of its replica: a cut stream left a resumable receive)
 * and those after it. A cancelled run, or a destination that cannot be reached, stops the run as a single stream would.
 */
export async function replicateBatch(run: PreparedRun, batch: readonly PlannedDataset[]): Promise<PlannedDataset[]> {
  const streams = batch.map((w) => {
    const plan = w.report.plan;
    if (plan.status !== 'ready' || plan.steps[0]?.kind !== 'incremental') throw new AppFailure('INTERNAL', `${w.report.source}: not a single incremental stream.`);
    return { w, step: plan.steps[0], base: plan.base };
  });
  let current = 0;
  let received = 0;
  // Bytes are told to a dataset up to its send's end as the source reports it (within a pipe buffer of the truth);
  // the run's total is exact.
  let countedBefore = 0;
  let progress = progressReporter(run, batch[0]!);
  const sending = (index: number) => emitStep(run, batch[index]!, 'sending', planSummary(batch[index]!.report.plan));
  for (const { w } of streams) run.holds.sentInto.add(w.report.destination);
  run.log('info', `${batch.length} incremental streams go through one channel per side, one after another.`);
  sending(0);
  let lastAt = Date.now();
  try {
    await transferStreams({
      source: transferSide(run.source),
      destination: transferSide(run.destination),
      streams: streams.map(({ w, step }) => ({ send: run.streams.sendSource(w, step), sendFlags: run.streams.sendFlags(w, 0), receive: run.streams.receive(w, 0) })),
      compression: run.task.compression,
      bandwidthLimitKiBps: run.task.bandwidthLimitKiBps,
      ...run.call,
      onBytes: (bytes) => progress.onBytes(bytes - countedBefore),
      onSent: (index, bytes) => {
        const { w } = streams[index]!;
        w.report.bytesSent += bytes - countedBefore;
        run.report.bytesSent += bytes - countedBefore;
        countedBefore = bytes;
        if (index + 1 === batch.length) return;
        current = index + 1;
        progress = progressReporter(run, batch[current]!);
        sending(current);
      },
      onReceived: (index) => {
        const { w, step, base } = streams[index]!;
        received = index + 1;
        w.report.snapshotsSent += snapshotsIn(step, w.sourceDataset.snapshots);
        run.report.snapshotsSent += snapshotsIn(step, w.sourceDataset.snapshots);
        const at = Date.now();
        run.log('info', `Incremental send ${step.from} -> ${step.to} of ${w.report.source}: ${w.report.bytesSent} bytes in ${((at - lastAt) / 1000).toFixed(1)} s (batched).`);
        lastAt = at;
        moveHolds(run, w, base);
        emitStep(run, w, 'done', `${w.report.snapshotsSent} snapshot(s), ${w.report.bytesSent} bytes`);
      },
    });
    // Both shells ended well, so every receive did: a marker missing would be our script's fault, never guessed past.
    if (received !== batch.length) throw new AppFailure('INTERNAL', `${run.destination.label} confirmed ${received} of ${batch.length} batched streams.`);
    return [];
  } catch (error) {
    const failed = streams[received]?.w;
    if (!failed) throw error;
    // Bytes that crossed for a stream that did not arrive count in the run's record, as a single stream's do.
    const inFlight = progress.inFlight;
    if (inFlight > 0) {
      streams[current]!.w.report.bytesSent += inFlight;
      run.report.bytesSent += inFlight;
    }
    const reachable = !(error instanceof AppFailure && error.code === 'HOST_UNREACHABLE');
    if (run.options.signal?.aborted || !reachable) throw await explainInterruption(error, run.destination, failed.report.destination, 0);
    run.log('warn', `The batched streams stopped at ${failed.report.source} (${toAppError(error).message}): it and the ${batch.length - received - 1} after it go one by one.`);
    await replan(run, failed, false);
    return batch.slice(received);
  }
}
