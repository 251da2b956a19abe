import { ArrowRight, Map as MapIcon, Plus, RefreshCw, Search, Table2 } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Input, SearchField, ToggleButton, ToggleButtonGroup } from 'react-aria-components';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataTableColumns } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { formatBytes, formatDateTime, formatRelative } from '../../lib/format.ts';
import { navigate } from '../../lib/navigation.ts';
import { openTask } from './open-run.ts';
import { lagOf, matchesStateFilter, nextRun, scheduleIntervalMs, scheduleZone, searchText, sourcesLabel, taskStateView, type LagView, type StateFilter, type TaskEntry, type TaskStateView } from './task-overview.ts';
import { useTasks } from './tasks-store.ts';
import { TopologyMap } from './TopologyMap.tsx';
import { useNow } from './use-now.ts';
import { openTaskWizard } from './wizard-entry.ts';

// Every replication task across every NAS: state (RUNNING says full or incremental), last and next run, the last
// transfer's size and how far each replica lags behind its source against its schedule. Sorted, filtered and
// searched in the app's one table; or drawn as the fleet's map.

export interface TaskRow {
  id: string;
  name: string;
  sourceName: string;
  destinationName: string;
  route: string;
  transport: string;
  state: TaskStateView;
  lastRunAt: string | null;
  lastResult: string | null;
  nextRunAt: Date | null;
  zone: string | null;
  lastBytes: number | null;
  lag: LagView;
  /** Why the replica could not be read (the lag is then unknown). */
  lagError: string | null;
  entry: TaskEntry;
}

export const stateTone: Record<TaskEntry['state'], Tone> = { PENDING: 'pending', RUNNING: 'running', FINISHED: 'ok', FAILED: 'fail' };
export const lagTone: Record<LagView['level'], Tone> = { 'on-time': 'ok', late: 'warn', stale: 'fail', 'no-replica': 'pending', unscheduled: 'neutral', unknown: 'unknown' };

const col = dataTableColumns<TaskRow>();
const columns = [
  col.accessor('name', { header: 'Name', meta: { width: 'minmax(120px, 1fr)' }, cell: (info) => <strong className="task-name">{info.getValue()}</strong> }),
  col.accessor('route', {
    header: 'Source → destination',
    meta: { width: 'minmax(200px, 2.2fr)' },
    cell: (info) => {
      const r = info.row.original;
      return (
        // Two lines (source, then → destination): on one line both ends were cut to "nas-a:ta… → nas-b:back…".
        <span className="task-route-stacked" title={info.getValue()}>
          <span className="route-end">
            {r.sourceName}:{sourcesLabel(r.entry.task)}
          </span>
          <span className="route-end route-to">
            <ArrowRight size={14} aria-label="to" />
            <span>
              {r.destinationName}:{r.entry.task.destinationParent}
            </span>
          </span>
        </span>
      );
    },
  }),
  col.accessor('transport', { header: 'Transport', meta: { width: '90px' } }),
  col.accessor((r) => r.state.label, {
    id: 'state',
    header: 'State',
    meta: { width: 'minmax(130px, 0.8fr)' },
    cell: (info) => {
      const r = info.row.original;
      // RUNNING's sub-state (running_full, running_inc) on its own line: in the badge it needed a 200 px column.
      return (
        <span className="task-state">
          <StatusBadge tone={stateTone[r.state.state]} {...(r.entry.lastRun?.error ? { title: r.entry.lastRun.error.message } : {})}>
            {r.state.state}
          </StatusBadge>
          {r.state.running ? <span className="muted task-state-sub">{r.state.running}</span> : null}
        </span>
      );
    },
  }),
  col.accessor((r) => (r.lastRunAt ? Date.parse(r.lastRunAt) : 0), {
    id: 'lastRun',
    header: 'Last run',
    sortFn: 'basic',
    meta: { width: 'minmax(110px, 0.8fr)' },
    cell: (info) => {
      const r = info.row.original;
      return r.lastRunAt ? (
        <span title={formatDateTime(r.lastRunAt)}>
          {formatRelative(r.lastRunAt)}
          <span className="visually-hidden"> ({formatDateTime(r.lastRunAt)})</span>
        </span>
      ) : (
        <span className="muted">never</span>
      );
    },
  }),
  col.accessor((r) => r.nextRunAt?.getTime() ?? Number.MAX_SAFE_INTEGER, {
    id: 'nextRun',
    header: 'Next run',
    sortFn: 'basic',
    meta: { width: 'minmax(120px, 0.8fr)' },
    cell: (info) => {
      const r = info.row.original;
      if (!r.nextRunAt) return <span className="muted">by hand</span>;
      const exact = `${formatDateTime(r.nextRunAt)}${r.zone && r.zone !== 'UTC' ? ` (${r.zone})` : r.zone === 'UTC' ? ' (UTC schedule)' : ''}`;
      return <span title={exact}>{formatRelative(r.nextRunAt)}</span>;
    },
  }),
  col.accessor((r) => r.lastBytes ?? -1, {
    id: 'lastBytes',
    header: 'Last size',
    sortFn: 'basic',
    meta: { width: '84px', align: 'end' },
    cell: (info) => (info.row.original.lastBytes === null ? <span className="muted">—</span> : formatBytes(info.row.original.lastBytes)),
  }),
  col.accessor((r) => r.lag.ageMs ?? -1, {
    id: 'lag',
    header: 'Lag',
    sortFn: 'basic',
    meta: { width: 'minmax(190px, 1.2fr)' },
    cell: (info) => {
      const r = info.row.original;
      return (
        <StatusBadge tone={lagTone[r.lag.level]} {...(r.lagError ? { title: r.lagError } : {})}>
          {r.lag.label}
        </StatusBadge>
      );
    },
  }),
];

