import { applyImport, exportConfig, planImport } from '../portability/portable-config.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** Export and import of connections and tasks as one file (electron/services/portability/portable-config.ts). */
export function portabilityHandlers(ctx: CoreContext): HandlerGroup<'exportConfig' | 'planImport' | 'importConfig'> {
  const { store, nas, ssh } = ctx;
  return {
    exportConfig: () => exportConfig(store),
    planImport: ({ document }) => planImport(store, document),
    importConfig: ({ document, replace, dryRun }) => {
      const { result, changedConnectionIds } = applyImport(store, document, { replace, dryRun });
      if (!dryRun) {
        // A replaced connection may point somewhere else now: its pooled SSH connection and capabilities go.
        for (const id of changedConnectionIds) {
          nas.forget(id);
          ssh.pool.close(id);
        }
        const written = result.applied.filter((a) => a.action === 'added' || a.action === 'replaced');
        if (written.length > 0) {
          ctx.log('info', `Imported ${written.map((a) => `${a.kind} "${a.name}" (${a.action})`).join(', ')}.`);
          ctx.bus.emit('connectionsChanged', { connections: store.listConnections() });
        }
      }
      return result;
    },
  };
}
