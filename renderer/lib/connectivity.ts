import { create } from 'zustand';
import type { AppError } from '../../shared/result.ts';

// Whether the app's backend answers. The transport handler of the error chain sets it when a request fails with
// TRANSPORT_CLOSED; any later answer clears it. The shell shows the offline bar from it.

interface ConnectivityState {
  offline: { since: string; error: AppError } | null;
  setOffline(error: AppError): void;
  setOnline(): void;
}

export const useConnectivity = create<ConnectivityState>((set, get) => ({
  offline: null,
  setOffline: (error) => {
    if (!get().offline) set({ offline: { since: new Date().toISOString(), error } });
  },
  setOnline: () => {
    if (get().offline) set({ offline: null });
  },
}));
