import { AppFailure } from '../../../shared/result.ts';
import {
  assertHoldTag,
  assertZfsName,
  assertZfsPropertyName,
  assertZfsPropertyValue,
  isSameOrDescendant,
  poolOfName,
  quoteName,
  splitZfsName,
} from '../../../shared/zfs-names.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import type { HoldBatches } from './hold-batches.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// The changes the app makes besides send/receive and destroy/rollback: every name checked first, one remote
// command each. Builders are exported for tests; the async functions run them through the host's runner.

export type PropertyAssignments = Readonly<Record<string, string>>;

function propertyArguments(properties: PropertyAssignments | undefined): string[] {
  return Object.entries(properties ?? {}).map(([property, value]) => {
    assertZfsPropertyName(property);
    assertZfsPropertyValue(value, property);
    return `${property}=${value}`;
  });
}

function overlapMessage(overlap: string, dataset: string): string {
  return overlap === dataset
    ? `Two snapshots of ${quoteName(dataset)} cannot be taken in one command.`
    : `${quoteName(overlap)} is inside ${quoteName(dataset)}, which the recursive snapshot already covers.`;
}

function distinct(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new AppFailure('INVALID_REQUEST', `${quoteName(name)} is named twice in the ${what}.`);
    seen.add(name);
  }
}

// ---- snapshot --------------------------------------------------------------------------------------------

export interface CreateSnapshotsRequest {
  /**
   * Full names, one per dataset, all in one pool: ZFS takes them in one transaction group (atomic, the same
   * point in time). ZFS refuses two snapshots of one dataset in one command.
   */
  snapshots: readonly string[];
  /** -r: the same-named snapshot of every descendant too, atomically. */
  recursive?: boolean;
  /** User properties to set on the new snapshots, e.g. { 'org.zrd:task': '…' }. */
  properties?: PropertyAssignments;
}

export function buildCreateSnapshotsArgv(tools: ZfsToolPaths, request: CreateSnapshotsRequest): string[] {
  if (request.snapshots.length === 0) throw new AppFailure('INVALID_REQUEST', 'Name at least one snapshot to create.');
  const snapshots = request.snapshots.map((snapshot) => assertZfsName('snapshot', snapshot));
  distinct(snapshots, 'snapshot list');
  const pool = poolOfName(snapshots[0]!);
  const elsewhere = snapshots.find((snapshot) => poolOfName(snapshot) !== pool);
  if (elsewhere) {
    throw new AppFailure(
      'INVALID_REQUEST',
      `${quoteName(elsewhere)} is not in pool "${pool}"; one snapshot command covers one pool.`,
      'Snapshot each pool separately.',
    );
  }
  const datasets = snapshots.map((snapshot) => splitZfsName(snapshot).dataset);
  for (const [index, dataset] of datasets.entries()) {
    const overlap = datasets.find((other, otherIndex) => otherIndex !== index && (other === dataset || (request.recursive && isSameOrDescendant(other, dataset))));
    if (overlap !== undefined) {
      throw new AppFailure(
        'INVALID_REQUEST',
        overlapMessage(overlap, dataset),
        'Take one snapshot per dataset per command; snapshots of the same dataset need separate commands.',
      );
    }
  }
  return [
    tools.zfs, 'snapshot',
    ...(request.recursive ? ['-r'] : []),
    ...propertyArguments(request.properties).flatMap((assignment) => ['-o', assignment]),
    ...snapshots,
  ];
}

export async function createSnapshots(host: ZfsHost, request: CreateSnapshotsRequest, call: CallOptions = {}): Promise<{ created: string[] }> {
  await host.runner.run(buildCreateSnapshotsArgv(host.capabilities.tools, request), call);
  return { created: [...request.snapshots] };
}

// ---- hold / release --------------------------------------------------------------------------------------

export interface HoldRequest {
  tag: string;
  /** Full snapshot names. */
  snapshots: readonly string[];
  /** -r: same-named snapshots of descendants too. */
  recursive?: boolean;
}

