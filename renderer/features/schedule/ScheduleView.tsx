import { EmptyState } from '../../components/EmptyState.tsx';
import { Button } from '../../components/Button.tsx';
import { navigate } from '../../lib/navigation.ts';

export function ScheduleView() {
  return (
    <div className="view">
      <EmptyState
        title="Nothing scheduled"
        action={<Button onPress={() => navigate({ view: 'tasks' })}>Go to Tasks</Button>}
      >
        <p>
          Replication and periodic snapshot tasks that run on a schedule are listed here with their next run. Runs of
          one task never overlap, whether started here, by the CLI or by cron.
        </p>
      </EmptyState>
    </div>
  );
}
