import { EmptyState } from '../../components/EmptyState.tsx';
import { Button } from '../../components/Button.tsx';
import { navigate } from '../../lib/navigation.ts';

export function TasksView() {
  return (
    <div className="view">
      <EmptyState
        title="No replication tasks yet"
        action={
          <Button variant="primary" onPress={() => navigate({ view: 'fleet' })}>
            Go to the fleet
          </Button>
        }
      >
        <p>
          A replication task copies a dataset's snapshots from a source NAS to a destination NAS, first in full, then
          incrementally. Start by saving the source and destination NAS in the fleet view.
        </p>
      </EmptyState>
    </div>
  );
}
