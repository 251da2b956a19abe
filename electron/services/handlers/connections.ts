import type { CoreContext, HandlerGroup } from './context.ts';

/** Saved NAS connections. Saving or forgetting one drops its pooled SSH connection and cached capabilities. */
export function connectionHandlers(ctx: CoreContext): HandlerGroup<'listConnections' | 'saveConnection' | 'removeConnection'> {
  const { store, nas, ssh } = ctx;
  const connectionsChanged = () => ctx.bus.emit('connectionsChanged', { connections: store.listConnections() });
  return {
    listConnections: () => store.listConnections(),
    saveConnection: (input) => {
      const saved = store.saveConnection(input);
      nas.forget(saved.id);
      ssh.pool.close(saved.id);
      ctx.log('info', `Saved connection "${saved.name}" (${saved.username}@${saved.host}:${saved.port}).`);
      connectionsChanged();
      return saved;
    },
    removeConnection: ({ id }) => {
      const removed = store.removeConnection(id);
      if (removed) {
        nas.forget(id);
        ssh.pool.close(id);
        connectionsChanged();
      }
      return { removed };
    },
  };
}
