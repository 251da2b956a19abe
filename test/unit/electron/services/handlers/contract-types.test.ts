import { describe, expectTypeOf, it } from 'vitest';
import type { Handlers } from '../../../../../electron/services/rpc/dispatcher.ts';
import type { DatasetInfo } from '../../../../../electron/services/zfs/datasets.ts';
import type { PoolInfo } from '../../../../../electron/services/zfs/pools.ts';
import type { SnapshotInfo } from '../../../../../electron/services/zfs/snapshots.ts';
import type { DatasetSummary, PoolSummary, SnapshotSummary, VerbResponse } from '../../../../../shared/contract.ts';

// The listing verbs return the zfs layer's rows as they are: these types must be the contract's, field for field,
// so no handler needs a copy and nothing the UI reads is dropped on the way.
describe('the zfs layer returns the contract types', () => {
  it('pools, datasets and snapshots', () => {
    expectTypeOf<PoolInfo>().toEqualTypeOf<PoolSummary>();
    expectTypeOf<DatasetInfo>().toEqualTypeOf<DatasetSummary>();
    expectTypeOf<SnapshotInfo>().toEqualTypeOf<SnapshotSummary>();
    expectTypeOf<Awaited<ReturnType<Handlers['listSnapshots']>>>().toEqualTypeOf<VerbResponse<'listSnapshots'>>();
  });
});
