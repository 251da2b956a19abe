import { AppFailure } from '../../../shared/result.ts';
import { encryptionKeyProblem, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { assertZfsName, poolOfName } from '../../../shared/zfs-names.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { listDatasets } from '../zfs/datasets.ts';
import { buildLoadKeyArgv, type CreateDatasetRequest } from '../zfs/operations.ts';
import { getProperties } from '../zfs/properties.ts';
import type { Call, EngineNas } from './engine-types.ts';
import type { TaskPlan } from './task-plan.ts';

// encrypt-on-destination: replicas inherit encryption from the destination parent, an encryption root made with
// the task's key (on stdin, never in a command or on the NAS's disk). The key is checked, the parent is created or
// checked (and its key loaded), and each full receive is verified to have arrived encrypted.

export interface DestinationKey {
  format: 'hex' | 'passphrase';
  key: string;
}

/** The key for an encrypt-on-destination task, checked against its key format; null for as-source. */
export function destinationKeyOf(task: ReplicationTask, given: string | undefined): DestinationKey | null {
  if (task.encryption.kind !== 'encrypt-on-destination') return null;
  const key = given ?? task.encryption.key;
  const format = task.encryption.keyFormat;
  if (key === undefined || key === '') {
    throw new AppFailure(
      'INVALID_REQUEST',
      `Task "${task.name}" encrypts its replicas on the destination and its key is not stored.`,
      'Enter the key (the same one every run: it unlocks the existing replicas) to run this task.',
      { needs: 'destinationKey' },
    );
  }
  // The rule the task schema applies to a stored key (shared/task-schemas.ts).
  const problem = encryptionKeyProblem(format, key);
  if (problem !== null) {
    throw new AppFailure('INVALID_REQUEST', problem, format === 'hex' ? 'Generate one with: openssl rand -hex 32' : 'Choose a passphrase of at least 8 characters on one line.');
  }
  return { format, key };
}

/** What creates a missing destination parent: an encryption root made with the task's key when the destination encrypts. */
export function createParentRequests(task: ReplicationTask, key: DestinationKey | null): CreateDatasetRequest[] {
  const parent = assertZfsName('dataset', task.destinationParent);
  if (!key) return [{ dataset: parent, createParents: true }];
  // No -p on the parent itself: with -p an existing unencrypted dataset would count as success.
  const above = parent.includes('/') ? parent.slice(0, parent.lastIndexOf('/')) : null;
  const requests: CreateDatasetRequest[] = above && above.includes('/') ? [{ dataset: above, createParents: true }] : [];
  // keylocation=prompt: zfs reads the key from stdin, so it is never written to the NAS's disk or shown in ps.
  requests.push({ dataset: parent, encryptionKey: key });
  return requests;
}

/** Every source must be readable in plain text, and no existing replica may be plain. */
function checkEncryptableDatasets(source: EngineNas, destination: EngineNas, plan: TaskPlan): void {
  for (const w of plan.datasets) {
    if (w.sourceDataset.encrypted && w.sourceDataset.keyStatus !== 'available') {
      throw new AppFailure('INVALID_REQUEST', `${w.sourceDataset.name} on ${source.label} is encrypted and its key is not loaded, so it cannot be sent decrypted for re-encryption.`, 'Load its key on the source (zfs load-key), or set the task to keep the source encryption (raw send).');
    }
    if (w.destinationDataset && !w.destinationDataset.encrypted) {
      throw new AppFailure('INVALID_REQUEST', `The replica ${w.report.destination} on ${destination.label} exists and is not encrypted.`, 'Replicate into a new destination parent: the app creates it encrypted with the task key.');
    }
  }
}

/** Loads the parent's key (zfs load-key -L prompt, the key on stdin); a wrong key is named as such. */
async function loadParentKey(destination: EngineNas, encryptionRoot: string, key: DestinationKey, call: Call): Promise<void> {
  const { exitCode, stderr } = await destination.host.runner.run(buildLoadKeyArgv(destination.host.capabilities.tools, { dataset: encryptionRoot, passphrase: key.key }), {
    ...call,
    stdin: `${key.key}\n`,
    expectedExitCodes: [0, 1, 255],
  });
  if (exitCode === 0) return;
  throw /incorrect key|invalid key/i.test(stderr)
    ? new AppFailure('INVALID_REQUEST', `ZFS refused the task's key for ${encryptionRoot} on ${destination.label}.`, 'Enter the key the replicas were created with.')
    : failureFromStderr({ label: destination.label, command: `zfs load-key -L prompt ${encryptionRoot}`, exitCode, stderr });
}

/**
 * encrypt-on-destination: replicas inherit encryption from the destination parent (an encryption root made with
 * the task's key). An existing parent must be encrypted, and its key loaded so plain streams can be written.
 */
export async function checkEncryptedParent(task: ReplicationTask, source: EngineNas, destination: EngineNas, plan: TaskPlan, key: DestinationKey, options: Call & { dryRun: boolean }): Promise<void> {
  const { dryRun, ...call } = options;
  const pool = poolOfName(task.destinationParent);
  if (destination.host.capabilities.pools[pool]?.encryption === false) {
    throw new AppFailure('UNSUPPORTED_VERSION', `Pool ${pool} on ${destination.label} has the encryption feature disabled.`, `Enable it (zpool set feature@encryption=enabled ${pool}) or pick a destination in another pool.`);
  }
  checkEncryptableDatasets(source, destination, plan);
  if (!plan.parentExists) return;
  const [parent] = await listDatasets(destination.host, { root: task.destinationParent, depth: 0 }, call);
  if (!parent || parent.encryption === 'off') {
    throw new AppFailure(
      'INVALID_REQUEST',
      `The destination parent ${task.destinationParent} on ${destination.label} is not encrypted; replicas received there would be stored in plain text.`,
      'Pick a destination parent that does not exist yet (the app creates it as an encryption root with the task key) or one that is encrypted.',
    );
  }
  // A dry run changes nothing, not even the key status; the real run loads it.
  if (parent.keyStatus === 'unavailable' && parent.encryptionRoot && !dryRun) await loadParentKey(destination, parent.encryptionRoot, key, call);
}

/** Defence in depth for encrypt-on-destination: a replica that arrived in plain text stops the run loudly. */
export async function assertEncryptedReplica(destination: EngineNas, replica: string, call: Call): Promise<void> {
  const [row] = await getProperties(destination.host, [replica], ['encryption'], {}, call);
  if (row?.value === 'off') {
    throw new AppFailure('INTERNAL', `${replica} on ${destination.label} was received unencrypted although the task encrypts on the destination.`, 'Destroy that replica after checking it, and report this: the receive did not inherit the encryption root.');
  }
}
