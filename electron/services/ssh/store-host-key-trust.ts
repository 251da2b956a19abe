import type { AppStore } from '../store/app-store.ts';
import type { HostKeyTrust } from './host-key.ts';

/** Host-key pins kept in the saved connections (connection.hostKey), so they survive restarts. */
export function hostKeyTrustFromStore(store: Pick<AppStore, 'listConnections' | 'pinHostKey'>): HostKeyTrust {
  return {
    get: (connectionId) => store.listConnections().find((c) => c.id === connectionId)?.hostKey ?? null,
    pin: (connectionId, key) => store.pinHostKey(connectionId, key),
  };
}
