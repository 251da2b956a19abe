import type { ReplicationReview } from '../../../shared/contract.ts';
import type { ReplicationPlan } from '../../../shared/replication-reports.ts';
import { decideRetention, describePolicy, replicaRetentionRequest, type RetentionDecision, type RetentionRequestData } from '../../../shared/retention.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';
import { planSourceRetention, type SourceRetentionPlan } from '../snapshots/periodic-snapshots.ts';
import type { ListedDataset } from '../zfs/replication-listing.ts';
import { listSnapshots } from '../zfs/snapshots.ts';
import { callOf, type Call, type EngineDeps } from './engine-types.ts';
import { planTask } from './task-plan.ts';

// A replication task's retention review: for each dataset it sends, the source's and the destination's snapshots on
// one time axis, each with its fate and reason, what the next run sends and what it prunes on the destination first.
// Read-only: the same planTask a run makes (one listing per side), the destination's decisions by the same
// decideRetention request the run's prune makes (replicaRetentionRequest), and the source's by the periodic snapshot
// task that prunes it, if one does (its own review, guards for this task included).

type ReviewedDataset = ReplicationReview['datasets'][number];

export interface ReplicationReviewOptions extends Call {
  /** The store's periodic snapshot tasks: the one covering a source dataset decides its fates. */
  snapshotTasks?: readonly PeriodicSnapshotTask[];
  /** The store's replication tasks: their not-yet-sent snapshots are guarded on the source too. */
  replicationTasks?: readonly ReplicationTask[];
}

export async function reviewReplicationTask(task: ReplicationTask, deps: EngineDeps, options: ReplicationReviewOptions = {}): Promise<ReplicationReview> {
  const now = (deps.now ?? (() => new Date()))();
  const call = callOf(options.signal);
  const source = await deps.nas(task.sourceConnectionId);
  const destination = await deps.nas(task.destinationConnectionId);
  const plan = await planTask(task, source, destination, call);
  // Creation times (the replication listing has none): for snapshots whose name gives no time.
  const created = new Map<string, number>();
  for (const spec of task.sources) {
    for (const s of await listSnapshots(source.host, spec.name, { recursive: spec.recursive, types: ['snapshot'] }, call)) created.set(`source:${s.name}`, s.creation * 1000);
  }
  if (plan.parentExists) {
    for (const s of await listSnapshots(destination.host, task.destinationParent, { recursive: true, types: ['snapshot'] }, call)) created.set(`destination:${s.name}`, s.creation * 1000);
  }
  const sourceReviews = new Map<string, Promise<SourceRetentionPlan>>();
  const periodicReview = (periodic: PeriodicSnapshotTask) => {
    let review = sourceReviews.get(periodic.id);
    if (!review) {
      review = planSourceRetention(periodic, source.host, now, call, options.replicationTasks ? { replicationTasks: options.replicationTasks } : {});
      sourceReviews.set(periodic.id, review);
    }
    return review;
  };
  const timeZone = task.selection.kind === 'naming-schema' ? (task.selection.timeZone ?? 'UTC') : 'UTC';
  const datasets: ReviewedDataset[] = [];
  for (const w of plan.datasets) {
    const { sourceDataset, destinationDataset } = w;
    const base = baseOf(w.report.plan);
    const sends = sentNames(sourceDataset, w.report.plan);
    const sourceTime = (name: string) => created.get(`source:${sourceDataset.name}@${name}`) ?? null;
    const destinationTime = (name: string) => created.get(`destination:${w.report.destination}@${name}`) ?? null;

    // The source: as the periodic snapshot task that covers it prunes it, else nothing prunes it.
    const periodic = (options.snapshotTasks ?? []).filter((t) => t.connectionId === task.sourceConnectionId && covers(t, sourceDataset.name));
    let sourceDecisions: RetentionDecision[] | null = null;
    let sourcePrunedBy = `No periodic snapshot task prunes ${sourceDataset.name}: every snapshot stays.`;
    for (const t of periodic) {
      const decided = (await periodicReview(t)).datasets.find((d) => d.dataset === sourceDataset.name);
      if (!decided) continue;
      sourceDecisions = decided.decisions;
      sourcePrunedBy = `The periodic snapshot task of ${t.dataset} (${t.namingSchema}) prunes the source: ${describePolicy(t.lifetime)}.`;
      break;
    }
    sourceDecisions ??= nothingPrunes(task, sourceDataset.snapshots, { base, sends, now: now.getTime(), timeZone });

    // The destination: the run's own prune decision (naming-schema tasks), else nothing is pruned there.
    let destinationDecisions: RetentionDecision[] = [];
    let destinationRequest: RetentionRequestData | null = null;
    let destinationPrunedBy = `Not on the destination yet: the next run sends ${w.report.source} in full.`;
    if (destinationDataset) {
      destinationRequest = replicaRetentionRequest(task, destinationDataset.snapshots.map((s) => ({ name: s.name, holds: s.userRefs, usedBytes: s.usedBytes })), {
        now: now.getTime(),
        commonBase: base,
        sourceNames: sourceDataset.snapshots.map((s) => s.name),
      });
      if (destinationRequest) {
        // 'forever' keeps them all (the run does not even decide then).
        destinationDecisions = decideRetention(destinationRequest);
        destinationPrunedBy = task.destinationLifetime.kind === 'forever' ? 'This task keeps every snapshot on the destination (kept forever).' : `This task prunes the destination: ${describePolicy(task.destinationLifetime)}.`;
      } else {
        destinationDecisions = keptAsIs(destinationDataset.snapshots, { taskId: task.id, base, sends: [] });
        destinationPrunedBy = 'This task selects snapshots without a naming schema: it prunes nothing on the destination.';
      }
    }
    datasets.push({
      source: { dataset: sourceDataset.name, exists: true, decisions: timed(sourceDecisions, sourceTime), prunedBy: sourcePrunedBy, request: null },
      destination: { dataset: w.report.destination, exists: destinationDataset !== null, decisions: timed(destinationDecisions, destinationTime), prunedBy: destinationPrunedBy, request: destinationRequest },
      plan: w.report.plan,
      sends,
      // A refused dataset runs nothing (its prune included) until its divergence is confirmed.
      prunes: w.report.plan.status === 'refused' ? [] : destinationDecisions.filter((d) => d.fate === 'prune').map((d) => d.name),
    });
  }
  return { taskId: task.id, now: now.getTime(), timeZone, datasets };
}

