import { EmptyState } from '../../components/EmptyState.tsx';
import { useShellStore } from '../../app/shell-store.ts';

export function ScheduleView() {
  const navigate = useShellStore((s) => s.navigate);
  return (
    <div className="view">
      <EmptyState
        title="Nothing scheduled"
        action={<button onClick={() => navigate('tasks')}>Go to Tasks</button>}
      >
        <p>
          Replication and periodic snapshot tasks that run on a schedule are listed here with their next run. Runs of
          one task never overlap, whether started here, by the CLI or by cron.
        </p>
      </EmptyState>
    </div>
  );
}
