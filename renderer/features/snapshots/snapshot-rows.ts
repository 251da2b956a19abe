import type { NasSnapshotListing } from '../../../shared/contract.ts';
import { snapshotFateList, type FateSnapshot, type SnapshotFate } from '../../../shared/snapshot-fates.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';

// The snapshot table's rows, made once per listing (pure: unit-tested without a window). The rows are all the window
// keeps of a listing (not the listing itself as well): 100,000 snapshots are 100,000 objects either way, and every
// object alive is marked again by each major GC, which lands in a scroll frame.

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

/**
 * One string per distinct value: JSON gives every snapshot its own copy of its dataset's name (100,000 copies of
 * "tank/bench", 1.6 MB), which the rows would keep.
 */
function sharedStrings(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const before = seen.get(value);
    if (before !== undefined) return before;
    seen.set(value, value);
    return value;
  };
}

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
 * Rows of the table: the listing joined with the fates (computed once per load, not per render), newest first — the
 * table's initial sorting, so it need not sort 100,000 rows when it mounts (DataTable `presorted`). `zfs list -s
 * createtxg` lists oldest first: reversed, that is the order already; a whole NAS (one list per pool) is sorted.
 */
export function snapshotRows(connectionId: string, listing: NasSnapshotListing, snapshotTasks: readonly PeriodicSnapshotTask[], replicationTasks: readonly ReplicationTask[], now = Date.now()): SnapshotRow[] {
  const fates = fatesOf(listing.snapshots, { connectionId, holdTags: listing.holdTags, snapshotTasks, replicationTasks, now });
  const dataset = sharedStrings();
  // A map of the few held snapshots: indexing the record by 100,000 names made V8 internalize every name (a copy each).
  const tagsOf = new Map(Object.entries(listing.holdTags));
  const rows = listing.snapshots.map((s, i) => ({
    name: s.name,
    dataset: dataset(s.dataset),
    shortName: s.shortName,
    created: s.creation * 1000,
    createtxg: s.createtxg,
    usedBytes: s.usedBytes,
    referencedBytes: s.referencedBytes,
    holds: s.userRefs ?? 0,
    holdTags: tagsOf.get(s.name) ?? noHoldTags,
    fate: fates[i]!,
  }));
  rows.reverse();
  for (let i = 1; i < rows.length; i++) if (newestFirst(rows[i - 1]!, rows[i]!) > 0) return rows.sort(newestFirst);
  return rows;
}

/**
 * The same rows with their fates decided again (the tasks changed), from the rows themselves: the listing is not kept.
 * The rows go to the decision oldest first, as `zfs list -s createtxg` listed them (each dataset's snapshots keep their
 * order in a table sorted newest first); a hold count of 0 decides as the listing's null did.
 */
export function withFates(rows: readonly SnapshotRow[], context: FateContext): SnapshotRow[] {
  const snapshots: FateSnapshot[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    snapshots.push({ name: row.name, dataset: row.dataset, shortName: row.shortName, userRefs: row.holds, usedBytes: row.usedBytes });
  }
  const fates = fatesOf(snapshots, context);
  return rows.map((row, i) => ({ ...row, fate: fates[rows.length - 1 - i]! }));
}

/** The datasets of the rows, sorted, for the dataset filter: read in one pass (no copy of 100,000 names to collect). */
export function datasetsOf(rows: readonly SnapshotRow[]): string[] {
  const datasets = new Set<string>();
  for (const row of rows) datasets.add(row.dataset);
  return [...datasets].sort();
}
