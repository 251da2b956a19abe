import { namingSchema } from '../../../shared/naming-schema.ts';
import type { DatasetReport, DestructionItem, DestructionPlan, DestructiveOperation, Refusal, RunRefusal } from '../../../shared/replication-reports.ts';
import { AppFailure } from '../../../shared/result.ts';
import { compileSelectionRegex } from '../../../shared/selection-regex.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { buildDestructionPlan, planWords, type OperationSpec } from '../zfs/destruction.ts';
import { listForReplication, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildSendEstimateArgv } from '../zfs/send-receive.ts';
import type { Call, EngineNas } from './engine-types.ts';
import { planReplication, type DestinationState, type PlanOptions } from './replication-planner.ts';

// Planning a task, read-only: one listing per side, every dataset planned (replication-planner.ts), and the
// refusals of diverged datasets gathered into ONE destruction plan - exactly what resolving them destroys on the
// destination, descendants included, confirmed by one digest bound to the task.

export interface PlannedDataset {
  report: DatasetReport;
  sourceDataset: ListedDataset;
  destinationDataset: ListedDataset | null;
  /** A replica destroyed with the one above it had this common base: its hold on the source goes once it is sent again. */
  supersededBase?: string | null;
}

export interface TaskPlan {
  /** The destination parent's tree (null when the parent does not exist yet). */
  parentListing: Map<string, ListedDataset> | null;
  /** Each source root's tree, as listed (excluded children too): where a recursive hold is exact. */
  sourceListing: Map<string, ListedDataset>;
  parentExists: boolean;
  datasets: PlannedDataset[];
  /** The refused datasets, and the one destruction plan that resolves them all; null when nothing diverged. */
  refusal: RunRefusal | null;
}

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

/** What `zfs send -t` says when the snapshot (or incremental source) an interrupted stream came from is gone. */
export const unresumablePattern = /no longer exists|no longer the same snapshot|resume token is corrupt/;

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

export const sourceStateOf = (listed: ListedDataset) => ({ dataset: listed.name, snapshots: listed.snapshots, bookmarks: listed.bookmarks });

/** Both sides at once: every command costs a round trip and a process start on the NAS. */
async function listBothSides(task: ReplicationTask, source: EngineNas, destination: EngineNas, call: Call) {
  const [parentListing, sourceListings] = await Promise.all([
    listForReplication(destination.host, task.destinationParent, call),
    Promise.all(task.sources.map((spec) => listForReplication(source.host, spec.name, call))),
  ]);
  if (parentListing?.get(task.destinationParent)?.type === 'volume') {
    throw new AppFailure('INVALID_REQUEST', `${task.destinationParent} on ${destination.label} is a volume (zvol); a volume cannot hold datasets.`, 'Pick a filesystem dataset as the destination parent.');
  }
  return { parentListing, sourceListings };
}

/**
 * An interrupted receive is resumable only while the snapshot it came from exists (`zfs send -n -t`): otherwise
 * why not, and the plan starts over from the last common snapshot.
 */
async function unresumableReason(source: EngineNas, token: string | null, call: Call): Promise<string | null> {
  if (!token) return null;
  const argv = buildSendEstimateArgv(source.host.capabilities.tools, { kind: 'resume', token });
  // zfs exits 255 for "cannot resume send" (measured on OpenZFS 2.3), 1 for most other errors.
  const { exitCode, stderr } = await source.host.runner.run(argv, { ...call, expectedExitCodes: [0, 1, 255], timeoutMs: 120_000 });
  if (exitCode === 0) return null;
  if (!unresumablePattern.test(stderr)) throw failureFromStderr({ label: source.label, command: buildCommandLine(argv), exitCode, stderr });
  return stderr.trim().split('\n').filter(Boolean).at(-1) ?? 'the snapshot it came from is gone';
}

/**
 * Lists both sides and plans every dataset of the task (no change anywhere). Resume tokens whose source snapshot
 * is gone are found here, so the plan already starts over from the last common snapshot. `asConfirmed`: the
 * datasets are shown as they will run once the destruction plan is confirmed (repair's view).
 */
