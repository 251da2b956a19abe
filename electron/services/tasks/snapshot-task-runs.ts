import type { z } from 'zod';
import type { PruneResultSchema, TakeSnapshotsResultSchema } from '../../../shared/contract.ts';
import { assertRunnableSnapshotTask, type PeriodicSnapshotTask, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { pruneSnapshots, takeSnapshots, type PruneResult } from '../snapshots/periodic-snapshots.ts';
import type { NasRegistry } from './nas-registry.ts';

export type PlainPruneResult = z.output<typeof PruneResultSchema>;

/** A prune result is plain data already (shared/retention.ts decides; times are epoch milliseconds). */
export function plainPruneResult(result: PruneResult): PlainPruneResult {
  return result;
}

/** One scheduled round of a periodic snapshot task: take the new snapshot, then prune by the task's lifetime. */
export async function runSnapshotTask(
  task: PeriodicSnapshotTask,
  nas: NasRegistry,
  /** replicationTasks: the store's, so the prune keeps what they have not sent yet. */
  options: { dryRun?: boolean; now?: Date; signal?: AbortSignal; replicationTasks?: readonly ReplicationTask[] } = {},
): Promise<{ taken: z.output<typeof TakeSnapshotsResultSchema>; pruned: PlainPruneResult }> {
  task = assertRunnableSnapshotTask(task); // the whole task, before any connection opens
  const host = await nas.host(task.connectionId);
  const now = options.now ?? new Date();
  const call = { ...(options.dryRun ? { dryRun: true } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  const taken = await takeSnapshots(task, host, now, call);
  const pruned = await pruneSnapshots(task, host, now, { ...call, ...(options.replicationTasks ? { replicationTasks: options.replicationTasks } : {}) });
  return { taken, pruned: plainPruneResult(pruned) };
}
