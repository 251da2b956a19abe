import { EmptyState } from '../../components/EmptyState.tsx';
import { Button } from '../../components/Button.tsx';
import { navigate } from '../../lib/navigation.ts';

export function SnapshotsView() {
  return (
    <div className="view">
      <EmptyState
        title="No NAS to browse"
        action={
          <Button variant="primary" onPress={() => navigate({ view: 'fleet' })}>
            Go to the fleet
          </Button>
        }
      >
        <p>
          Snapshots of every dataset on your saved NAS boxes appear here, with what each retention policy keeps and
          prunes. Add a NAS to begin.
        </p>
      </EmptyState>
    </div>
  );
}