export async function planTask(task: ReplicationTask, source: EngineNas, destination: EngineNas, call: Call = {}, options: { asConfirmed?: boolean } = {}): Promise<TaskPlan> {
  const planOptions = planOptionsOf(task);
  const { parentListing, sourceListings } = await listBothSides(task, source, destination, call);
  const datasets: PlannedDataset[] = [];
  for (const [specIndex, spec] of task.sources.entries()) {
    const listing = sourceListings[specIndex];
    if (!listing) throw new AppFailure('DATASET_NOT_FOUND', `Source dataset ${spec.name} does not exist on ${source.label}.`, "Check the task's source datasets.");
    const chosen = [...listing.values()].filter((d) => (spec.recursive ? !isExcluded(d.name, spec.exclude) : d.name === spec.name));
    for (const sourceDataset of chosen) {
      const destinationName = destinationNameOf(task.destinationParent, spec.name, sourceDataset.name);
      const destinationDataset = parentListing?.get(destinationName) ?? null;
      const abortedResume = await unresumableReason(source, destinationDataset?.receiveResumeToken ?? null, call);
      const destinationState = destinationStateOf(destinationName, destinationDataset, { ignoreResumeToken: abortedResume !== null });
      const plan = planReplication(sourceStateOf(sourceDataset), destinationState, planOptions);
      datasets.push({
        sourceDataset,
        destinationDataset,
        report: { source: sourceDataset.name, destination: destinationName, plan, prune: [], destruction: [], abortedResume, estimatedBytes: null, bytesSent: 0, snapshotsSent: 0, commands: [] },
      });
    }
  }
  const refusal = refusalOf(task, destination, parentListing, datasets);
  if (refusal && options.asConfirmed) confirmDestruction(task, datasets, refusal);
  const sourceListing = new Map(sourceListings.flatMap((listing) => [...(listing ?? [])]));
  return { parentListing, sourceListing, parentExists: parentListing?.has(task.destinationParent) ?? false, datasets, refusal };
}

const refusalPlanOf = (w: PlannedDataset): Refusal | null => (w.report.plan.status === 'refused' ? w.report.plan.refusal : null);

/**
 * The refusals of a task plan as ONE destruction plan (purpose "divergence"): for each refused dataset the command
 * that resolves it and exactly what that destroys on the destination, descendants included (a `destroy -r` of a
 * replica takes every dataset below it, replicas of this task or not), confirmed by one digest bound to the task.
 * Each refused dataset's report carries its own operation (`destruction`).
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
  for (const w of refused) {
    const resolution = resolutionOf(destruction, w);
    w.report.destruction = resolution ? [resolution] : [];
  }
  return {
    divergence: refused.map((w) => ({ dataset: w.report.destination, ...refusalPlanOf(w)! })),
    destruction,
    wouldLose: planWords(destruction),
    confirmation: destruction.digest,
    changes: [],
  };
}

/** The operation of a divergence plan that resolves this dataset, if any (none for one that goes with its parent). */
function resolutionOf(destruction: DestructionPlan, w: PlannedDataset): DestructiveOperation | undefined {
  return destruction.operations.find((op) => (op.kind === 'rollback' ? op.to.slice(0, op.to.indexOf('@')) : op.kind === 'destroy-dataset' ? op.dataset : null) === w.report.destination);
}

/** Confirmed: the refused datasets are planned again with their destruction; those below a destroyed replica go with it. */
export function confirmDestruction(task: ReplicationTask, work: PlannedDataset[], refusal: RunRefusal): void {
  const planOptions = { ...planOptionsOf(task), destructionConfirmed: true };
  const destroyed = refusal.destruction.operations.flatMap((op) => (op.kind === 'destroy-dataset' ? [op.dataset] : []));
  for (const w of work) {
    if (destroyed.some((d) => w.report.destination.startsWith(`${d}/`))) {
      // Sent again in full after the dataset above it is destroyed.
      w.supersededBase = w.report.plan.status === 'refused' ? null : w.report.plan.base;
      w.destinationDataset = null;
      w.report.abortedResume = null;
      w.report.plan = planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, null), planOptions);
    } else if (w.report.plan.status === 'refused') {
      w.report.plan = planReplication(sourceStateOf(w.sourceDataset), destinationStateOf(w.report.destination, w.destinationDataset, { ignoreResumeToken: w.report.abortedResume !== null }), planOptions);
    }
  }
}
