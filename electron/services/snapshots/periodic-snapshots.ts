import { namingSchema } from '../../../shared/naming-schema.ts';
import { AppFailure } from '../../../shared/result.ts';
import { zoneClock } from '../../../shared/time-zone.ts';
import { decideRetention, describeReason, periodicRetentionRequest, prunedNames, replicationNeedsOf, type RetentionDecision, type RetentionRequestData } from '../../../shared/retention.ts';
import { assertRunnableSnapshotTask, type PeriodicSnapshotTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { assertZfsName } from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { listDatasets } from '../zfs/datasets.ts';
import { buildDestroyArgv, parseDestroyOutput } from '../zfs/destroy.ts';
import { buildDestructionPlan, executeOperations, listInventory, type OperationSpec } from '../zfs/destruction.ts';
import { listHolds } from '../zfs/holds.ts';
import { buildCreateSnapshotsArgv } from '../zfs/operations.ts';
import { listSnapshots } from '../zfs/snapshots.ts';
import type { CallOptions, ZfsHost } from '../zfs/zfs-host.ts';

// Periodic snapshot tasks: take `<dataset>@<schema.format(now)>` (one atomic command for the whole tree) and
// prune by the task's retention policy (shared/retention.ts decides, the same function the review screen calls).
// Pruning never proposes a held snapshot, a replication task's common base (the engine holds it with a tag naming
// the task) or a snapshot a replication task has not sent yet. Every function has a dry run that changes nothing.

export interface TakeSnapshotsResult {
  /** Full names of the snapshots taken (or, dry run, that would be). */
  snapshots: string[];
  command: string;
  dryRun: boolean;
}

function isExcluded(name: string, excludes: readonly string[]): boolean {
  return excludes.some((excluded) => name === excluded || name.startsWith(`${excluded}/`));
}

/** The datasets the task covers: the tree (minus excluded subtrees) when recursive, else the dataset alone. */
async function coveredDatasets(task: PeriodicSnapshotTask, host: ZfsHost, call: CallOptions): Promise<string[]> {
  if (!task.recursive) return [task.dataset];
  const found = await listDatasets(host, { root: task.dataset }, call);
  return found.map((d) => d.name).filter((name) => !isExcluded(name, task.exclude));
}

export async function takeSnapshots(task: PeriodicSnapshotTask, host: ZfsHost, now: Date, options: { dryRun?: boolean } & CallOptions = {}): Promise<TakeSnapshotsResult> {
  task = assertRunnableSnapshotTask(task); // the whole task, before any command
  const { dryRun, ...call } = options;
  const dataset = assertZfsName('dataset', task.dataset);
  for (const excluded of task.exclude) {
    if (!excluded.startsWith(`${dataset}/`)) {
      throw new AppFailure('INVALID_REQUEST', `Excluded dataset ${excluded} is not below ${dataset}.`, `Exclude children of ${dataset} only, e.g. ${dataset}/scratch.`);
    }
  }
  if (isExcluded(dataset, task.exclude)) throw new AppFailure('INVALID_REQUEST', `${dataset} excludes itself.`, 'Remove it from the excluded datasets.');
  const name = namingSchema(task.namingSchema, task.timeZone).format(now);
  // -r is one atomic snapshot of the tree; with exclusions, the included datasets are named in ONE command,
  // which ZFS also takes in a single transaction group (the same point in time for all).
  const snapshots = task.recursive && task.exclude.length > 0 ? (await coveredDatasets(task, host, call)).map((d) => `${d}@${name}`) : [`${dataset}@${name}`];
  const argv = buildCreateSnapshotsArgv(host.capabilities.tools, { snapshots, recursive: task.recursive && task.exclude.length === 0 });
  if (!dryRun) {
    const { exitCode, stderr } = await host.runner.run(argv, { ...call, expectedExitCodes: [0, 1] });
    if (exitCode !== 0) {
      if (/dataset already exists/.test(stderr)) {
        // In the hour a fall-back repeats, the wall clock gives this hour's names a second time.
        const clock = zoneClock(task.timeZone ?? 'UTC');
        const repeated = clock.offset(now.getTime()) < clock.offset(now.getTime() - 3_600_000);
        const hint = repeated
          ? `The clock went back an hour (daylight saving ended in ${clock.zone}), so this hour's names were taken already; runs after the repeated hour work again. A schedule that avoids that hour, or the UTC zone, never meets it.`
          : 'The naming schema gives one name per minute: run the task at most once a minute, or add %S to the schema.';
        throw new AppFailure('DATASET_EXISTS', `A snapshot named ${name} already exists on ${dataset}${task.recursive ? ' or below' : ''}.`, hint);
      }
      throw failureFromStderr({ label: host.runner.label, command: buildCommandLine(argv), exitCode, stderr });
    }
  }
  const taken = task.recursive && task.exclude.length === 0 ? (await coveredDatasets({ ...task, exclude: [] }, host, call)).map((d) => `${d}@${name}`) : snapshots;
  return { snapshots: taken, command: buildCommandLine(argv), dryRun: dryRun ?? false };
}

export interface DatasetRetention {
  dataset: string;
  /** What was decided on: the review decides it again with a policy being edited (shared decideRetention). */
  request: RetentionRequestData;
  decisions: RetentionDecision[];
  /** Short names to prune (the "prune" decisions). */
  prune: string[];
}

export interface SourceRetentionPlan {
  taskId: string;
  now: string;
  datasets: DatasetRetention[];
}

export interface SourceRetentionOptions {
  /**
   * The replication tasks of the store: those that send a covered dataset keep what they have not sent yet.
   * Absent: every task whose hold tag is on one of the dataset's snapshots counts, selecting everything.
   */
  replicationTasks?: readonly ReplicationTask[];
}

/**
 * What the task's policy keeps and prunes on each covered dataset, with the reason of each fate. Held snapshots are
 * kept, and a snapshot held by a replication task is shown as that task's common base; so is the newest snapshot of
 * the schema and anything not named by it.
 */
export async function planSourceRetention(task: PeriodicSnapshotTask, host: ZfsHost, now: Date, call: CallOptions = {}, options: SourceRetentionOptions = {}): Promise<SourceRetentionPlan> {
  const covered = new Set(await coveredDatasets(task, host, call));
  const snapshots = await listSnapshots(host, task.dataset, { recursive: task.recursive, types: ['snapshot'] }, call);
  const held = snapshots.filter((s) => covered.has(s.dataset) && (s.userRefs ?? 0) > 0).map((s) => s.name);
  const tags = new Map<string, string[]>();
  // One `zfs holds` for the held ones only: their tags say which replication task a hold belongs to.
  for (const hold of held.length > 0 ? await listHolds(host, held, {}, call) : []) tags.set(hold.snapshot, [...(tags.get(hold.snapshot) ?? []), hold.tag]);
  const byDataset = new Map<string, Array<{ name: string; holds: number; holdTags?: string[]; usedBytes: number | null }>>([...covered].map((d) => [d, []]));
  for (const s of snapshots) {
    const holdTags = tags.get(s.name);
    byDataset.get(s.dataset)?.push({ name: s.shortName, holds: s.userRefs ?? 0, usedBytes: s.usedBytes, ...(holdTags ? { holdTags } : {}) });
  }
  const datasets = [...byDataset].map(([dataset, list]): DatasetRetention => {
    // 'same-as-source' means nothing for the source itself: nothing is pruned then.
    const replications = options.replicationTasks ? replicationNeedsOf(options.replicationTasks, task.connectionId, dataset) : undefined;
    const request = periodicRetentionRequest(task, list, now.getTime(), replications);
    const decisions = decideRetention(request);
    return { dataset, request, decisions, prune: prunedNames(decisions) };
  });
  return { taskId: task.id, now: now.toISOString(), datasets };
}

export interface PruneResult {
  plan: SourceRetentionPlan;
  dryRun: boolean;
  /** Full names destroyed (or, dry run, that would be, as `zfs destroy -n` lists them). */
  destroyed: string[];
  reclaimBytes: number;
  commands: string[];
}

/**
 * Prunes by the plan: one atomic `zfs destroy ds@a,b,...` per dataset, through the guarded path (a destruction plan
 * of exactly those snapshots, with their GUIDs, listed again right before the destroy; a snapshot replaced or gone
 * since is left alone). A dry run asks zfs (-n) what would go and the space it would free.
 */
export async function pruneSnapshots(task: PeriodicSnapshotTask, host: ZfsHost, now: Date, options: { dryRun?: boolean } & CallOptions & SourceRetentionOptions = {}): Promise<PruneResult> {
  task = assertRunnableSnapshotTask(task); // the whole task, before any command
  const { dryRun, replicationTasks, ...call } = options;
  const plan = await planSourceRetention(task, host, now, call, replicationTasks ? { replicationTasks } : {});
  const result: PruneResult = { plan, dryRun: dryRun ?? false, destroyed: [], reclaimBytes: 0, commands: [] };
  const specs = plan.datasets
    .filter((d) => d.prune.length > 0)
    .map((d): OperationSpec => ({ kind: 'destroy-snapshots', dataset: assertZfsName('dataset', d.dataset), snapshots: d.prune }));
  if (specs.length === 0) return result;
  if (dryRun) {
    for (const spec of specs) {
      if (spec.kind !== 'destroy-snapshots') continue;
      const argv = buildDestroyArgv(host.capabilities.tools, `${spec.dataset}@${spec.snapshots.join(',')}`, { dryRun: true });
      result.commands.push(buildCommandLine(argv));
      const listing = parseDestroyOutput((await host.runner.run(argv, call)).stdout);
      result.destroyed.push(...listing.destroys);
      result.reclaimBytes += listing.reclaimBytes ?? 0;
    }
    return result;
  }
  const scope = { purpose: 'prune' as const, taskId: task.id, connectionId: task.connectionId, host: host.runner.label };
  // Each item says why it goes, as the review said it (e.g. "expired on 2026-11-20 10:00").
  const why = new Map<string, string>();
  for (const d of plan.datasets) for (const x of d.decisions) if (x.fate === 'prune') why.set(`${d.dataset}@${x.name}`, describeReason(x.reason, { timeZone: task.timeZone ?? 'UTC' }));
  const destruction = buildDestructionPlan(scope, host.capabilities.tools, specs, await listInventory(host, specs, call), { note: (item) => why.get(item.name) ?? null });
  // A hold placed since the listing makes zfs refuse that dataset's command: nothing of it goes then.
  const outcome = await executeOperations(host, destruction, destruction.operations, { call, onChange: 'skip-changed' });
  result.commands.push(...outcome.commands);
  result.destroyed.push(...outcome.destroyed);
  result.reclaimBytes += outcome.reclaimBytes ?? 0;
  return result;
}
