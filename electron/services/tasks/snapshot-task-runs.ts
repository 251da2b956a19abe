import type { z } from 'zod';
import type { PruneResultSchema, TakeSnapshotsResultSchema } from '../../../shared/contract.ts';
import type { PeriodicSnapshotTask } from '../../../shared/task-schemas.ts';
import { pruneSnapshots, takeSnapshots, type PruneResult } from '../snapshots/periodic-snapshots.ts';
import type { NasRegistry } from './nas-registry.ts';

export type PlainPruneResult = z.output<typeof PruneResultSchema>;

/** Retention decisions carry Dates (shared/retention-plan.ts decides them); they cross the transports as ISO strings. */
export function plainPruneResult(result: PruneResult): PlainPruneResult {
  const datasets = result.plan.datasets.map((d) => ({ ...d, decisions: d.decisions.map((decision) => ({ ...decision, expiresAt: decision.expiresAt?.toISOString() ?? null })) }));
  return { ...result, plan: { ...result.plan, datasets } };
}

/** One scheduled round of a periodic snapshot task: take the new snapshot, then prune by the task's lifetime. */
export async function runSnapshotTask(
  task: PeriodicSnapshotTask,
  nas: NasRegistry,
  options: { dryRun?: boolean; now?: Date; signal?: AbortSignal } = {},
): Promise<{ taken: z.output<typeof TakeSnapshotsResultSchema>; pruned: PlainPruneResult }> {
  const host = await nas.host(task.connectionId);
  const now = options.now ?? new Date();
  const call = { ...(options.dryRun ? { dryRun: true } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  const taken = await takeSnapshots(task, host, now, call);
  const pruned = await pruneSnapshots(task, host, now, call);
  return { taken, pruned: plainPruneResult(pruned) };
}
