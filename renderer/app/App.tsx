import { useEffect } from 'react';
import { ConnectionsView } from '../features/connections/ConnectionsView.tsx';
import { ScheduleView } from '../features/schedule/ScheduleView.tsx';
import { SnapshotsView } from '../features/snapshots/SnapshotsView.tsx';
import { TasksView } from '../features/tasks/TasksView.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { useShellStore, views, type ViewId } from './shell-store.ts';

const viewComponents: Record<ViewId, () => React.JSX.Element> = {
  connections: ConnectionsView,
  tasks: TasksView,
  snapshots: SnapshotsView,
  schedule: ScheduleView,
};

export function App() {
  const { view, navigate, version, storeStatus, error, load } = useShellStore();
  useEffect(() => {
    void load();
  }, [load]);
  const Current = viewComponents[view];
  const title = views.find((v) => v.id === view)?.label ?? '';

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">ZFS Replication</div>
        <ul>
          {views.map((v) => (
            <li key={v.id}>
              <button
                className={v.id === view ? 'nav-item active' : 'nav-item'}
                aria-current={v.id === view ? 'page' : undefined}
                data-testid={`nav-${v.id}`}
                onClick={() => navigate(v.id)}
              >
                {v.label}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer muted" data-testid="version">
          {version ? `v${version.app} · ${version.transport === 'electron' ? `Electron ${version.electron}` : 'browser mode'}` : ''}
        </div>
      </nav>
      <main className="content">
        <header className="content-header">
          <h1>{title}</h1>
        </header>
        <ErrorBanner error={error} />
        {storeStatus?.message ? (
          <div className="banner banner-warning" role="status">
            {storeStatus.message}
          </div>
        ) : null}
        <Current />
      </main>
    </div>
  );
}
