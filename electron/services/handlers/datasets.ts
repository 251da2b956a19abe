import { listDatasets } from '../zfs/datasets.ts';
import { listPools } from '../zfs/pools.ts';
import { listSnapshots } from '../zfs/snapshots.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** What a NAS holds: pools, datasets, snapshots. The zfs layer's rows are the contract's types (no copies). */
export function datasetHandlers(ctx: CoreContext): HandlerGroup<'listPools' | 'listDatasets' | 'listSnapshots'> {
  const { nas } = ctx;
  return {
    listPools: async ({ connectionId }) => listPools(await nas.host(connectionId)),
    listDatasets: async ({ connectionId, root }) => listDatasets(await nas.host(connectionId), root === undefined ? {} : { root }),
    listSnapshots: async ({ connectionId, dataset, recursive }) => listSnapshots(await nas.host(connectionId), dataset, { recursive }),
  };
}