export function buildHoldArgv(tools: ZfsToolPaths, verb: 'hold' | 'release', request: HoldRequest): string[] {
  if (request.snapshots.length === 0) throw new AppFailure('INVALID_REQUEST', `Name at least one snapshot to ${verb}.`);
  const snapshots = request.snapshots.map((snapshot) => assertZfsName('snapshot', snapshot));
  distinct(snapshots, 'snapshot list');
  return [tools.zfs, verb, ...(request.recursive ? ['-r'] : []), assertHoldTag(request.tag), ...snapshots];
}

/** A held snapshot cannot be destroyed (by anyone) until every hold is released. */
export async function holdSnapshots(host: ZfsHost, request: HoldRequest, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildHoldArgv(host.capabilities.tools, 'hold', request), call);
}

export async function releaseSnapshots(host: ZfsHost, request: HoldRequest, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildHoldArgv(host.capabilities.tools, 'release', request), call);
}

/** What zfs says when the hold is already there (hold), not there (release), or its snapshot is gone. */
const holdAlreadySettled = /tag already exists|no such tag|does not exist|could not find/;

/**
 * Holds or releases many snapshots in ONE command (a task's holds on every dataset of a tree). A re-run after a
 * crash finds some holds already in place (or already gone): zfs then refuses the whole batch, so each snapshot is
 * retried alone and the ones already settled are skipped. Any other failure is an error.
 */
export async function settleHolds(host: ZfsHost, verb: 'hold' | 'release', request: HoldRequest, call: CallOptions = {}): Promise<void> {
  if (request.snapshots.length === 0) return;
  if ((await runHoldCommand(host, verb, request, call)) === 'done' || request.snapshots.length === 1) return;
  for (const snapshot of request.snapshots) await settleHolds(host, verb, { ...request, snapshots: [snapshot] }, call);
}

/** One hold/release command: 'done', or 'partly settled' when zfs refused it because a hold was already settled. */
async function runHoldCommand(host: ZfsHost, verb: 'hold' | 'release', request: HoldRequest, call: CallOptions): Promise<'done' | 'partly settled'> {
  const argv = buildHoldArgv(host.capabilities.tools, verb, request);
  const { exitCode, stderr } = await host.runner.run(argv, { ...call, expectedExitCodes: [0, 1] });
  if (exitCode === 0) return 'done';
  if (!holdAlreadySettled.test(stderr)) throw failureFromStderr({ label: host.runner.label, command: buildCommandLine(argv), exitCode, stderr });
  return 'partly settled';
}

/**
 * Settles the holds of holdBatches(): the -r roots in one command (one sync task per root instead of one per
 * snapshot) beside the singles in another. A -r batch is atomic: refused because one of its snapshots is already
 * settled, it is retried as the snapshots it stands for (settleHolds: in one command, then one by one).
 */
export async function settleHoldBatches(host: ZfsHost, verb: 'hold' | 'release', tag: string, batches: HoldBatches, call: CallOptions = {}): Promise<void> {
  const recursive = async () => {
    if (batches.recursive.length === 0) return;
    if ((await runHoldCommand(host, verb, { tag, recursive: true, snapshots: batches.recursive.map((b) => b.snapshot) }, call)) === 'done') return;
    await settleHolds(host, verb, { tag, snapshots: batches.recursive.flatMap((b) => b.members) }, call);
  };
  await Promise.all([recursive(), settleHolds(host, verb, { tag, snapshots: batches.single }, call)]);
}

// ---- bookmark --------------------------------------------------------------------------------------------

export interface CreateBookmarkRequest {
  /** A snapshot ("ds@s") or, since OpenZFS 2.0, another bookmark ("ds#b"). */
  source: string;
  /** "ds#name", same dataset as the source. */
  bookmark: string;
}

export function buildCreateBookmarkArgv(tools: ZfsToolPaths, request: CreateBookmarkRequest): string[] {
  const source = request.source.includes('#') ? assertZfsName('bookmark', request.source) : assertZfsName('snapshot', request.source);
  const bookmark = assertZfsName('bookmark', request.bookmark);
  if (splitZfsName(source).dataset !== splitZfsName(bookmark).dataset) {
    throw new AppFailure('INVALID_REQUEST', `A bookmark belongs to the dataset of its snapshot: ${quoteName(bookmark)} is not in ${quoteName(splitZfsName(source).dataset)}.`);
  }
  return [tools.zfs, 'bookmark', source, bookmark];
}

