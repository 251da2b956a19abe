import { assertZfsName } from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { field, tabularFormat, type RecordOf } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// Everything a replication plan needs from one side, in ONE command: `zfs list -t all -r <root>` with the fields
// below, oldest first. Datasets, snapshots and bookmarks come in one listing; fields that do not apply to a type
// print "-" and parse as null.

/** User property set on promoted replicas: the relationship is broken until the admin resets it. */
export const promotedProperty = 'zfs-replication:promoted';

export const replicationListingFields = {
  name: field.text('name'),
  type: field.oneOf('type', ['filesystem', 'volume', 'snapshot', 'bookmark']),
  guid: field.guid('guid'),
  createtxg: field.count('createtxg'),
  /** Bytes; null for bookmarks. */
  usedBytes: field.optionalCount('used'),
  /** Datasets: bytes written since the newest snapshot. Snapshots: bytes written between the previous one and it. */
  writtenBytes: field.optionalCount('written'),
  /** Snapshots: holds on it. */
  userRefs: field.optionalCount('userrefs'),
  /** "off" or the cipher; null for bookmarks. */
  encryption: field.optionalText('encryption'),
  keyStatus: field.optionalText('keystatus'),
  /** Datasets: "on" or "off" (effective value); lets an incremental receive skip re-setting readonly=on. */
  readonly: field.optionalText('readonly'),
  /** Datasets: set while an interrupted `zfs receive -s` can be resumed. */
  receiveResumeToken: field.optionalText('receive_resume_token'),
  /** Datasets: the mark \`promote\` leaves on a replica made writable for failover ("<task id> promoted <when> by <who>"). */
  promoted: field.optionalText(promotedProperty),
};

export const replicationListingFormat = tabularFormat(replicationListingFields);
export type ReplicationListingRow = RecordOf<typeof replicationListingFields>;

export interface ListedDataset {
  name: string;
  type: 'filesystem' | 'volume';
  guid: string;
  usedBytes: number;
  writtenBytes: number;
  encrypted: boolean;
  keyStatus: string | null;
  receiveResumeToken: string | null;
  /** The effective readonly property is on. */
  readonly: boolean;
  /** The failover mark of \`promote\` (the user property zfs-replication:promoted), null when unset. */
  promoted: string | null;
  /** Oldest first; writtenBytes: what the dataset wrote between the previous snapshot and this one. */
  snapshots: Array<{ name: string; guid: string; createtxg: number; usedBytes: number; userRefs: number; writtenBytes: number }>;
  bookmarks: Array<{ name: string; guid: string; createtxg: number }>;
}

export interface ListingScope {
  /** 1: the dataset with its own snapshots and bookmarks only; absent: the whole tree (-r). */
  depth?: 1;
}

export function buildReplicationListingArgv(tools: ZfsToolPaths, root: string, scope: ListingScope = {}): string[] {
  return [tools.zfs, 'list', '-H', '-p', '-t', 'all', '-o', replicationListingFormat.outputList, '-s', 'createtxg', ...(scope.depth === 1 ? ['-d', '1'] : ['-r']), assertZfsName('dataset', root)];
}

/** Datasets in parent-before-child order, each with its snapshots and bookmarks (short names). */
export function parseReplicationListing(stdout: string): Map<string, ListedDataset> {
  const datasets = new Map<string, ListedDataset>();
  const rows = replicationListingFormat.parse(stdout, 'zfs list -t all');
  for (const row of rows) {
    if (row.type === 'filesystem' || row.type === 'volume') {
      datasets.set(row.name, {
        name: row.name,
        type: row.type,
        guid: row.guid,
        usedBytes: row.usedBytes ?? 0,
        writtenBytes: row.writtenBytes ?? 0,
        encrypted: row.encryption !== null && row.encryption !== 'off',
        keyStatus: row.keyStatus,
        receiveResumeToken: row.receiveResumeToken,
        readonly: row.readonly === 'on',
        promoted: row.promoted,
        snapshots: [],
        bookmarks: [],
      });
    }
  }
  for (const row of rows) {
    if (row.type !== 'snapshot' && row.type !== 'bookmark') continue;
    const cut = row.name.indexOf(row.type === 'snapshot' ? '@' : '#');
    const dataset = datasets.get(row.name.slice(0, cut));
    if (!dataset) continue;
    const entry = { name: row.name.slice(cut + 1), guid: row.guid, createtxg: row.createtxg };
    if (row.type === 'snapshot') dataset.snapshots.push({ ...entry, usedBytes: row.usedBytes ?? 0, userRefs: row.userRefs ?? 0, writtenBytes: row.writtenBytes ?? 0 });
    else dataset.bookmarks.push(entry);
  }
  // -s createtxg sorts the datasets by creation too; a child always comes after its parent's creation, but a
  // received parent can be newer than its children: order by name depth for receive order.
  return new Map([...datasets.entries()].sort((a, b) => a[0].split('/').length - b[0].split('/').length));
}

/** The listing under root, or null when root does not exist. */
export async function listForReplication(host: ZfsHost, root: string, call: CallOptions = {}, scope: ListingScope = {}): Promise<Map<string, ListedDataset> | null> {
  const argv = buildReplicationListingArgv(host.capabilities.tools, root, scope);
  const { exitCode, stdout, stderr } = await host.runner.run(argv, { ...call, expectedExitCodes: [0, 1] });
  if (exitCode === 1) {
    if (/dataset does not exist/.test(stderr)) return null;
    throw failureFromStderr({ label: host.runner.label, command: buildCommandLine(argv), exitCode, stderr });
  }
  return parseReplicationListing(stdout);
}
