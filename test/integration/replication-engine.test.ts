import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReplicationTask, type EngineNas } from '../../electron/services/replication/replication-engine.ts';
import { ReplicationTaskSchema, type ReplicationTaskInput } from '../../shared/task-schemas.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm, openZfsHosts, type TestUser, type ZfsHosts } from './support/zfs-hosts.ts';
import { connectionTo, sshApp, type SshApp } from './support/ssh-app.ts';

// The replication engine against the real VMs: nas-a (pool tank) replicates to nas-b (pool backup), relay and
// direct, as root and as admin with sudo. Each test works under its own dataset names.

// A full + incremental with a zvol over direct ssh can exceed the default 2 min when other VMs load the 2 cores.
vi.setConfig({ testTimeout: 300_000 });

let hosts: ZfsHosts;
let app: SshApp;
const sourceId = randomUUID();
const destinationId = randomUUID();
const trusted: Array<[ReturnType<typeof connectionTo>, ReturnType<typeof connectionTo>]> = [];
const a = () => nasVm('nas-a');
const b = () => nasVm('nas-b');

beforeAll(async () => {
  hosts = openZfsHosts();
  app = sshApp();
  // Direct mode: nas-a's root and admin trust nas-b (key installed, host key recorded through our pinned connection).
  for (const user of ['root', 'admin'] as const) {
    const source = connectionTo(a(), user, user === 'root' ? 'root' : 'sudo');
    const destination = connectionTo(b(), user, user === 'root' ? 'root' : 'sudo');
    await app.pin(source);
    await app.pin(destination);
    await app.services.establishNasToNasTrust(source, destination, { host: 'nas-b', port: 22 });
    trusted.push([source, destination]);
  }
});
afterAll(async () => {
  // The VMs are shared by every test file: leave no NAS-to-NAS trust behind (the ssh tests expect none).
  for (const [source, destination] of trusted) await app?.services.removeNasToNasTrust(source, destination, { removeGeneratedSourceKey: true });
  await hosts?.close();
  await app?.dispose();
});

function nasFor(user: TestUser) {
  return async (connectionId: string): Promise<EngineNas> => {
    const vm = connectionId === sourceId ? a() : b();
    return { host: await hosts.host(vm, user), privilege: user === 'root' ? 'root' : user === 'admin' ? 'sudo' : 'delegated', label: `${user}@${vm.name}` };
  };
}

function task(name: string, overrides: Partial<ReplicationTaskInput> = {}) {
  return ReplicationTaskSchema.parse({
    id: randomUUID(),
    name,
    sourceConnectionId: sourceId,
    sources: [{ name: `tank/${name}`, recursive: true }],
    destinationConnectionId: destinationId,
    destinationParent: `backup/${name}-replica`,
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    ...overrides,
  });
}

const checksum = async (vm: ReturnType<typeof a>, dataset: string, file: string) =>
  (await sshOk(vm, 'root', `zfs mount '${dataset}' 2>/dev/null; sha256sum "$(zfs get -H -o value mountpoint '${dataset}')/${file}" | cut -d' ' -f1`)).trim();

const snapshotsOf = async (vm: ReturnType<typeof a>, dataset: string) =>
  (await sshOk(vm, 'root', `zfs list -H -o name -t snapshot -s createtxg -d 1 '${dataset}'`)).trim().split('\n').filter(Boolean).map((s) => s.slice(s.indexOf('@') + 1));

const holdsOf = async (vm: ReturnType<typeof a>, snapshot: string) => (await sshOk(vm, 'root', `zfs holds -H '${snapshot}'`)).trim();

