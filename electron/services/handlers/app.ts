import type { CoreContext, HandlerGroup } from './context.ts';

/** The app itself: round trip, versions, where settings live, the settings. */
export function appHandlers(ctx: CoreContext): HandlerGroup<'ping' | 'getVersion' | 'getStoreStatus' | 'getSettings' | 'updateSettings'> {
  const { store, bus } = ctx;
  return {
    ping: ({ message }) => ({ message, receivedAt: new Date().toISOString() }),
    getVersion: () => ctx.versions,
    getStoreStatus: () => ({
      path: store.path,
      recoveredFrom: store.recovery?.movedTo ?? null,
      message: store.recovery?.message ?? null,
      warnings: [...store.warnings],
      secrets: store.secrets.backend,
    }),
    getSettings: () => store.getSettings(),
    updateSettings: (patch) => {
      const settings = store.updateSettings(patch);
      ctx.onSettingsChanged?.(settings);
      bus.emit('settingsChanged', settings);
      return settings;
    },
  };
}
