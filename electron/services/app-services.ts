import type { VersionInfoSchema } from '../../shared/contract.ts';
import type { z } from 'zod';
import { EventBus } from './events/event-bus.ts';
import type { Handlers } from './rpc/dispatcher.ts';
import type { AppStore } from './store/app-store.ts';

export interface AppServicesOptions {
  store: AppStore;
  versions: z.infer<typeof VersionInfoSchema>;
  /** Called after settings change, e.g. so Electron can switch nativeTheme. */
  onSettingsChanged?: (settings: ReturnType<AppStore['getSettings']>) => void;
}

export interface AppServices {
  handlers: Handlers;
  bus: EventBus;
  store: AppStore;
}

/** The domain behind every verb, shared by the Electron main process and the loopback bridge. */
export function createAppServices(options: AppServicesOptions): AppServices {
  const { store, versions } = options;
  const bus = new EventBus();
  const log = (level: 'info' | 'warn', message: string) =>
    bus.emit('log', { at: new Date().toISOString(), level, source: 'app', message });

  const handlers: Handlers = {
    ping: ({ message }) => ({ message, receivedAt: new Date().toISOString() }),
    getVersion: () => versions,
    getStoreStatus: () => ({
      path: store.path,
      recoveredFrom: store.recovery?.movedTo ?? null,
      message: store.recovery?.message ?? null,
    }),
    getSettings: () => store.getSettings(),
    updateSettings: (patch) => {
      const settings = store.updateSettings(patch);
      options.onSettingsChanged?.(settings);
      bus.emit('settingsChanged', settings);
      return settings;
    },
    listConnections: () => store.listConnections(),
    saveConnection: (input) => {
      const saved = store.saveConnection(input);
      log('info', `Saved connection "${saved.name}" (${saved.username}@${saved.host}:${saved.port}).`);
      bus.emit('connectionsChanged', { connections: store.listConnections() });
      return saved;
    },
    removeConnection: ({ id }) => {
      const removed = store.removeConnection(id);
      if (removed) bus.emit('connectionsChanged', { connections: store.listConnections() });
      return { removed };
    },
  };

  if (store.recovery) log('warn', store.recovery.message);
  return { handlers, bus, store };
}
