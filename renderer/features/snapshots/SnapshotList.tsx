import { Lock, LockOpen, RefreshCw, RotateCcw, Search, Trash2 } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Input, SearchField } from 'react-aria-components';
import { namingSchema } from '../../../shared/naming-schema.ts';
import { formatInZone } from '../../../shared/time-zone.ts';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataOrder, dataTableColumns } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Picker } from '../../components/Picker.tsx';
import { reportError } from '../../lib/error-chain.ts';
import { formatRelative, plural } from '../../lib/format.ts';
import { bytesOrDash } from './bytes.ts';
import { navigate } from '../../lib/navigation.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { FateBadge } from './fate-badge.tsx';
import { destroySnapshots, editHolds, rollbackTo } from './snapshot-actions.tsx';
import { datasetsOf } from './snapshot-rows.ts';
import { fateLine, useSnapshots, type SnapshotRow } from './snapshots-store.ts';

// Snapshots of a dataset (and below) or of a whole NAS in the app's one virtualized table: 100,000 rows scroll as
// smoothly as 100. Filters (search, dataset, naming schema, age) run before the table sees the rows.

const col = dataTableColumns<SnapshotRow>();
// Created, on this computer's clock, written like the names and the review's times (2026-12-01 22:00): a column of
// "12/1/2026, 10:00 PM" next to auto-2026-12-01_22-00 reads as two different times.
const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const stamp = { format: (t: number | Date) => formatInZone(typeof t === 'number' ? t : t.getTime(), localZone) };

// Cells are text where they can be (tooltips on the cell, no wrapper): each element in a cell is work on every scroll
// frame that brings its row into view, 100,000 rows at 400 px a frame. Cells whose text always fits its track with room
// to spare (the referenced size, up to "1023.9 MiB" in 88 px; the hold count) do not clip (meta.fits); the created time
// and the used size (80 px: "1023.9 KiB" was cut at 60) come close to their track's width with some fonts and keep their
// ellipsis. A dataset's path is cut at its start: its last parts are what tell the rows apart.
const columns = [
  col.accessor('dataset', { header: 'Dataset', meta: { width: 'minmax(130px, 1.2fr)', title: (row) => row.dataset, clip: 'start' }, sortFn: 'alphanumeric' }),
  // Wide enough for a whole auto-2026-12-01_22-00: the name is what an admin reads first.
  col.accessor('shortName', { header: 'Snapshot', meta: { width: 'minmax(190px, 1.6fr)', title: (row) => row.name }, sortFn: 'alphanumeric' }),
  // Creation is in whole seconds (a recursive snapshot gives a whole tree the same one): the txg orders within it.
  col.accessor('created', { header: 'Created', meta: { width: '150px' }, sortFn: dataOrder((a, b) => a.created - b.created || a.createtxg - b.createtxg), cell: (info) => stamp.format(info.getValue()) }),
  col.accessor('usedBytes', { header: 'Used', meta: { width: '100px', align: 'end' }, sortFn: 'basic', cell: (info) => bytesOrDash(info.getValue()) }),
  col.accessor('referencedBytes', { header: 'Referenced', meta: { width: '108px', align: 'end', fits: true }, sortFn: 'basic', cell: (info) => bytesOrDash(info.getValue()) }),
  col.accessor('holds', { header: 'Holds', meta: { width: '64px', align: 'end', fits: true, title: (row) => (row.holds > 0 ? row.holdTags.join(', ') : undefined) }, sortFn: 'basic', cell: (info) => (info.getValue() > 0 ? info.getValue() : '') }),
  col.accessor((row) => row.fate.kind, {
    id: 'fate',
    header: 'Fate',
    meta: { width: 'minmax(240px, 2.4fr)', title: (row) => fateLine(row.fate) },
    sortFn: 'alphanumeric',
    // The badge and the words in the cell's one line: the cell's ellipsis shortens a long reason.
    cell: (info) => {
      const fate = info.row.original.fate;
      return (
        <>
          {/* The space keeps "kept" and the reason two words for a screen reader and for copied text. */}
          <FateBadge kind={fate.kind} /> {fateLine(fate)}
        </>
      );
    },
  }),
];

