import { FolderTree, HardDrive, Lock, LockOpen, RefreshCw, Search } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Input, SearchField } from 'react-aria-components';
import { useShallow } from 'zustand/react/shallow';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataTableColumns } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Picker } from '../../components/Picker.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { reportError } from '../../lib/error-chain.ts';
import { formatBytes, formatRelative, plural } from '../../lib/format.ts';
import { navigate } from '../../lib/navigation.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { datasetTree, type DatasetNode } from './dataset-tree.ts';
import { useDatasets } from './datasets-store.ts';
import { nasPickerOptions } from '../fleet/nas-options.ts';

// The dataset browser of one NAS: its pools, then the tree of filesystems and volumes with used / available /
// referenced, encryption and key status, read-only, and an interrupted receive (resume token) flagged. The tree is
// the app's virtualized table, so thousands of datasets stay responsive; the filter keeps the parents of matches.

const col = dataTableColumns<DatasetNode>();

const columns = [
  col.accessor('name', {
    header: 'Name',
    meta: { width: 'minmax(260px, 3fr)' },
    cell: (info) => {
      const d = info.row.original;
      return (
        <span className="dataset-name" title={d.name}>
          {d.type === 'volume' ? <HardDrive size={15} aria-hidden="true" /> : <FolderTree size={15} aria-hidden="true" />}
          <span>{d.label}</span>
          {d.type === 'volume' ? <span className="tag">volume</span> : null}
        </span>
      );
    },
  }),
  col.accessor('usedBytes', { header: 'Used', meta: { width: '100px', align: 'end' }, sortFn: 'basic', cell: (info) => formatBytes(info.getValue()) }),
  col.accessor('availableBytes', { header: 'Available', meta: { width: '100px', align: 'end' }, sortFn: 'basic', cell: (info) => formatBytes(info.getValue()) }),
  col.accessor('referencedBytes', { header: 'Referenced', meta: { width: '110px', align: 'end' }, sortFn: 'basic', cell: (info) => formatBytes(info.getValue()) }),
  col.accessor('encryption', {
    header: 'Encryption',
    meta: { width: '170px' },
    cell: (info) => {
      const d = info.row.original;
      if (d.encryption === 'off') return <span className="muted">off</span>;
      const locked = d.keyStatus === 'unavailable';
      return (
        <span className="encryption" title={`${d.encryption}, key ${d.keyStatus ?? 'unknown'}`}>
          {locked ? <Lock size={14} aria-hidden="true" /> : <LockOpen size={14} aria-hidden="true" />} {d.encryption} · {locked ? 'locked' : 'key loaded'}
        </span>
      );
    },
  }),
  col.display({
    id: 'state',
    header: 'State',
    meta: { width: 'minmax(150px, 1.2fr)' },
    cell: (info) => {
      const d = info.row.original;
      return (
        <span className="dataset-state">
          {d.readonly ? <StatusBadge tone="neutral">read-only</StatusBadge> : null}
          {d.receiveResumeToken ? (
            <StatusBadge tone="warn" title="A receive was interrupted; the next run resumes it (or it can be aborted).">
              interrupted receive
            </StatusBadge>
          ) : null}
        </span>
      );
    },
  }),
];