const filters: { id: StateFilter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'problems', label: 'Problems' },
  { id: 'RUNNING', label: 'Running' },
  { id: 'FAILED', label: 'Failed' },
  { id: 'PENDING', label: 'Never run' },
];

export function useTaskRows(now: number): TaskRow[] {
  const tasks = useTasks((s) => s.tasks);
  const connections = useTasks((s) => s.connections);
  const replicaAges = useTasks((s) => s.replicaAges);
  const replicaErrors = useTasks((s) => s.replicaErrors);
  const runs = useTasks((s) => s.runs);
  const latestRun = useTasks((s) => s.latestRun);
  // Lag and next runs move by the minute; the row set is rebuilt at most once a minute for them.
  const minute = Math.floor(now / 60_000);
  return useMemo(() => {
    const at = new Date(minute * 60_000);
    const nameOf = (id: string) => connections.find((c) => c.id === id)?.name ?? 'forgotten NAS';
    return tasks.map((entry) => {
      const t = entry.task;
      const live = latestRun[t.id] ? runs[latestRun[t.id]!] : undefined;
      const state = taskStateView(entry, live?.info ?? null);
      const age = replicaAges[t.id];
      const sourceName = nameOf(t.sourceConnectionId);
      const destinationName = nameOf(t.destinationConnectionId);
      return {
        id: t.id,
        name: t.name,
        sourceName,
        destinationName,
        route: `${sourceName}:${t.sources.map((s) => s.name).join(', ')} → ${destinationName}:${t.destinationParent}`,
        transport: t.transport.kind,
        state,
        lastRunAt: entry.lastRun?.finishedAt ?? null,
        lastResult: entry.lastRun?.result ?? null,
        nextRunAt: nextRun(t, at),
        zone: scheduleZone(t),
        lastBytes: entry.lastRun ? entry.lastRun.bytesSent : null,
        lag:
          age === undefined && replicaErrors[t.id]
            ? { level: 'unknown' as const, ageMs: null, label: 'could not check' }
            : lagOf(age === undefined ? undefined : age.newest === null ? null : new Date(age.newest), scheduleIntervalMs(t, at), at),
        lagError: replicaErrors[t.id] ? `${replicaErrors[t.id]!.message}${replicaErrors[t.id]!.hint ? ` ${replicaErrors[t.id]!.hint}` : ''}` : null,
        entry,
      };
    });
  }, [tasks, connections, replicaAges, replicaErrors, runs, latestRun, minute]);
}

