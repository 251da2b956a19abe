import { EmptyState } from '../../components/EmptyState.tsx';
import { useShellStore } from '../../app/shell-store.ts';

export function SnapshotsView() {
  const navigate = useShellStore((s) => s.navigate);
  return (
    <div className="view">
      <EmptyState
        title="No NAS to browse"
        action={
          <button className="primary" onClick={() => navigate('connections')}>
            Go to Connections
          </button>
        }
      >
        <p>
          Snapshots of every dataset on your saved NAS boxes appear here, with what each retention policy keeps and
          prunes. Add a connection to begin.
        </p>
      </EmptyState>
    </div>
  );
}
