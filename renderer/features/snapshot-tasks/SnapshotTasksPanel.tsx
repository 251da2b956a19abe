import { Pencil, Play, Plus, ScanSearch } from 'lucide-react';
import { useEffect, useState } from 'react';
import { describeCron } from '../../../shared/cron-schedule.ts';
import { describePolicy } from '../../../shared/retention.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { nextRunOf } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask } from '../../../shared/task-schemas.ts';
import { formatInZone } from '../../../shared/time-zone.ts';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatRelative, plural } from '../../lib/format.ts';
import { navigate } from '../../lib/navigation.ts';
import { request } from '../../lib/request.ts';
import { useSnapshots } from '../snapshots/snapshots-store.ts';
import { SnapshotTaskDialog } from './SnapshotTaskDialog.tsx';

// Periodic snapshot tasks: each with its dataset, naming schema, schedule in words with its zone and next run,
// policy, the last run started here, "run now", "edit" and the retention review.

function policyWords(task: PeriodicSnapshotTask): string {
  return task.lifetime.kind === 'same-as-source' ? 'same as source (prunes nothing on a source)' : describePolicy(task.lifetime);
}

export function SnapshotTasksPanel({ connections }: { connections: Connection[] }) {
  const tasks = useSnapshots((s) => s.snapshotTasks);
  const loadTasks = useSnapshots((s) => s.loadTasks);
  const [lastRuns, setLastRuns] = useState<Record<string, { at: number; text: string; ok: boolean }>>({});
  const [running, setRunning] = useState<string | null>(null);
  useEffect(() => {
    void loadTasks();
  }, [loadTasks]);

  const nasName = (id: string) => connections.find((c) => c.id === id)?.name ?? 'a NAS no longer saved';
  const edit = (task: PeriodicSnapshotTask | null) => openDialog((close) => <SnapshotTaskDialog task={task} connections={connections} onClose={close} onSaved={() => void loadTasks()} />);
  const runNow = async (task: PeriodicSnapshotTask) => {
    setRunning(task.id);
    const result = await request('runSnapshotTask', { taskId: task.id }, { action: `Run ${task.namingSchema} on ${task.dataset}`, connectionId: task.connectionId });
    setRunning(null);
    const at = Date.now();
    setLastRuns((s) => ({
      ...s,
      [task.id]: result.ok
        ? { at, ok: true, text: `took ${result.value.taken.snapshots.join(', ')}; pruned ${plural(result.value.pruned.destroyed.length, 'snapshot')}` }
        : { at, ok: false, text: `failed: ${result.error.message}` },
    }));
  };

  return (
    <div className="stack">
      <div className="toolbar">
        <span className="toolbar-spacer" />
        <Button variant="primary" icon={<Plus size={16} aria-hidden="true" />} onPress={() => edit(null)}>
          New periodic snapshot task
        </Button>
      </div>
      {tasks.length === 0 ? (
        <EmptyState title="No periodic snapshot tasks">
          <p>A periodic snapshot task takes snapshots of a dataset on a schedule and prunes them by its policy (a lifetime or a keep grid), never a held snapshot or one a replication task still needs.</p>
        </EmptyState>
      ) : (
        <ul className="task-cards" aria-label="Periodic snapshot tasks">
          {tasks.map((task) => {
            const zone = task.schedule.kind === 'cron' ? (task.schedule.timeZone ?? task.timeZone ?? 'UTC') : (task.timeZone ?? 'UTC');
            const next = nextRunOf(task, Date.now());
            const last = lastRuns[task.id];
            return (
              <li key={task.id} className="card snapshot-task-card" data-testid="snapshot-task" data-task={task.id}>
                <div className="snapshot-task-head">
                  <strong>
                    {nasName(task.connectionId)}: {task.dataset}
                    {task.recursive ? ' and below' : ''}
                  </strong>
                  <code>@{task.namingSchema}</code>
                </div>
                <p className="muted">
                  {task.schedule.kind === 'cron' ? `${describeCron(task.schedule.expression)} (${zone})` : 'Manual only'}
                  {next ? ` · next ${formatInZone(next, zone)}` : ''} · {policyWords(task)}
                  {task.exclude.length > 0 ? ` · excludes ${task.exclude.join(', ')}` : ''}
                </p>
                <p className="muted" data-testid="last-run">
                  {last ? `Last run ${formatRelative(last.at)}: ${last.text}` : 'Not run from this window yet.'}
                </p>
                <div className="panel-actions">
                  <Button icon={<Play size={16} aria-hidden="true" />} isPending={running === task.id} onPress={() => void runNow(task)}>
                    Run now
                  </Button>
                  <Button icon={<Pencil size={16} aria-hidden="true" />} onPress={() => edit(task)}>
                    Edit…
                  </Button>
                  <Button icon={<ScanSearch size={16} aria-hidden="true" />} onPress={() => navigate({ view: 'snapshots', tab: 'retention', taskId: task.id })}>
                    Review retention
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