export async function createBookmark(host: ZfsHost, request: CreateBookmarkRequest, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildCreateBookmarkArgv(host.capabilities.tools, request), call);
}

// ---- create dataset --------------------------------------------------------------------------------------

export interface CreateDatasetRequest {
  dataset: string;
  /** A volume (zvol) of this many bytes; a filesystem when absent. */
  volumeSizeBytes?: number;
  /** Volume without reservation (-s). */
  sparse?: boolean;
  /** -p: create missing parents. */
  createParents?: boolean;
  properties?: PropertyAssignments;
  /**
   * A new encryption root: encryption=on, this keyformat, keylocation=prompt. The key goes on stdin (createDataset),
   * never on the command line (ps would show it) nor on the NAS's disk.
   */
  encryptionKey?: { format: 'hex' | 'passphrase'; key: string };
}

export function buildCreateDatasetArgv(tools: ZfsToolPaths, request: CreateDatasetRequest): string[] {
  const dataset = assertZfsName('dataset', request.dataset);
  if (!dataset.includes('/')) throw new AppFailure('INVALID_REQUEST', `${quoteName(dataset)} is a pool name; a new dataset goes below a pool, e.g. "${dataset}/data".`);
  const volume: string[] = [];
  if (request.volumeSizeBytes !== undefined) {
    if (!Number.isSafeInteger(request.volumeSizeBytes) || request.volumeSizeBytes <= 0) {
      throw new AppFailure('INVALID_REQUEST', 'A volume size is a whole, positive number of bytes.');
    }
    volume.push(...(request.sparse ? ['-s'] : []), '-V', String(request.volumeSizeBytes));
  } else if (request.sparse) {
    throw new AppFailure('INVALID_REQUEST', 'Only a volume can be sparse.');
  }
  const encryption: PropertyAssignments = request.encryptionKey ? { encryption: 'on', keyformat: request.encryptionKey.format, keylocation: 'prompt' } : {};
  return [
    tools.zfs, 'create',
    ...(request.createParents ? ['-p'] : []),
    ...volume,
    ...propertyArguments({ ...encryption, ...request.properties }).flatMap((assignment) => ['-o', assignment]),
    dataset,
  ];
}

export async function createDataset(host: ZfsHost, request: CreateDatasetRequest, call: CallOptions = {}): Promise<void> {
  const key = request.encryptionKey?.key;
  await host.runner.run(buildCreateDatasetArgv(host.capabilities.tools, request), { ...call, ...(key === undefined ? {} : { stdin: `${key}\n` }) });
}

// ---- rename ----------------------------------------------------------------------------------------------

export interface RenameRequest {
  /** A dataset, or a snapshot "ds@old". */
  from: string;
  /** A dataset in the same pool, or "ds@new" of the same dataset. */
  to: string;
  /** Datasets: -p, create missing parents of `to`. */
  createParents?: boolean;
  /** Snapshots: -r, rename the same-named snapshot of every descendant too. */
  recursive?: boolean;
}

export function buildRenameArgv(tools: ZfsToolPaths, request: RenameRequest): string[] {
  if (request.from.includes('@')) {
    const from = splitZfsName(assertZfsName('snapshot', request.from));
    const to = splitZfsName(assertZfsName('snapshot', request.to));
    if (from.dataset !== to.dataset) {
      throw new AppFailure('INVALID_REQUEST', `A snapshot keeps its dataset when renamed: ${quoteName(request.to)} is not in ${quoteName(from.dataset)}.`);
    }
    if (request.createParents) throw new AppFailure('INVALID_REQUEST', 'createParents applies to datasets, not snapshots.');
    return [tools.zfs, 'rename', ...(request.recursive ? ['-r'] : []), request.from, request.to];
  }
  const from = assertZfsName('dataset', request.from);
  const to = assertZfsName('dataset', request.to);
  if (!from.includes('/') || !to.includes('/')) throw new AppFailure('INVALID_REQUEST', 'The app does not rename pools (their root dataset).');
  if (poolOfName(from) !== poolOfName(to)) {
    throw new AppFailure('INVALID_REQUEST', `A dataset stays in its pool when renamed: ${quoteName(to)} is not in "${poolOfName(from)}".`, 'To move data to another pool, replicate it.');
  }
  if (request.recursive) throw new AppFailure('INVALID_REQUEST', 'recursive applies to snapshot renames.');
  return [tools.zfs, 'rename', ...(request.createParents ? ['-p'] : []), from, to];
}

