import { randomUUID } from 'node:crypto';
import type { EngineNas } from '../../../electron/services/replication/replication-engine.ts';
import { ReplicationTaskSchema, type ReplicationTask, type ReplicationTaskInput } from '../../../shared/task-schemas.ts';
import { sshOk, type VmInfo } from '../../nas/testbed.ts';
import { connectionTo, sshApp, type SshApp } from './ssh-app.ts';
import { destroyTreeScript } from './zfs-scripts.ts';
import { nasVm, openZfsHosts, type TestUser, type ZfsHosts } from './zfs-hosts.ts';

// What the replication integration tests share: nas-a (pool tank) is the source, nas-b (pool backup) the
// destination; the engine reaches both through the app's own ssh runner. Each test uses its own dataset names.

export const a = (): VmInfo => nasVm('nas-a');
export const b = (): VmInfo => nasVm('nas-b');

export interface ReplicationBed {
  hosts: ZfsHosts;
  app: SshApp;
  sourceId: string;
  destinationId: string;
  nasFor(user: TestUser): (connectionId: string) => Promise<EngineNas>;
  task(name: string, overrides?: Partial<ReplicationTaskInput>): ReplicationTask;
  close(): Promise<void>;
}

/** Opens the hosts; with `directUsers`, nas-a's users also trust nas-b for direct (NAS-to-NAS) transfers. */
export async function openReplicationBed(options: { directUsers?: ReadonlyArray<'root' | 'admin'> } = {}): Promise<ReplicationBed> {
  const hosts = openZfsHosts();
  const app = sshApp();
  const sourceId = randomUUID();
  const destinationId = randomUUID();
  const trusted: Array<[ReturnType<typeof connectionTo>, ReturnType<typeof connectionTo>]> = [];
  for (const user of options.directUsers ?? []) {
    const source = connectionTo(a(), user, user === 'root' ? 'root' : 'sudo');
    const destination = connectionTo(b(), user, user === 'root' ? 'root' : 'sudo');
    await app.pin(source);
    await app.pin(destination);
    await app.services.establishNasToNasTrust(source, destination, { host: 'nas-b', port: 22 });
    trusted.push([source, destination]);
  }
  return {
    hosts,
    app,
    sourceId,
    destinationId,
    nasFor(user) {
      return async (connectionId) => {
        const vm = connectionId === sourceId ? a() : b();
        return { host: await hosts.host(vm, user), privilege: user === 'root' ? 'root' : user === 'admin' ? 'sudo' : 'delegated', label: `${user}@${vm.name}` };
      };
    },
    task(name, overrides = {}) {
      return ReplicationTaskSchema.parse({
        id: randomUUID(),
        name,
        sourceConnectionId: sourceId,
        sources: [{ name: `tank/${name}`, recursive: false }],
        destinationConnectionId: destinationId,
        destinationParent: `backup/${name}-replica`,
        transport: { kind: 'relay' },
        selection: { kind: 'all' },
        ...overrides,
      });
    },
    async close() {
      // The VMs are shared by every test file: leave no NAS-to-NAS trust behind (the ssh tests expect none).
      for (const [source, destination] of trusted) await app.services.removeNasToNasTrust(source, destination, { removeGeneratedSourceKey: true });
      await hosts.close();
      await app.dispose();
    },
  };
}

/** Fresh source tree `tank/<name>` (script runs after create, with $D = the dataset) and no replica yet. */
export async function freshSource(name: string, script: string): Promise<void> {
  // Names are unique per test and the VMs are fresh per run: this only clears a re-run within one boot, whose trees
  // keep the task's holds (ZFS refuses to destroy a held snapshot): they are released first.
  await sshOk(b(), 'root', destroyTreeScript(`backup/${name}-replica`));
  await sshOk(a(), 'root', `${destroyTreeScript(`tank/${name}`)}\nD='tank/${name}'; set -e; ${script}`);
}

export const checksum = async (vm: VmInfo, dataset: string, file: string): Promise<string> =>
  (await sshOk(vm, 'root', `zfs mount '${dataset}' 2>/dev/null; sha256sum "$(zfs get -H -o value mountpoint '${dataset}')/${file}" | cut -d' ' -f1`)).trim();

export const snapshotsOf = async (vm: VmInfo, dataset: string): Promise<string[]> =>
  (await sshOk(vm, 'root', `zfs list -H -o name -t snapshot -s createtxg -d 1 '${dataset}'`))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((s) => s.slice(s.indexOf('@') + 1));

export const holdsOf = async (vm: VmInfo, snapshot: string): Promise<string> => (await sshOk(vm, 'root', `zfs holds -H '${snapshot}'`)).trim();

/** One property's value (`zfs get -H -p -o value`). */
export const propertyOf = async (vm: VmInfo, name: string, property: string): Promise<string> => (await sshOk(vm, 'root', `zfs get -H -p -o value '${property}' '${name}'`)).trim();
