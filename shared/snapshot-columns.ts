import type { SnapshotColumns, SnapshotSummary } from './contract.ts';

// A snapshot listing's columns (contract SnapshotColumnsSchema): made by the backend from `zfs list`'s snapshots, read
// by the snapshot table, which makes its rows from them without a list of objects in between.

type ColumnSnapshot = Pick<SnapshotSummary, 'name' | 'dataset' | 'createtxg' | 'creation' | 'usedBytes' | 'referencedBytes' | 'userRefs'>;

/** The snapshots as columns, in their order; each dataset is named once. */
export function snapshotColumns(snapshots: readonly ColumnSnapshot[]): SnapshotColumns {
  const columns: SnapshotColumns = { datasets: [], dataset: [], name: [], createtxg: [], creation: [], usedBytes: [], referencedBytes: [], userRefs: [] };
  const datasetIndex = new Map<string, number>();
  for (const s of snapshots) {
    let d = datasetIndex.get(s.dataset);
    if (d === undefined) datasetIndex.set(s.dataset, (d = columns.datasets.push(s.dataset) - 1));
    columns.dataset.push(d);
    columns.name.push(s.name);
    columns.createtxg.push(s.createtxg);
    columns.creation.push(s.creation);
    columns.usedBytes.push(s.usedBytes);
    columns.referencedBytes.push(s.referencedBytes);
    columns.userRefs.push(s.userRefs);
  }
  return columns;
}
