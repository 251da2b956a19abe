import { create } from 'zustand';
import type { Connection, ConnectionInput } from '../../../shared/schemas.ts';
import type { AppError } from '../../../shared/result.ts';
import { api } from '../../api.ts';

interface ConnectionsState {
  connections: Connection[];
  loaded: boolean;
  error: AppError | null;
  load(): Promise<void>;
  save(input: ConnectionInput): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Keeps the list in step with changes made elsewhere (another window, the CLI through the bridge). */
  subscribe(): () => void;
}

export const useConnectionsStore = create<ConnectionsState>((set) => ({
  connections: [],
  loaded: false,
  error: null,
  load: async () => {
    const result = await api.listConnections({});
    set(result.ok ? { connections: result.value, loaded: true, error: null } : { error: result.error, loaded: true });
  },
  save: async (input) => {
    const result = await api.saveConnection(input);
    if (!result.ok) {
      set({ error: result.error });
      return false;
    }
    set((state) => ({
      error: null,
      connections: [...state.connections.filter((c) => c.id !== result.value.id), result.value],
    }));
    return true;
  },
  remove: async (id) => {
    const result = await api.removeConnection({ id });
    if (!result.ok) set({ error: result.error });
    else set((state) => ({ error: null, connections: state.connections.filter((c) => c.id !== id) }));
  },
  subscribe: () => api.on('connectionsChanged', ({ connections }) => set({ connections })),
}));
