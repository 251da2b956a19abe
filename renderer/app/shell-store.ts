import { create } from 'zustand';
import type { VersionInfoSchema, StoreStatusSchema } from '../../shared/contract.ts';
import type { AppError } from '../../shared/result.ts';
import type { z } from 'zod';
import { api } from '../api.ts';

export const views = [
  { id: 'connections', label: 'Connections' },
  { id: 'tasks', label: 'Tasks' },
  { id: 'snapshots', label: 'Snapshots' },
  { id: 'schedule', label: 'Schedule' },
] as const;

export type ViewId = (typeof views)[number]['id'];

interface ShellState {
  view: ViewId;
  version: z.infer<typeof VersionInfoSchema> | null;
  storeStatus: z.infer<typeof StoreStatusSchema> | null;
  error: AppError | null;
  navigate(view: ViewId): void;
  load(): Promise<void>;
}

export const useShellStore = create<ShellState>((set) => ({
  view: 'connections',
  version: null,
  storeStatus: null,
  error: null,
  navigate: (view) => set({ view }),
  load: async () => {
    const [version, storeStatus] = await Promise.all([api.getVersion({}), api.getStoreStatus({})]);
    set({
      version: version.ok ? version.value : null,
      storeStatus: storeStatus.ok ? storeStatus.value : null,
      error: !version.ok ? version.error : !storeStatus.ok ? storeStatus.error : null,
    });
  },
}));
