import { useEffect } from 'react';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Picker } from '../../components/Picker.tsx';
import { Tabs } from '../../components/Tabs.tsx';
import { navigate, type Route } from '../../lib/navigation.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { RetentionReview } from '../retention/RetentionReview.tsx';
import { SnapshotTasksPanel } from '../snapshot-tasks/SnapshotTasksPanel.tsx';
import { SnapshotList } from './SnapshotList.tsx';
import { useSnapshots } from './snapshots-store.ts';
import './snapshots.css';
import { nasPickerOptions } from '../fleet/nas-options.ts';

// Snapshots: the table of a dataset's (or a whole NAS's) snapshots with their fate, the periodic snapshot tasks,
// and the retention review of a task. Tabs keep one sidebar entry; the route says which tab, NAS and task.

type SnapshotsRoute = Extract<Route, { view: 'snapshots' }>;

const snapshotTabs = [
  { id: 'list', label: 'Snapshots' },
  { id: 'tasks', label: 'Periodic tasks' },
  { id: 'retention', label: 'Retention review' },
] as const satisfies readonly { id: NonNullable<SnapshotsRoute['tab']>; label: string }[];

export function SnapshotsView({ route = { view: 'snapshots' } }: { route?: SnapshotsRoute }) {
  const connections = useFleet((s) => s.connections);
  const loaded = useFleet((s) => s.loaded);
  const loadFleet = useFleet((s) => s.load);
  const current = useSnapshots((s) => s.current);
  const snapshotTasks = useSnapshots((s) => s.snapshotTasks);
  const reviewedTaskId = useSnapshots((s) => s.reviewedTaskId);
  const setReviewedTaskId = useSnapshots((s) => s.setReviewedTaskId);
  // The review shows the task the route names, else the one reviewed last, else the only one there is.
  const reviewTaskId = route.taskId ?? reviewedTaskId ?? (snapshotTasks.length === 1 ? snapshotTasks[0]!.id : null);
  useEffect(() => {
    if (route.taskId && route.taskId !== reviewedTaskId) setReviewedTaskId(route.taskId);
  }, [route.taskId, reviewedTaskId, setReviewedTaskId]);
  useEffect(() => {
    if (!loaded) void loadFleet();
  }, [loaded, loadFleet]);

  if (connections.length === 0) {
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
  const tab = route.tab ?? 'list';
  const connectionId = route.connectionId ?? current?.connectionId ?? connections[0]!.id;
  // Coming back to the screen shows what was listed last (the store keeps it) unless the route names a dataset.
  const scope = route.dataset ?? (current && current.connectionId === connectionId ? (current.dataset ?? '') : undefined);
  // Every move keeps what the other tabs had open (the NAS and dataset listed, the task reviewed).
  // dataset: what is listed ('' = the whole NAS; absent = nothing yet: a NAS with 100,000 snapshots is listed only
  // when asked). null in a patch clears it.
  const go = (patch: { tab?: SnapshotsRoute['tab']; connectionId?: string; dataset?: string | null; taskId?: string }) => {
    const dataset = patch.dataset === undefined ? route.dataset : (patch.dataset ?? undefined);
    const taskId = patch.taskId ?? reviewTaskId ?? undefined;
    navigate({ view: 'snapshots', tab: patch.tab ?? tab, connectionId: patch.connectionId ?? connectionId, ...(dataset !== undefined ? { dataset } : {}), ...(taskId ? { taskId } : {}) });
  };
  return (
    <div className="view view-wide snapshots-view">
      {/* Not react-aria's TabPanel: its MutationObserver walked the panel on every row the snapshot table recycled. */}
      <Tabs label="Snapshot screens" className="snapshot-tabs" tabs={snapshotTabs} selected={tab} onChange={(key) => go({ tab: key })}>
        {tab === 'list' ? (
          <>
            <div className="toolbar">
              <Picker
                label="NAS"
                className="toolbar-picker"
                options={nasPickerOptions(connections)}
                value={connectionId}
                onChange={(id) => go({ connectionId: id, dataset: null })}
              />
              <DatasetScope
                dataset={scope ?? ''}
                onChange={(dataset) => {
                  // List on what is shown already lists it again (the screen otherwise keeps the last listing).
                  if (dataset === scope) void useSnapshots.getState().reload();
                  else go({ dataset });
                }}
              />
            </div>
            <SnapshotList connections={connections} connectionId={connectionId} scope={scope} />
          </>
        ) : tab === 'tasks' ? (
          <SnapshotTasksPanel connections={connections} />
        ) : (
          <RetentionReview taskId={reviewTaskId} connections={connections} onPickTask={(taskId) => go({ tab: 'retention', taskId })} />
        )}
      </Tabs>
    </div>
  );
}

/** Which dataset to list (and below): typed, applied on Enter or List; empty lists the whole NAS. */
function DatasetScope({ dataset, onChange }: { dataset: string; onChange(dataset: string): void }) {
  return (
    <form
      className="field dataset-scope"
      onSubmit={(event) => {
        event.preventDefault();
        const value = String(new FormData(event.currentTarget).get('dataset') ?? '').trim();
        onChange(value);
      }}
    >
      <label className="field-label" htmlFor="snapshot-scope">
        Dataset (and below; empty: the whole NAS)
      </label>
      <div className="input-row">
        <input id="snapshot-scope" name="dataset" className="input" defaultValue={dataset} key={dataset} placeholder="tank/docs" />
        <Button type="submit">List</Button>
      </div>
    </form>
  );
}
