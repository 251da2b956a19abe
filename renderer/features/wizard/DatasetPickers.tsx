import { FolderTree, HardDrive, RefreshCw, Search } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Checkbox, Input, SearchField } from 'react-aria-components';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataTableColumns } from '../../components/DataTable.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { reportError } from '../../lib/error-chain.ts';
import { formatBytes } from '../../lib/format.ts';
import { datasetTree, type DatasetNode } from '../datasets/dataset-tree.ts';
import { useDatasets } from '../datasets/datasets-store.ts';
import type { WizardSource } from './wizard-form.ts';

// The dataset browser's tree (the app's virtualized table), reused twice by the wizard: on the source side to pick
// several datasets (each recursive or not, with children excluded), on the destination side to pick one parent (a
// volume is refused: a zvol cannot hold datasets).

const col = dataTableColumns<DatasetNode>();

const columns = [
  col.accessor('name', {
    header: 'Dataset',
    meta: { width: 'minmax(220px, 3fr)' },
    cell: (info) => {
      const d = info.row.original;
      return (
        <span className="dataset-name" title={d.name}>
          {d.type === 'volume' ? <HardDrive size={15} aria-hidden="true" /> : <FolderTree size={15} aria-hidden="true" />}
          <span>{d.label}</span>
          {d.type === 'volume' ? <span className="tag">volume</span> : null}
          {d.encryption !== 'off' ? <span className="tag">encrypted</span> : null}
        </span>
      );
    },
  }),
  col.accessor('usedBytes', { header: 'Used', meta: { width: '90px', align: 'end' }, cell: (info) => formatBytes(info.getValue()) }),
  col.accessor('availableBytes', { header: 'Available', meta: { width: '100px', align: 'end' }, cell: (info) => formatBytes(info.getValue()) }),
];

function useListing(connectionId: string) {
  const listing = useDatasets((s) => (connectionId ? s.byConnection[connectionId] : undefined));
  const load = useDatasets((s) => s.load);
  useEffect(() => {
    if (connectionId && !listing) void load(connectionId);
  }, [connectionId, listing, load]);
  return { listing, reload: () => void load(connectionId) };
}

function TreeToolbar({ filter, setFilter, label, loading, reload }: { filter: string; setFilter(v: string): void; label: string; loading: boolean; reload(): void }) {
  return (
    <div className="toolbar wizard-tree-toolbar">
      <SearchField className="field search-field" value={filter} onChange={setFilter} aria-label={`Filter ${label}`}>
        <Search size={16} aria-hidden="true" className="search-icon" />
        <Input className="input" placeholder="Filter by name" />
      </SearchField>
      <span className="toolbar-spacer" />
      <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={loading} onPress={reload}>
        Refresh
      </Button>
    </div>
  );
}

