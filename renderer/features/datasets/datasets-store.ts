import { create } from 'zustand';
import type { VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import { request } from '../../lib/request.ts';

// The dataset browser's slice: pools and datasets per NAS, as last loaded.

export type Dataset = VerbResponse<'listDatasets'>[number];
export type Pool = VerbResponse<'listPools'>[number];

export interface DatasetListing {
  loading: boolean;
  pools: Pool[];
  datasets: Dataset[];
  error: AppError | null;
  at: string | null;
}

interface DatasetsState {
  byConnection: Record<string, DatasetListing>;
  load(connectionId: string): Promise<void>;
}

const empty: DatasetListing = { loading: false, pools: [], datasets: [], error: null, at: null };

export const useDatasets = create<DatasetsState>((set) => ({
  byConnection: {},
  load: async (connectionId) => {
    set((s) => ({ byConnection: { ...s.byConnection, [connectionId]: { ...(s.byConnection[connectionId] ?? empty), loading: true } } }));
    const [pools, datasets] = await Promise.all([
      request('listPools', { connectionId }, { quiet: true, connectionId }),
      request('listDatasets', { connectionId }, { quiet: true, connectionId }),
    ]);
    const error = !pools.ok ? pools.error : !datasets.ok ? datasets.error : null;
    set((s) => ({
      byConnection: {
        ...s.byConnection,
        [connectionId]: {
          loading: false,
          pools: pools.ok ? pools.value : (s.byConnection[connectionId]?.pools ?? []),
          datasets: datasets.ok ? datasets.value : (s.byConnection[connectionId]?.datasets ?? []),
          error,
          at: new Date().toISOString(),
        },
      },
    }));
  },
}));
