import { create } from 'zustand';
import type { VerbResponse } from '../../shared/contract.ts';
import { request } from '../lib/request.ts';

// What the shell itself shows: the app's version and transport, and whether a damaged settings file was set aside.

interface ShellState {
  version: VerbResponse<'getVersion'> | null;
  storeStatus: VerbResponse<'getStoreStatus'> | null;
  load(): Promise<void>;
}

export const useShellStore = create<ShellState>((set) => ({
  version: null,
  storeStatus: null,
  load: async () => {
    const [version, storeStatus] = await Promise.all([
      request('getVersion', {}, { action: 'Connect to the app backend' }),
      request('getStoreStatus', {}, { action: 'Read the settings file status' }),
    ]);
    set({ version: version.ok ? version.value : null, storeStatus: storeStatus.ok ? storeStatus.value : null });
  },
}));