export async function rename(host: ZfsHost, request: RenameRequest, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildRenameArgv(host.capabilities.tools, request), call);
}

// ---- properties ------------------------------------------------------------------------------------------

export function buildSetPropertiesArgv(tools: ZfsToolPaths, name: string, properties: PropertyAssignments): string[] {
  const assignments = propertyArguments(properties);
  if (assignments.length === 0) throw new AppFailure('INVALID_REQUEST', 'Name at least one property to set.');
  const target = name.includes('@') ? assertZfsName('snapshot', name) : assertZfsName('dataset', name);
  return [tools.zfs, 'set', ...assignments, target];
}

/** Several properties in one command: zfs applies all of them or none. */
export async function setProperties(host: ZfsHost, name: string, properties: PropertyAssignments, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildSetPropertiesArgv(host.capabilities.tools, name, properties), call);
}

export interface InheritRequest {
  name: string;
  property: string;
  /** -r: descendants too. */
  recursive?: boolean;
  /** -S: go back to the received value, if any, instead of inheriting. */
  revertToReceived?: boolean;
}

export function buildInheritArgv(tools: ZfsToolPaths, request: InheritRequest): string[] {
  const target = request.name.includes('@') ? assertZfsName('snapshot', request.name) : assertZfsName('dataset', request.name);
  return [
    tools.zfs, 'inherit',
    ...(request.recursive ? ['-r'] : []),
    ...(request.revertToReceived ? ['-S'] : []),
    assertZfsPropertyName(request.property),
    target,
  ];
}

export async function inheritProperty(host: ZfsHost, request: InheritRequest, call: CallOptions = {}): Promise<void> {
  await host.runner.run(buildInheritArgv(host.capabilities.tools, request), call);
}

// ---- mount ----------------------------------------------------------------------------------------------

export function buildMountArgv(tools: ZfsToolPaths, dataset: string): string[] {
  return [tools.zfs, 'mount', assertZfsName('dataset', dataset)];
}

// ---- encryption keys -------------------------------------------------------------------------------------

export interface LoadKeyRequest {
  dataset: string;
  /** For keyformat=passphrase: sent on stdin, never on the command line (ps would show it). Absent: the dataset's keylocation (file://...). */
  passphrase?: string;
  /** -n: only check that the key is right. */
  dryRun?: boolean;
}

export function buildLoadKeyArgv(tools: ZfsToolPaths, request: LoadKeyRequest): string[] {
  return [
    tools.zfs, 'load-key',
    ...(request.dryRun ? ['-n'] : []),
    ...(request.passphrase !== undefined ? ['-L', 'prompt'] : []),
    assertZfsName('dataset', request.dataset),
  ];
}

export async function loadKey(host: ZfsHost, request: LoadKeyRequest, call: CallOptions = {}): Promise<void> {
  const passphrase = request.passphrase;
  if (passphrase !== undefined) {
    // zfs reads one line from a non-terminal stdin; OpenZFS wants 8 to 512 bytes.
    if (passphrase.includes('\n') || passphrase.includes('\r')) throw new AppFailure('INVALID_REQUEST', 'A passphrase cannot contain a line break.');
    const bytes = Buffer.byteLength(passphrase);
    if (bytes < 8 || bytes > 512) throw new AppFailure('INVALID_REQUEST', 'A ZFS passphrase is 8 to 512 bytes long.');
  }
  await host.runner.run(buildLoadKeyArgv(host.capabilities.tools, request), {
    ...call,
    ...(passphrase !== undefined ? { stdin: `${passphrase}\n` } : {}),
  });
}