/** The common base the plan starts from, if any. */
function baseOf(plan: ReplicationPlan): string | null {
  return plan.status === 'refused' ? null : plan.base;
}

/** Whether a periodic snapshot task snapshots (and so prunes) this dataset. */
function covers(task: PeriodicSnapshotTask, dataset: string): boolean {
  if (dataset === task.dataset) return true;
  if (!task.recursive || !dataset.startsWith(`${task.dataset}/`)) return false;
  return !task.exclude.some((excluded) => dataset === excluded || dataset.startsWith(`${excluded}/`));
}

/**
 * The short names the plan's streams carry, oldest first: a full stream its snapshot, `-i` its target, `-I` every
 * snapshot after its start up to its target. A resume carries what the interrupted stream did (not known here).
 */
type Ordered = { name: string; createtxg: number };

export function sentNames(source: { snapshots: readonly Ordered[]; bookmarks: readonly Ordered[] }, plan: ReplicationPlan): string[] {
  if (plan.status !== 'ready') return [];
  const txgOf = (ref: string) => (ref.startsWith('#') ? source.bookmarks.find((b) => b.name === ref.slice(1)) : source.snapshots.find((s) => s.name === ref))?.createtxg ?? null;
  const sent = new Set<string>();
  for (const step of plan.steps) {
    if (step.kind === 'full') sent.add(step.snapshot);
    else if (step.kind === 'incremental' && !step.intermediates) sent.add(step.to);
    else if (step.kind === 'incremental') {
      const from = txgOf(step.from);
      const to = txgOf(step.to);
      if (from === null || to === null) sent.add(step.to);
      else for (const s of source.snapshots) if (s.createtxg > from && s.createtxg <= to) sent.add(s.name);
    }
  }
  return source.snapshots.filter((s) => sent.has(s.name)).map((s) => s.name);
}

/**
 * The source where no periodic task prunes it: every snapshot kept, the task's common base and what it has not sent
 * yet said so. A naming-schema task's are decided by decideRetention with a "forever" policy and this task's guards
 * (each mark then has its name's time, as on the destination); any other task's are marked from its plan.
 */
function nothingPrunes(task: ReplicationTask, snapshots: ListedDataset['snapshots'], context: { base: string | null; sends: readonly string[]; now: number; timeZone: string }): RetentionDecision[] {
  if (task.selection.kind !== 'naming-schema') return keptAsIs(snapshots, { taskId: task.id, base: context.base, sends: context.sends });
  const schemas = task.selection.schemas;
  return decideRetention({
    snapshots: snapshots.map((s) => ({ name: s.name, holds: s.userRefs, usedBytes: s.usedBytes })),
    policy: { kind: 'forever' },
    namingSchemas: schemas,
    timeZone: context.timeZone,
    now: context.now,
    commonBases: context.base ? [{ taskId: task.id, name: context.base }] : [],
    replications: [{ taskId: task.id, base: context.base, namingSchemas: schemas }],
    sourceNames: null,
  });
}

/** Every snapshot kept, where nothing prunes: the task's common base and what its next run sends are said so. */
function keptAsIs(snapshots: ListedDataset['snapshots'], marks: { taskId: string; base: string | null; sends: readonly string[] }): RetentionDecision[] {
  const sends = new Set(marks.sends);
  return snapshots.map((s) => {
    const reason: RetentionDecision['reason'] =
      s.name === marks.base ? { kind: 'common-base', taskIds: [marks.taskId] } : sends.has(s.name) ? { kind: 'not-yet-replicated', taskIds: [marks.taskId] } : { kind: 'forever' };
    return { name: s.name, time: null, fate: 'keep', reason, policyReason: { kind: 'forever' }, prunableAt: null, usedBytes: s.usedBytes };
  });
}

/** Decisions placed on the time axis: the name's time, else the creation time (0 when neither is known). */
function timed(decisions: readonly RetentionDecision[], createdAt: (name: string) => number | null): RetentionDecision[] {
  return decisions.map((d) => (d.time !== null ? d : { ...d, time: createdAt(d.name) }));
}
