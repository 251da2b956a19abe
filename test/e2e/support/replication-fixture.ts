// A replication task between the two VMs for e2e specs, made once per spec on the shared fixtures: nas-a and nas-b
// as saved connections (test/e2e/support/contract.ts, shared by every UI spec), a source dataset with
// incompressible data on nas-a, and the task saved through the contract over the bridge, as the wizard saves one.
// remove() deletes the task and the datasets; the shared connections stay for the next spec.
import type { ReplicationTask, ReplicationTaskInput } from '../../../shared/task-schemas.ts';
import { contractClient, nasConnections, type ContractClient } from './contract.ts';
import { nas, sshOk } from './testbed.ts';

export interface ReplicationFixture {
  api: ContractClient;
  task: ReplicationTask;
  sourceId: string;
  destinationId: string;
  /** tank/<name> on nas-a. */
  source: string;
  /** backup/<name>/<name> on nas-b. */
  replica: string;
  /** Writes `mib` MiB of random data into the source and snapshots it as @snapshot. */
  addData(file: string, mib: number, snapshot: string): Promise<void>;
  remove(): Promise<void>;
}

/** Releases every hold under a dataset, then destroys it (a held snapshot cannot be destroyed). */
const destroyHeld = (dataset: string) =>
  `for s in $(zfs list -H -o name -t snapshot -r '${dataset}' 2>/dev/null); do for t in $(zfs holds -H "$s" | cut -f2); do zfs release "$t" "$s"; done; done; zfs destroy -r '${dataset}' 2>/dev/null; true`;

export async function createReplicationFixture(name: string, task: Partial<ReplicationTaskInput> = {}, initialMiB = 6): Promise<ReplicationFixture> {
  const a = nas('nas-a');
  const b = nas('nas-b');
  const api = await contractClient();
  const { a: source, b: destination } = await nasConnections(api);

  const sourceDataset = `tank/${name}`;
  const addData = async (file: string, mib: number, snapshot: string) => {
    await sshOk(a, 'root', `head -c ${mib * 1048576} /dev/urandom > '/${sourceDataset}/${file}' && zfs snapshot '${sourceDataset}@${snapshot}'`);
  };
  await Promise.all([sshOk(b, 'root', destroyHeld(`backup/${name}`)), sshOk(a, 'root', `${destroyHeld(sourceDataset)}; zfs create -o compression=off '${sourceDataset}'`)]);
  await addData('first.bin', initialMiB, 's1');

  const saved = await api.ok('saveTask', {
    name,
    sourceConnectionId: source.id,
    sources: [{ name: sourceDataset }],
    destinationConnectionId: destination.id,
    destinationParent: `backup/${name}`,
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    ...task,
  });

  return {
    api,
    task: saved,
    sourceId: source.id,
    destinationId: destination.id,
    source: sourceDataset,
    replica: `backup/${name}/${name}`,
    addData,
    remove: async () => {
      for (const entry of await api.ok('listTasks', {})) if (entry.task.name.startsWith(name)) await api.ok('removeTask', { id: entry.task.id });
      api.close();
      await Promise.all([sshOk(a, 'root', destroyHeld(sourceDataset)), sshOk(b, 'root', destroyHeld(`backup/${name}`))]);
    },
  };
}
