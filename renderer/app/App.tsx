import { useEffect } from 'react';
import { Toaster } from 'sonner';
import { AppIcon } from '../components/AppIcon.tsx';
import { DialogHost } from '../components/DialogHost.tsx';
import { Notice } from '../components/ErrorNotice.tsx';
import { OfflineBar } from '../components/OfflineBar.tsx';
import { useSettings } from '../features/settings/settings-store.ts';
import { startEventStream } from '../lib/event-stream.ts';
import { useNavigation } from '../lib/navigation.ts';
import { applyTheme } from '../lib/theme.ts';
import { installErrorHandlers } from './error-handlers.ts';
import { CommandPalette } from './palette/CommandPalette.tsx';
import { installUiCommands } from './palette/ui-commands.ts';
import { viewEntries, viewEntryOf } from './routes.tsx';
import { useShellStore } from './shell-store.ts';

installErrorHandlers();

export function App() {
  const route = useNavigation((s) => s.route);
  const navigate = useNavigation((s) => s.navigate);
  const version = useShellStore((s) => s.version);
  const storeStatus = useShellStore((s) => s.storeStatus);
  const loadShell = useShellStore((s) => s.load);
  const theme = useSettings((s) => s.settings?.theme ?? 'system');
  const loadSettings = useSettings((s) => s.load);

  useEffect(() => {
    const stop = startEventStream();
    // Ctrl/Cmd+K and the other shortcuts, menu/tray commands (uiCommand events), notifications as toasts.
    const stopUiCommands = installUiCommands();
    void loadShell();
    void loadSettings();
    return () => {
      stopUiCommands();
      stop();
    };
  }, [loadShell, loadSettings]);
  useEffect(() => applyTheme(theme), [theme]);

  const current = viewEntryOf(route);
  const navItem = (entry: (typeof viewEntries)[number]) => (
    <li key={entry.id}>
      <button
        type="button"
        className={entry.id === route.view ? 'nav-item active' : 'nav-item'}
        aria-current={entry.id === route.view ? 'page' : undefined}
        data-testid={`nav-${entry.id}`}
        onClick={() => navigate({ view: entry.id } as Parameters<typeof navigate>[0])}
      >
        {entry.icon}
        <span>{entry.label}</span>
      </button>
    </li>
  );

  return (
    <>
      <div className="shell">
        <nav className="sidebar" aria-label="Main">
          <div className="brand">
            <AppIcon />
            <span>ZFS Replication</span>
          </div>
          <ul className="nav-list">{viewEntries.filter((e) => !e.footer && !e.hidden).map(navItem)}</ul>
          <ul className="nav-list nav-footer">{viewEntries.filter((e) => e.footer && !e.hidden).map(navItem)}</ul>
          <div className="sidebar-footer muted" data-testid="version">
            {version ? `v${version.app} · ${version.transport === 'electron' ? `Electron ${version.electron}` : 'browser mode'}` : ''}
          </div>
        </nav>
        <div className="main-column">
          <OfflineBar />
          <main className="content" aria-labelledby="view-title">
            <header className="content-header">
              <h1 id="view-title">{current.label}</h1>
            </header>
            {storeStatus?.message ? (
              <Notice tone="warning" title="The settings file was damaged">
                {storeStatus.message}
              </Notice>
            ) : null}
            {current.render(route as never)}
          </main>
        </div>
      </div>
      {/* Outside the shell's grid: overlays, not grid cells. */}
      <DialogHost />
      <CommandPalette />
      <Toaster theme={theme} position="bottom-right" richColors closeButton />
    </>
  );
}
