import type { NasSnapshotListing } from '../../../shared/contract.ts';
import { holdTagLookup, snapshotFateList, type FateSnapshot, type SnapshotFate } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';

// The snapshot table's rows, made once per listing (pure: unit-tested without a window). The rows are all the window
// makes and keeps of a listing, one object per snapshot: the listing comes as columns (contract SnapshotColumnsSchema)
// and is not kept beside them. Whatever loading leaves behind is garbage the next major GC compacts, and that GC
// comes while the table scrolls.

export interface SnapshotRow {
  name: string;
  dataset: string;
  shortName: string;
  /** ms since the epoch (whole seconds: a recursive snapshot gives many the same). */
  created: number;
  /** The txg that created it: orders snapshots made in the same second. */
  createtxg: number;
  usedBytes: number | null;
  referencedBytes: number | null;
  holds: number;
  holdTags: readonly string[];
  /** Shared by every row with the same fate (snapshotFates interns them): compare by content, never mutate. */
  fate: SnapshotFate;
}

/** The hold tags of every snapshot without holds: one array, not one per row. */
const noHoldTags: readonly string[] = Object.freeze([]);

/** A row's fate until the fates are decided: rows are made whole (one shape) before the decision reads them. */
const undecided: SnapshotFate = Object.freeze({ kind: 'none', taskId: null, pruneAt: null, reason: null, timeZone: 'UTC', policyLabel: null, holdTags: noHoldTags });

/** The table's first order: newest first — creation, then the txg within one second (a recursive snapshot's tree). */
export const newestFirst = (a: SnapshotRow, b: SnapshotRow) => b.created - a.created || b.createtxg - a.createtxg;

interface FateContext {
  connectionId: string;
  holdTags: NasSnapshotListing['holdTags'];
  snapshotTasks: readonly PeriodicSnapshotTask[];
  replicationTasks: readonly ReplicationTask[];
  now: number;
}

/** The fates in the snapshots' order (no map by name over 100,000 snapshots). */
const fatesOf = (snapshots: readonly FateSnapshot[], context: FateContext) => snapshotFateList({ ...context, snapshots });

/**
 * Rows of the table, made straight from the listing's columns (no object per snapshot in between: the rows are the
 * only ones), joined with the fates (computed once per load, not per render), newest first — the table's initial
 * sorting, so it need not sort 100,000 rows when it mounts (DataTable `presorted`). The rows themselves go to the
 * decision, in the listing's order. `zfs list -s createtxg` lists oldest first: reversed, that is the order already;
 * a whole NAS (one list per pool) is sorted.
 */
export function snapshotRows(connectionId: string, listing: NasSnapshotListing, snapshotTasks: readonly PeriodicSnapshotTask[], replicationTasks: readonly ReplicationTask[], now = Date.now()): SnapshotRow[] {
  const columns = listing.snapshots;
  const count = columns.name.length;
  const tagsOf = holdTagLookup(listing.holdTags);
  const rows = new Array<SnapshotRow>(count);
  for (let i = 0; i < count; i++) {
    const dataset = columns.datasets[columns.dataset[i]!]!;
    const name = columns.name[i]!;
    const holds = columns.userRefs[i] ?? 0;
    rows[i] = {
      name,
      dataset,
      shortName: name.slice(dataset.length + 1),
      created: columns.creation[i]! * 1000,
      createtxg: columns.createtxg[i]!,
      usedBytes: columns.usedBytes[i]!,
      referencedBytes: columns.referencedBytes[i]!,
      holds,
      holdTags: tagsOf(name, holds) ?? noHoldTags,
      fate: undecided,
    };
  }
  const fates = fatesOf(rows, { connectionId, holdTags: listing.holdTags, snapshotTasks, replicationTasks, now });
  for (let i = 0; i < count; i++) rows[i]!.fate = fates[i]!;
  rows.reverse();
  for (let i = 1; i < rows.length; i++) if (newestFirst(rows[i - 1]!, rows[i]!) > 0) return rows.sort(newestFirst);
  return rows;
}

/**
 * The same rows with their fates decided again (the tasks changed). The rows go to the decision oldest first, as
 * `zfs list -s createtxg` listed them (each dataset's snapshots keep their order in a table sorted newest first).
 */
export function withFates(rows: readonly SnapshotRow[], context: FateContext): SnapshotRow[] {
  const fates = fatesOf(rows.toReversed(), context);
  return rows.map((row, i) => ({ ...row, fate: fates[rows.length - 1 - i]! }));
}

/** The datasets of the rows, sorted, for the dataset filter: read in one pass (no copy of 100,000 names to collect). */
export function datasetsOf(rows: readonly SnapshotRow[]): string[] {
  const datasets = new Set<string>();
  for (const row of rows) datasets.add(row.dataset);
  return [...datasets].sort();
}