export function TaskDashboard() {
  const loaded = useTasks((s) => s.loaded);
  const loadError = useTasks((s) => s.loadError);
  const load = useTasks((s) => s.load);
  const checkReplicas = useTasks((s) => s.checkReplicas);
  const connections = useTasks((s) => s.connections);
  const [search, setSearch] = useState('');
  const [stateFilter, setStateFilter] = useState<StateFilter>('all');
  const [mode, setMode] = useState<'table' | 'map'>('table');
  const now = useNow(15_000);
  const rows = useTaskRows(now);

  useEffect(() => {
    void load();
    // The lag moves with time and with runs elsewhere (the CLI, the daemon): read the replicas again every minute.
    const timer = setInterval(() => void checkReplicas(), 60_000);
    return () => clearInterval(timer);
  }, [load, checkReplicas]);

  const visible = useMemo(() => {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    return rows.filter((r) => matchesStateFilter(stateFilter, r.state.state, r.lag.level) && words.every((w) => searchText(r.entry, { source: r.sourceName, destination: r.destinationName }).includes(w)));
  }, [rows, search, stateFilter]);

  if (loaded && !loadError && rows.length === 0) {
    return (
      <div className="view">
        <EmptyState
          title="No replication tasks yet"
          action={
            <div className="toolbar">
              <Button variant="primary" icon={<Plus size={16} aria-hidden="true" />} onPress={() => openTaskWizard({ mode: 'new' })}>
                New task
              </Button>
              {connections.length < 1 ? <Button onPress={() => navigate({ view: 'fleet' })}>Go to the fleet</Button> : null}
            </div>
          }
        >
          <p>
            A replication task copies a dataset's snapshots from a source NAS to a destination NAS, first in full, then incrementally. Create one with the
            wizard; it shows the plan of the first run before anything happens.
          </p>
        </EmptyState>
      </div>
    );
  }

  const counts = {
    running: rows.filter((r) => r.state.state === 'RUNNING').length,
    failed: rows.filter((r) => r.state.state === 'FAILED').length,
    late: rows.filter((r) => r.lag.level === 'late' || r.lag.level === 'stale').length,
  };

  return (
    <div className="view view-wide tasks-dashboard">
      <div className="toolbar">
        <SearchField className="field search-field" value={search} onChange={setSearch} aria-label="Search tasks">
          <Search size={16} aria-hidden="true" className="search-icon" />
          <Input className="input" placeholder="Search tasks, NAS, datasets" />
        </SearchField>
        <ToggleButtonGroup
          className="segmented"
          aria-label="Show tasks"
          selectionMode="single"
          disallowEmptySelection
          selectedKeys={[stateFilter]}
          onSelectionChange={(keys) => setStateFilter(([...keys][0] as StateFilter | undefined) ?? 'all')}
        >
          {filters.map((f) => (
            <ToggleButton key={f.id} id={f.id} className="segment">
              {f.label}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        <span className="toolbar-spacer" />
        <ToggleButtonGroup
          className="segmented"
          aria-label="View"
          selectionMode="single"
          disallowEmptySelection
          selectedKeys={[mode]}
          onSelectionChange={(keys) => setMode(([...keys][0] as 'table' | 'map' | undefined) ?? 'table')}
        >
          <ToggleButton id="table" className="segment">
            <Table2 size={15} aria-hidden="true" /> Table
          </ToggleButton>
          <ToggleButton id="map" className="segment" data-testid="show-map">
            <MapIcon size={15} aria-hidden="true" /> Map
          </ToggleButton>
        </ToggleButtonGroup>
        <Button icon={<RefreshCw size={16} aria-hidden="true" />} onPress={() => void load().then(() => checkReplicas())}>
          Refresh
        </Button>
        <Button variant="primary" icon={<Plus size={16} aria-hidden="true" />} onPress={() => openTaskWizard({ mode: 'new' })}>
          New task
        </Button>
      </div>
      {loadError ? <ErrorNotice error={loadError} /> : null}
      <p className="muted table-summary" aria-live="polite" data-testid="task-summary">
        {rows.length} task{rows.length === 1 ? '' : 's'} · {counts.running} running · {counts.failed} failed · {counts.late} late or stale
        {visible.length !== rows.length ? ` · ${visible.length} shown` : ''}
      </p>
      {mode === 'table' ? (
        <div className="tasks-table">
          <DataTable
            label="Replication tasks"
            data={visible}
            columns={columns}
            getRowId={(r) => r.id}
            initialSorting={[{ id: 'name', desc: false }]}
            onRowAction={(r) => openTask(r.id)}
            empty={loaded ? 'No task matches.' : 'Loading tasks…'}
            testId="task-table"
            rowHeight={50}
          />
          <p className="muted hint-line">Enter or double-click opens a task: its live run, history, log and maintenance.</p>
        </div>
      ) : (
        <TopologyMap rows={visible} />
      )}
    </div>
  );
}
