import { EmptyState } from '../../components/EmptyState.tsx';
import { useShellStore } from '../../app/shell-store.ts';

export function TasksView() {
  const navigate = useShellStore((s) => s.navigate);
  return (
    <div className="view">
      <EmptyState
        title="No replication tasks yet"
        action={
          <button className="primary" onClick={() => navigate('connections')}>
            Go to Connections
          </button>
        }
      >
        <p>
          A replication task copies a dataset's snapshots from a source NAS to a destination NAS, first in full, then
          incrementally. Start by saving the source and destination NAS under Connections.
        </p>
      </EmptyState>
    </div>
  );
}