/** initialFilter: the command palette jumps to a dataset by opening its NAS filtered to its name. */
export function DatasetsView({ connectionId, initialFilter = '' }: { connectionId: string | null; initialFilter?: string }) {
  const connections = useFleet((s) => s.connections);
  const loadFleet = useFleet((s) => s.load);
  const listing = useDatasets(useShallow((s) => (connectionId ? s.byConnection[connectionId] : undefined)));
  const load = useDatasets((s) => s.load);
  const [filter, setFilter] = useState(initialFilter);
  const [active, setActive] = useState<DatasetNode | null>(null);
  const connection = connections.find((c) => c.id === connectionId) ?? null;

  useEffect(() => {
    if (connections.length === 0) void loadFleet();
  }, [connections.length, loadFleet]);
  useEffect(() => {
    if (connectionId) void load(connectionId);
    setActive(null);
  }, [connectionId, load]);

  const tree = useMemo(() => datasetTree(listing?.datasets ?? []), [listing?.datasets]);
  // The summary says how many match while a filter is on (the parents shown for context do not count).
  const matching = useMemo(() => {
    const text = filter.trim().toLowerCase();
    return text ? (listing?.datasets ?? []).filter((d) => d.name.toLowerCase().includes(text)).length : null;
  }, [filter, listing?.datasets]);
  const pickNas = (id: string) => navigate({ view: 'datasets', connectionId: id });

  if (connections.length === 0) {
    return (
      <div className="view">
        <EmptyState title="No NAS to browse" action={<Button onPress={() => navigate({ view: 'fleet' })}>Go to the fleet</Button>}>
          <p>Add a NAS first; its pools and datasets appear here.</p>
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="view view-wide datasets-view">
      <div className="toolbar">
        <Picker
          label="NAS"
          className="toolbar-picker"
          options={nasPickerOptions(connections)}
          value={connectionId}
          onChange={pickNas}
          placeholder="Choose a NAS"
        />
        <SearchField className="field search-field" value={filter} onChange={setFilter} aria-label="Filter datasets by name">
          <Search size={16} aria-hidden="true" className="search-icon" />
          <Input className="input" placeholder="Filter by name" />
        </SearchField>
        <span className="toolbar-spacer" />
        {listing?.at ? <span className="muted">Loaded {formatRelative(listing.at)}</span> : null}
        {connectionId ? (
          <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={listing?.loading ?? false} onPress={() => void load(connectionId)}>
            Refresh
          </Button>
        ) : null}
      </div>

      {!connection ? (
        <EmptyState title="Choose a NAS">
          <p>Pick a NAS above to see its pools and datasets.</p>
        </EmptyState>
      ) : (
        <>
          {listing?.error ? (
            <div className="stack">
              <ErrorNotice error={listing.error} />
              <div className="panel-actions">
                <Button variant="primary" onPress={() => reportError(listing.error!, { connectionId: connection.id, action: `List the datasets of ${connection.name}`, retry: () => void load(connection.id) })}>
                  Fix this
                </Button>
              </div>
            </div>
          ) : null}
          {listing && listing.pools.length > 0 ? (
            <ul className="pool-strip" aria-label={`Pools of ${connection.name}`}>
              {listing.pools.map((p) => (
                <li key={p.name} className="pool-chip">
                  <strong>{p.name}</strong>
                  <StatusBadge tone={p.health === 'ONLINE' ? 'ok' : p.health === 'DEGRADED' ? 'warn' : 'fail'}>{p.health}</StatusBadge>
                  <span className="muted">
                    {formatBytes(p.freeBytes)} free of {formatBytes(p.sizeBytes)}
                    {p.readonly ? ' · read-only' : ''}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          <div className="datasets-table">
            <DataTable
              label={`Datasets of ${connection.name}`}
              data={tree}
              columns={columns}
              getRowId={(d) => d.name}
              getSubRows={(d) => (d.children.length > 0 ? d.children : undefined)}
              filter={filter}
              matches={(d, text) => d.name.toLowerCase().includes(text.toLowerCase())}
              initialExpanded={true}
              onActiveRowChange={setActive}
              empty={listing?.loading ? 'Loading datasets…' : filter ? `No dataset matches "${filter}".` : 'No datasets.'}
              testId="dataset-table"
            />
          </div>
          <p className="muted table-summary" aria-live="polite">
            {listing?.at ? `${matching === null ? '' : `${matching} of `}${plural(listing.datasets.length, 'dataset')} on ${plural(listing.pools.length, 'pool')}${matching === null ? '' : ` match "${filter.trim()}"`}` : 'Loading…'}
            {active ? ` · ${active.name}${active.mountpoint ? ` mounted at ${active.mountpoint}` : ''}` : ''}
          </p>
        </>
      )}
    </div>
  );
}