export function SourceTree({ connectionId, nasName, sources, onChange, error }: { connectionId: string; nasName: string; sources: readonly WizardSource[]; onChange(sources: WizardSource[]): void; error?: string | undefined }) {
  const { listing, reload } = useListing(connectionId);
  const [filter, setFilter] = useState('');
  const tree = useMemo(() => datasetTree(listing?.datasets ?? []), [listing?.datasets]);
  const selected = useMemo(() => new Set(sources.map((s) => s.name)), [sources]);
  const childrenOf = (name: string) => (listing?.datasets ?? []).filter((d) => d.name.startsWith(`${name}/`)).map((d) => d.name);

  const setSelection = (ids: Set<string>) => {
    const kept = sources.filter((s) => ids.has(s.name));
    const added = [...ids].filter((id) => !selected.has(id)).map((name) => ({ name, recursive: childrenOf(name).length > 0, exclude: [] }));
    onChange([...kept, ...added]);
  };
  const update = (name: string, change: Partial<WizardSource>) => onChange(sources.map((s) => (s.name === name ? { ...s, ...change } : s)));

  return (
    <div className="stack">
      <TreeToolbar filter={filter} setFilter={setFilter} label={`source datasets of ${nasName}`} loading={listing?.loading ?? false} reload={reload} />
      {listing?.error ? (
        <div className="stack">
          <ErrorNotice error={listing.error} />
          <div className="panel-actions">
            <Button variant="primary" onPress={() => reportError(listing.error!, { connectionId, action: `List the datasets of ${nasName}`, retry: reload })}>
              Fix this
            </Button>
          </div>
        </div>
      ) : null}
      <div className="wizard-tree">
        <DataTable
          label={`Source datasets of ${nasName}: Space selects`}
          data={tree}
          columns={columns}
          getRowId={(d) => d.name}
          getSubRows={(d) => (d.children.length > 0 ? d.children : undefined)}
          filter={filter}
          matches={(d, text) => d.name.toLowerCase().includes(text.toLowerCase())}
          initialExpanded={true}
          selection={{ selected, onChange: setSelection }}
          revealSelected
          empty={listing?.loading ? 'Loading datasets…' : filter ? `No dataset matches "${filter}".` : 'No datasets.'}
          testId="wizard-source-tree"
        />
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid="error-sources">
          {error}
        </p>
      ) : null}
      {sources.length > 0 ? (
        <ul className="wizard-sources" aria-label="Chosen source datasets">
          {sources.map((source) => {
            const children = childrenOf(source.name);
            return (
              <li key={source.name} className="wizard-source">
                <strong>{source.name}</strong>
                {children.length > 0 ? (
                  <Checkbox className="checkbox" isSelected={source.recursive} onChange={(recursive) => update(source.name, { recursive, exclude: recursive ? source.exclude : [] })}>
                    <span className="checkbox-box" aria-hidden="true" />
                    Include its {children.length} child dataset{children.length === 1 ? '' : 's'} (recursive)
                  </Checkbox>
                ) : (
                  <span className="muted">no child datasets</span>
                )}
                {source.recursive && children.length > 0 ? (
                  <fieldset className="wizard-excludes">
                    <legend>Leave out (exclude)</legend>
                    {children.map((child) => (
                      <Checkbox
                        key={child}
                        className="checkbox"
                        isSelected={source.exclude.includes(child)}
                        onChange={(on) => update(source.name, { exclude: on ? [...source.exclude, child] : source.exclude.filter((e) => e !== child) })}
                      >
                        <span className="checkbox-box" aria-hidden="true" />
                        {child}
                      </Checkbox>
                    ))}
                  </fieldset>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}

export function DestinationTree({ connectionId, nasName, parent, onChange, error }: { connectionId: string; nasName: string; parent: string; onChange(parent: string): void; error?: string | undefined }) {
  const { listing, reload } = useListing(connectionId);
  const [filter, setFilter] = useState('');
  const tree = useMemo(() => datasetTree(listing?.datasets ?? []), [listing?.datasets]);
  const selected = useMemo(() => new Set(parent ? [parent] : []), [parent]);
  // One parent: the newest ticked row replaces the previous one.
  const setSelection = (ids: Set<string>) => {
    const added = [...ids].find((id) => id !== parent);
    onChange(added ?? (ids.has(parent) ? parent : ''));
  };
  return (
    <div className="stack">
      <TreeToolbar filter={filter} setFilter={setFilter} label={`destination datasets of ${nasName}`} loading={listing?.loading ?? false} reload={reload} />
      {listing?.error ? <ErrorNotice error={listing.error} /> : null}
      <div className="wizard-tree">
        <DataTable
          label={`Destination parent on ${nasName}: Space picks`}
          data={tree}
          columns={columns}
          getRowId={(d) => d.name}
          getSubRows={(d) => (d.children.length > 0 ? d.children : undefined)}
          filter={filter}
          matches={(d, text) => d.name.toLowerCase().includes(text.toLowerCase())}
          initialExpanded={true}
          selection={{ selected, onChange: setSelection }}
          revealSelected
          empty={listing?.loading ? 'Loading datasets…' : filter ? `No dataset matches "${filter}".` : 'No datasets.'}
          testId="wizard-destination-tree"
        />
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid="error-destinationParent">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Volumes of a NAS as last listed (a volume cannot be a destination parent). */
export function useVolumes(connectionId: string): string[] {
  const datasets = useDatasets((s) => (connectionId ? s.byConnection[connectionId]?.datasets : undefined));
  return useMemo(() => (datasets ?? []).filter((d) => d.type === 'volume').map((d) => d.name), [datasets]);
}

/** Full names of a NAS's datasets as last listed. */
export function useDatasetNames(connectionId: string): Set<string> {
  const datasets = useDatasets((s) => (connectionId ? s.byConnection[connectionId]?.datasets : undefined));
  return useMemo(() => new Set((datasets ?? []).map((d) => d.name)), [datasets]);
}