describe.each([
  { transport: 'relay' as const, user: 'root' as const },
  { transport: 'direct' as const, user: 'admin' as const },
])('$transport as $user', ({ transport, user }) => {
  const name = `eng-${transport}-${user}`;
  const source = `tank/${name}`;
  const replica = `backup/${name}-replica/${name}`;
  const definition = () =>
    task(name, transport === 'direct' ? { transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: user } } : {});
  let current: ReturnType<typeof task>;

  beforeAll(async () => {
    current = definition();
    await sshOk(b(), 'root', `zfs destroy -r 'backup/${name}-replica' 2>/dev/null; true`);
    await sshOk(
      a(),
      'root',
      `zfs destroy -r '${source}' 2>/dev/null; zfs create '${source}' && zfs create '${source}/child' && zfs create -V 8M '${source}/vol' &&
       head -c 1048576 /dev/urandom > '/${source}/data.bin' && echo child > '/${source}/child/c.txt' &&
       zfs snapshot -r '${source}@s1' && head -c 1310720 /dev/urandom >> '/${source}/data.bin' &&
       head -c 1310720 /dev/urandom > '/${source}/child/more.bin' && zfs snapshot -r '${source}@s2'`,
    );
  });

  it('dry run lists the plan and commands and changes nothing', async () => {
    const report = await runReplicationTask(current, { nas: nasFor(user) }, { dryRun: true });
    expect(report.error).toBeNull();
    expect(report.result).toBe('DRY_RUN');
    expect(report.datasets.map((d) => d.destination)).toEqual([replica, `${replica}/child`, `${replica}/vol`]);
    expect(report.datasets[0]!.plan).toMatchObject({ status: 'ready', steps: [{ kind: 'full', snapshot: 's1' }, { kind: 'incremental', from: 's1', to: 's2' }] });
    expect(report.datasets[0]!.estimatedBytes).toBeGreaterThan(1_000_000);
    expect(report.datasets[0]!.commands.join('\n')).toContain('zfs create -p');
    expect(await sshOk(b(), 'root', `zfs list -H -o name 'backup/${name}-replica' 2>&1 || true`)).toContain('does not exist');
  });

  it('full, then incremental; children and the zvol follow; data matches; holds mark the common pair', async () => {
    const since = (await sshOk(b(), 'root', 'date +%s')).trim();
    const logs: string[] = [];
    const first = await runReplicationTask(current, { nas: nasFor(user), emit: (e) => void (e.kind === 'log' && logs.push(e.message)) });
    expect(first.error).toBeNull();
    if (transport === 'direct') {
      // Six streams (three datasets, full + incremental each): the fulls log in on their own; the two incrementals
      // over 1 MiB (1.25 MiB written in the dataset and in its child) share one login; the zvol's, unchanged, is
      // relayed through this computer; nothing is left behind after the run.
      expect(logs.join('\n')).toContain('1 of 3 incremental stream(s) are 1.0 MiB or less: they go through this computer');
      expect(logs.join('\n')).toContain("keeps one ssh connection to the destination for this run's incremental streams");
      const nasToNasKey = (await sshOk(a(), 'root', `ssh-keygen -lf ~${user}/.ssh/id_ed25519.pub`)).split(' ')[1]!;
      const logins = (await sshOk(b(), 'root', `journalctl -u ssh --since @${since} -o cat --no-pager | grep 'Accepted publickey for ${user} ' || true`)).trim().split('\n');
      expect(logins.filter((line) => line.includes(nasToNasKey))).toHaveLength(3 + 1);
      // ...through a restricted key: no forwarding or pty, and only from nas-a's address as nas-b sees it.
      expect(await sshOk(b(), 'root', `grep ' zrd-nas-trust:from=' ~${user}/.ssh/authorized_keys`)).toMatch(/^restrict,from="10\.0\.2\.2" ssh-ed25519 \S+ zrd-nas-trust:from=\S+\n$/);
      // ([0-9a-f]: so that pgrep does not find the shell running it.)
      expect(await sshOk(a(), 'root', "ls /tmp | grep '^zrd-ssh-' || true; pgrep -f 'ControlPath=/tmp/zrd-ssh-[0-9a-f]' || true")).toBe('');
    }
    expect(first.result).toBe('FINISHED');
    expect(first.bytesSent).toBeGreaterThan(1_000_000);
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);
    expect(await snapshotsOf(b(), `${replica}/vol`)).toEqual(['s1', 's2']);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), source, 'data.bin'));
    expect(await holdsOf(a(), `${source}@s2`)).toContain(current.id);
    expect(await holdsOf(b(), `${replica}@s2`)).toContain(current.id);
    expect((await sshOk(b(), 'root', `zfs get -H -o value readonly '${replica}'`)).trim()).toBe('on');

    await sshOk(a(), 'root', `echo more >> '/${source}/data.bin' && zfs snapshot -r '${source}@s3'`);
    const second = await runReplicationTask(current, { nas: nasFor(user) });
    expect(second.error).toBeNull();
    expect(second.datasets[0]!.plan).toMatchObject({ status: 'ready', base: 's2', steps: [{ kind: 'incremental', from: 's2', to: 's3' }] });
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2', 's3']);
    expect(await checksum(b(), replica, 'data.bin')).toBe(await checksum(a(), source, 'data.bin'));
    // The hold moved to the new common snapshot.
    expect(await holdsOf(a(), `${source}@s3`)).toContain(current.id);
    expect(await holdsOf(a(), `${source}@s2`)).not.toContain(current.id);

    const third = await runReplicationTask(current, { nas: nasFor(user) });
    expect(third.datasets.every((d) => d.plan.status === 'up-to-date')).toBe(true);
  });
});

