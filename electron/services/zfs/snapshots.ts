import { assertZfsName } from '../../../shared/zfs-names.ts';
import { field, tabularFormat, type RecordOf } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs list -H -p -t snapshot,bookmark -o <snapshotFields> -s createtxg`: snapshots and bookmarks of a dataset,
// oldest first. A replication plan compares these lists between two NAS by guid, so this is the hot path:
// thousands of lines per dataset (bench/parse-snapshots.bench.ts).

export const snapshotFields = {
  name: field.text('name'),
  type: field.oneOf('type', ['snapshot', 'bookmark']),
  /** Equal guids on two NAS mean the same snapshot, whatever its name. */
  guid: field.guid('guid'),
  createtxg: field.count('createtxg'),
  /** Unix seconds. */
  creation: field.count('creation'),
  /** Bytes only this snapshot holds; null for bookmarks. */
  usedBytes: field.optionalCount('used'),
  /** null for bookmarks. */
  referencedBytes: field.optionalCount('referenced'),
  /** Number of holds (zfs hold); null for bookmarks. */
  userRefs: field.optionalCount('userrefs'),
};

export type SnapshotRow = RecordOf<typeof snapshotFields>;

export interface SnapshotInfo extends SnapshotRow {
  /** "tank/data" of "tank/data@daily-1". */
  dataset: string;
  /** "daily-1" of "tank/data@daily-1" (or of "tank/data#daily-1"). */
  shortName: string;
}

/** The last dataset name seen: consecutive rows of one dataset share the string instead of each holding a copy. */
let lastDataset = '';

function snapshotInfo(row: Readonly<SnapshotRow>): SnapshotInfo {
  const name = row.name;
  const cut = name.indexOf(row.type === 'snapshot' ? '@' : '#');
  if (cut !== lastDataset.length || !name.startsWith(lastDataset)) lastDataset = name.slice(0, cut);
  return {
    name,
    type: row.type,
    guid: row.guid,
    createtxg: row.createtxg,
    creation: row.creation,
    usedBytes: row.usedBytes,
    referencedBytes: row.referencedBytes,
    userRefs: row.userRefs,
    dataset: lastDataset,
    shortName: name.slice(cut + 1),
  };
}

export const snapshotListFormat = tabularFormat(snapshotFields, snapshotInfo);

export interface ListSnapshotsOptions {
  /** Also the snapshots of every descendant dataset; default: this dataset's own only. */
  recursive?: boolean;
  /** Default both. */
  types?: ReadonlyArray<'snapshot' | 'bookmark'>;
}

export function buildListSnapshotsArgv(tools: ZfsToolPaths, dataset: string, options: ListSnapshotsOptions = {}): string[] {
  const types = options.types ?? ['snapshot', 'bookmark'];
  if (types.length === 0) throw new TypeError('types must name at least one type');
  return [
    tools.zfs, 'list', '-H', '-p',
    '-t', types.join(','),
    '-o', snapshotListFormat.outputList,
    '-s', 'createtxg',
    ...(options.recursive ? ['-r'] : ['-d', '1']),
    assertZfsName('dataset', dataset),
  ];
}

export function parseSnapshotList(stdout: string): SnapshotInfo[] {
  try {
    return snapshotListFormat.parse(stdout, 'zfs list -t snapshot,bookmark');
  } finally {
    // A slice keeps the whole output alive: the module must not hold on to one after the parse.
    lastDataset = '';
  }
}

export async function listSnapshots(
  host: ZfsHost,
  dataset: string,
  options: ListSnapshotsOptions = {},
  call: CallOptions = {},
): Promise<SnapshotInfo[]> {
  const { stdout } = await host.runner.run(buildListSnapshotsArgv(host.capabilities.tools, dataset, options), call);
  return parseSnapshotList(stdout);
}