/** The rows come newest first from the store (snapshotRows): the table's first sorting, which it need not redo. */
const newestFirstSorting = [{ id: 'created', desc: true }];

const ages = [
  { id: 'any', label: 'Any age', test: () => true },
  { id: 'day', label: 'Last 24 hours', test: (age: number) => age <= 86_400_000 },
  { id: 'week', label: 'Last 7 days', test: (age: number) => age <= 7 * 86_400_000 },
  { id: 'month', label: 'Last 30 days', test: (age: number) => age <= 30 * 86_400_000 },
  { id: 'older-month', label: 'Older than 30 days', test: (age: number) => age > 30 * 86_400_000 },
  { id: 'older-year', label: 'Older than a year', test: (age: number) => age > 365 * 86_400_000 },
] as const;

/** scope: the dataset listed with everything below it; '' the whole NAS; undefined nothing yet. */
export function SnapshotList({ connections, connectionId, scope }: { connections: Connection[]; connectionId: string | null; scope: string | undefined }) {
  const dataset = scope === undefined || scope === '' ? null : scope;
  const current = useSnapshots((s) => s.current);
  const load = useSnapshots((s) => s.load);
  const reload = useSnapshots((s) => s.reload);
  const snapshotTasks = useSnapshots((s) => s.snapshotTasks);
  const [search, setSearch] = useState('');
  const [datasetFilter, setDatasetFilter] = useState('all');
  const [schemaFilter, setSchemaFilter] = useState('all');
  const [age, setAge] = useState<(typeof ages)[number]['id']>('any');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [active, setActive] = useState<SnapshotRow | null>(null);
  const connection = connections.find((c) => c.id === connectionId) ?? null;

  useEffect(() => {
    // Coming back to the screen shows the listing the store kept (with "Listed … ago" and Refresh) rather than
    // listing 100,000 snapshots again at every visit; another NAS or dataset is listed.
    const kept = useSnapshots.getState().current;
    const same = kept !== null && kept.connectionId === connectionId && kept.dataset === dataset && (kept.listing !== null || kept.loading);
    if (connectionId && scope !== undefined && !same) void load(connectionId, dataset);
    setSelected(new Set());
  }, [connectionId, scope, dataset, load]);

  const rows = useMemo(() => (current && current.connectionId === connectionId && current.dataset === dataset ? current.rows : []), [current, connectionId, dataset]);
  const datasets = useMemo(() => datasetsOf(rows), [rows]);
  const schemas = useMemo(() => [...new Set(snapshotTasks.filter((t) => t.connectionId === connectionId).map((t) => `${t.namingSchema}\u0000${t.timeZone ?? 'UTC'}`))], [snapshotTasks, connectionId]);

  const visible = useMemo(() => {
    const text = search.trim().toLowerCase();
    // No filter: the listing itself (a copy of 100,000 rows at every visit was work for nothing).
    if (text === '' && datasetFilter === 'all' && schemaFilter === 'all' && age === 'any') return rows;
    const now = Date.now();
    const ageTest = ages.find((a) => a.id === age)!.test;
    const schemaTest = (() => {
      if (schemaFilter === 'all') return () => true;
      if (schemaFilter === 'none') {
        const all = schemas.map((s) => namingSchema(s.split('\u0000')[0]!, s.split('\u0000')[1]));
        return (row: SnapshotRow) => !all.some((n) => n.matches(row.shortName));
      }
      const [pattern, zone] = schemaFilter.split('\u0000');
      const schema = namingSchema(pattern!, zone);
      return (row: SnapshotRow) => schema.matches(row.shortName);
    })();
    return rows.filter((r) => (datasetFilter === 'all' || r.dataset === datasetFilter) && (text === '' || r.name.toLowerCase().includes(text)) && ageTest(now - r.created) && schemaTest(r));
  }, [rows, search, datasetFilter, schemaFilter, age, schemas]);

  if (!connection) {
    return (
      <EmptyState title="Choose a NAS">
        <p>Pick a NAS above to see its snapshots.</p>
      </EmptyState>
    );
  }
  if (scope === undefined) {
    return (
      <EmptyState title="Which snapshots?">
        <p>Type a dataset above and press List to see its snapshots and those of every dataset below it, or press List with the field empty for every snapshot of {connection.name}.</p>
      </EmptyState>
    );
  }
  const names = [...selected];
  const done = () => {
    setSelected(new Set());
    void reload();
  };
  return (
    <div className="snapshot-list">
      <div className="toolbar">
        <SearchField className="field search-field" value={search} onChange={setSearch} aria-label="Search snapshots by name">
          <Search size={16} aria-hidden="true" className="search-icon" />
          <Input className="input" placeholder="Search by name" />
        </SearchField>
        <Picker label="Dataset" className="toolbar-picker" options={[{ id: 'all', label: 'All datasets' }, ...datasets.map((d) => ({ id: d, label: d }))]} value={datasetFilter} onChange={setDatasetFilter} />
        <Picker
          label="Naming schema"
          className="toolbar-picker"
          options={[{ id: 'all', label: 'Any name' }, ...schemas.map((s) => ({ id: s, label: s.split('\u0000')[0]! })), { id: 'none', label: 'Named by no task' }]}
          value={schemaFilter}
          onChange={setSchemaFilter}
        />
        <Picker label="Age" className="toolbar-picker" options={ages.map((a) => ({ id: a.id, label: a.label }))} value={age} onChange={(id) => setAge(id as typeof age)} />
        <span className="toolbar-spacer" />
        {current?.listing ? <span className="muted">Listed {formatRelative(current.listing.listedAt)}</span> : null}
        <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={current?.loading ?? false} onPress={() => void reload()}>
          Refresh
        </Button>
      </div>
      {current?.error ? (
        <div className="stack">
          <ErrorNotice error={current.error} />
          <div className="panel-actions">
            <Button variant="primary" onPress={() => reportError(current.error!, { connectionId: connection.id, action: `List the snapshots of ${connection.name}`, retry: () => void reload() })}>
              Fix this
            </Button>
          </div>
        </div>
      ) : null}
      <div className="toolbar toolbar-center selection-bar" aria-label="Selected snapshots">
        <span className="muted" aria-live="polite" data-testid="snapshot-count">
          {plural(visible.length, 'snapshot')}
          {visible.length !== rows.length ? ` of ${rows.length}` : ''}
          {selected.size > 0 ? ` · ${selected.size} selected` : ''}
        </span>
        <span className="toolbar-spacer" />
        <Button icon={<Lock size={16} aria-hidden="true" />} isDisabled={selected.size === 0} onPress={() => editHolds(connection.id, 'hold', names, done)}>
          Hold…
        </Button>
        <Button icon={<LockOpen size={16} aria-hidden="true" />} isDisabled={selected.size === 0} onPress={() => editHolds(connection.id, 'release', names, done)}>
          Release…
        </Button>
        <Button icon={<RotateCcw size={16} aria-hidden="true" />} isDisabled={!active} onPress={() => active && void rollbackTo(connection.id, active.name, done)}>
          Roll back to this…
        </Button>
        <Button variant="danger" icon={<Trash2 size={16} aria-hidden="true" />} isDisabled={selected.size === 0} onPress={() => void destroySnapshots(connection.id, names, done)}>
          {selected.size > 0 ? `Destroy ${plural(selected.size, 'snapshot')}…` : 'Destroy…'}
        </Button>
      </div>
      <div className="snapshot-table">
        <DataTable
          label={`Snapshots of ${dataset ?? connection.name}`}
          data={visible}
          columns={columns}
          getRowId={(r) => r.name}
          initialSorting={newestFirstSorting}
          presorted={newestFirstSorting}
          selection={{ selected, onChange: setSelected }}
          onActiveRowChange={setActive}
          empty={current?.loading ? 'Loading snapshots…' : rows.length > 0 ? 'No snapshot matches the filters.' : 'No snapshots.'}
          testId="snapshot-table"
        />
      </div>
      {active ? (
        <p className="muted table-summary" data-testid="active-snapshot">
          <code>{active.name}</code> — {fateLine(active.fate)}
          {active.fate.taskId ? (
            <>
              {' '}
              <Button variant="ghost" onPress={() => navigate({ view: 'snapshots', tab: 'retention', taskId: active.fate.taskId! })}>
                Review this policy
              </Button>
            </>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}