describe('safety', () => {
  it('a destination with newer snapshots is refused with the exact list; the confirmation proceeds', async () => {
    const name = 'eng-diverged';
    const current = task(name, { sources: [{ name: `tank/${name}`, recursive: false }] });
    const replica = `backup/${name}-replica/${name}`;
    await sshOk(b(), 'root', `zfs destroy -r 'backup/${name}-replica' 2>/dev/null; true`);
    await sshOk(a(), 'root', `zfs destroy -r 'tank/${name}' 2>/dev/null; zfs create 'tank/${name}' && echo 1 > '/tank/${name}/f' && zfs snapshot 'tank/${name}@s1'`);
    expect((await runReplicationTask(current, { nas: nasFor('root') })).result).toBe('FINISHED');
    await sshOk(b(), 'root', `zfs snapshot '${replica}@local-1' && zfs snapshot '${replica}@local-2'`);
    await sshOk(a(), 'root', `echo 2 >> '/tank/${name}/f' && zfs snapshot 'tank/${name}@s2'`);

    const refused = await runReplicationTask(current, { nas: nasFor('root') });
    expect(refused.result).toBe('REFUSED');
    expect(refused.error?.code).toBe('CONFIRMATION_REQUIRED');
    expect(refused.refusal?.destruction.operations.map((op) => [op.command, op.items.map((i) => [i.kind, i.name])])).toEqual([
      [`/usr/sbin/zfs rollback -r ${replica}@s1`, [['snapshot', `${replica}@local-1`], ['snapshot', `${replica}@local-2`]]],
    ]);
    expect(refused.refusal?.wouldLose.map((line) => line.split(' ')[0])).toEqual([`${replica}@local-1`, `${replica}@local-2`]);
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 'local-1', 'local-2']);

    const confirmed = await runReplicationTask(current, { nas: nasFor('root') }, { confirmation: refused.refusal!.confirmation });
    expect(confirmed.error).toBeNull();
    expect(await snapshotsOf(b(), replica)).toEqual(['s1', 's2']);
  });

  it('two simultaneous runs of one task: one runs, the other fails clearly', async () => {
    const name = 'eng-lock';
    const current = task(name, { sources: [{ name: `tank/${name}`, recursive: false }] });
    await sshOk(b(), 'root', `zfs destroy -r 'backup/${name}-replica' 2>/dev/null; true`);
    await sshOk(a(), 'root', `zfs destroy -r 'tank/${name}' 2>/dev/null; zfs create 'tank/${name}' && head -c 524288 /dev/urandom > '/tank/${name}/f' && zfs snapshot 'tank/${name}@s1'`);
    const [one, two] = await Promise.all([runReplicationTask(current, { nas: nasFor('root') }), runReplicationTask(current, { nas: nasFor('root'), by: 'cli' })]);
    const results = [one.result, two.result].sort();
    expect(results).toEqual(['FAILED', 'FINISHED']);
    const failed = one.result === 'FAILED' ? one : two;
    expect(failed.error?.code).toBe('BUSY');
    expect(failed.error?.message).toContain('already running');
  });

  it('a run holding the lock on the source NAS (another machine, cron) blocks this one', async () => {
    const name = 'eng-lock-remote';
    const current = task(name, { sources: [{ name: `tank/${name}`, recursive: false }] });
    await sshOk(a(), 'root', `zfs destroy -r 'tank/${name}' 2>/dev/null; zfs create 'tank/${name}' && zfs snapshot 'tank/${name}@s1'`);
    await sshOk(a(), 'root', `nohup flock /tmp/zfs-replication-${current.id}.lock sleep 15 </dev/null >/dev/null 2>&1 & sleep 1`);
    const report = await runReplicationTask(current, { nas: nasFor('root') });
    expect(report.result).toBe('FAILED');
    expect(report.error?.code).toBe('BUSY');
  });
});
