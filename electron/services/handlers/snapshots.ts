import { AppFailure } from '../../../shared/result.ts';
import { snapshotColumns } from '../../../shared/snapshot-columns.ts';
import { executeConfirmedDestruction, planRollbackTo, planSnapshotDestroy, type ScreenOptions, type ScreenTarget } from '../snapshots/snapshot-destruction.ts';
import { reviewReplicationTask } from '../replication/replication-review.ts';
import { planSourceRetention } from '../snapshots/periodic-snapshots.ts';
import { listHolds } from '../zfs/holds.ts';
import { holdSnapshots, releaseSnapshots } from '../zfs/operations.ts';
import { listPools } from '../zfs/pools.ts';
import { listSnapshots, type SnapshotInfo } from '../zfs/snapshots.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

// The snapshot screens (renderer/features/snapshots, retention, snapshot-tasks): listings, the guarded destroy and
// rollback plans (electron/services/snapshots/snapshot-destruction.ts), holds, and a periodic snapshot task's
// retention review with the plan of exactly what its prune destroys; a replication task's review of both sides.

type SnapshotVerbs =
  | 'listNasSnapshots'
  | 'planSnapshotDestroy'
  | 'planSnapshotRollback'
  | 'executeSnapshotDestruction'
  | 'setSnapshotHolds'
  | 'reviewSnapshotTask'
  | 'reviewReplicationTask'
  | 'planSnapshotTaskPrune';

/** `zfs holds` takes every snapshot on its command line: batches keep the line short on a NAS with many holds. */
const HOLDS_BATCH = 400;

async function holdTagsOf(host: ZfsHost, snapshots: readonly SnapshotInfo[]): Promise<Record<string, string[]>> {
  const held = snapshots.filter((s) => (s.userRefs ?? 0) > 0).map((s) => s.name);
  const tags: Record<string, string[]> = {};
  for (let i = 0; i < held.length; i += HOLDS_BATCH) {
    for (const hold of await listHolds(host, held.slice(i, i + HOLDS_BATCH))) (tags[hold.snapshot] ??= []).push(hold.tag);
  }
  return tags;
}

export function snapshotHandlers(ctx: CoreContext): HandlerGroup<SnapshotVerbs> {
  const { store, nas } = ctx;
  const target = async (connectionId: string): Promise<ScreenTarget> => ({ host: await nas.host(connectionId), connectionId });
  const options = (): ScreenOptions => {
    const names = new Map(store.listTasks().map((t) => [t.id, t.name]));
    return { taskName: (id) => names.get(id) };
  };
  const label = (connectionId: string) => {
    const c = ctx.connection(connectionId);
    return `${c.username}@${c.host}:${c.port}`;
  };
  return {
    listNasSnapshots: async ({ connectionId, dataset }) => {
      const host = await nas.host(connectionId);
      const roots = dataset ? [dataset] : (await listPools(host)).map((p) => p.name);
      const snapshots: SnapshotInfo[] = [];
      for (const root of roots) for (const s of await listSnapshots(host, root, { recursive: true, types: ['snapshot'] })) snapshots.push(s);
      return { host: label(connectionId), dataset: dataset ?? null, snapshots: snapshotColumns(snapshots), holdTags: await holdTagsOf(host, snapshots), listedAt: new Date().toISOString() };
    },
    planSnapshotDestroy: async ({ connectionId, snapshots }) => planSnapshotDestroy(await target(connectionId), snapshots, options()),
    planSnapshotRollback: async ({ connectionId, snapshot }) => planRollbackTo(await target(connectionId), snapshot, options()),
    executeSnapshotDestruction: async ({ connectionId, plan, confirmation }) => {
      const outcome = await executeConfirmedDestruction(await target(connectionId), plan, confirmation, options());
      ctx.log('info', `${plan.purpose === 'rollback' ? 'Rolled back' : 'Destroyed'} on ${plan.host}: ${outcome.destroyed.join(', ') || 'nothing'}.`);
      return outcome;
    },
    setSnapshotHolds: async ({ connectionId, action, tag, snapshots }) => {
      if (tag.startsWith('zfs-replication:')) {
        throw new AppFailure('INVALID_REQUEST', 'Hold tags starting with "zfs-replication:" belong to replication tasks (they mark the common base).', 'Choose another tag, e.g. "keep".');
      }
      const host = await nas.host(connectionId);
      await (action === 'hold' ? holdSnapshots : releaseSnapshots)(host, { tag, snapshots });
      ctx.log('info', `${action === 'hold' ? 'Held' : 'Released'} "${tag}" on ${snapshots.join(', ')}.`);
      return { snapshots };
    },
    reviewSnapshotTask: async ({ taskId }) => {
      const task = store.getSnapshotTask(taskId);
      return planSourceRetention(task, await nas.host(task.connectionId), new Date(), {}, { replicationTasks: store.listTasks() });
    },
    reviewReplicationTask: ({ taskId }) => reviewReplicationTask(store.getTask(taskId), ctx.engineDeps(taskId), { snapshotTasks: store.listSnapshotTasks(), replicationTasks: store.listTasks() }),
    planSnapshotTaskPrune: async ({ taskId }) => {
      const task = store.getSnapshotTask(taskId);
      const review = await planSourceRetention(task, await nas.host(task.connectionId), new Date(), {}, { replicationTasks: store.listTasks() });
      const going = review.datasets.flatMap((d) => d.prune.map((name) => `${d.dataset}@${name}`));
      const plan = going.length === 0 ? null : await planSnapshotDestroy(await target(task.connectionId), going, options());
      return { plan, review };
    },
  };
}
