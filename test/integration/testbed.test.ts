// The NAS test bed itself, over OpenSSH: pools, users and their privileges, OpenZFS version,
// VM-to-VM reachability, per-VM host keys. Keep data tiny: the VMs run under TCG.
import { afterAll, describe, expect, inject, test } from 'vitest';
import { sshExec, sshOk } from '../nas/testbed.ts';
import type { VmInfo } from '../nas/testbed.ts';

const tb = inject('testbed');
const a = vmNamed('nas-a');
const b = vmNamed('nas-b');

function vmNamed(name: string): VmInfo {
  const vm = tb.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`test bed has no ${name}`);
  return vm;
}

let counter = 0;
const created: Array<{ vm: VmInfo; dataset: string }> = [];

/** A fresh dataset name under the VM's pool, unique per test (and per run). */
function uniqueDataset(vm: VmInfo, prefix: string): string {
  const ds = `${vm.pool}/${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  created.push({ vm, dataset: ds });
  return ds;
}

afterAll(async () => {
  for (const { vm, dataset } of created) {
    await sshExec(vm, 'root', `zfs destroy -r '${dataset}' 2>/dev/null || true`);
  }
});

function snapshotRows(stdout: string): string[][] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

describe('NAS test bed', () => {
  test('both VMs run their own hostname and pool, compression=lz4', async () => {
    for (const vm of [a, b]) {
      const out = await sshOk(vm, 'root', `hostname; zpool list -H -o name,health ${vm.pool}; zfs get -H -o value compression ${vm.pool}`);
      expect(out.trim().split('\n')).toEqual([vm.name, `${vm.pool}\tONLINE`, 'lz4']);
    }
  });

  test('OpenZFS is 2.3.x (userland and kernel module)', async () => {
    const out = await sshOk(a, 'root', 'zfs version');
    expect(out).toMatch(/^zfs-2\.3\.\d+/m);
    expect(out).toMatch(/^zfs-kmod-2\.3\.\d+/m);
  });

  test('root creates a dataset, snapshots it and reads the snapshot back', async () => {
    const ds = uniqueDataset(a, 'root');
    await sshOk(a, 'root', `zfs create '${ds}' && echo hello > '/${ds}/file.txt' && zfs snapshot '${ds}@s1'`);
    const out = await sshOk(a, 'root', `zfs list -H -p -t snapshot -o name,used,referenced,creation -r '${ds}'`);
    const rows = snapshotRows(out);
    expect(rows).toHaveLength(1);
    const [name, used, referenced, creation] = rows[0] ?? [];
    expect(name).toBe(`${ds}@s1`);
    for (const n of [used, referenced, creation]) expect(n).toMatch(/^\d+$/);
    expect(Number(creation)).toBeGreaterThan(1_600_000_000);
  });

  test('admin uses sudo -n zfs without a password, but sudo is limited to zfs/zpool', async () => {
    const ds = uniqueDataset(a, 'admin');
    await sshOk(a, 'admin', `sudo -n zfs create '${ds}' && sudo -n zfs snapshot '${ds}@s1' && sudo -n zfs snapshot '${ds}@s2'`);
    const out = await sshOk(a, 'admin', `sudo -n zfs list -H -p -t snapshot -o name,creation -s createtxg -r '${ds}'`);
    expect(snapshotRows(out).map((r) => r[0])).toEqual([`${ds}@s1`, `${ds}@s2`]);
    expect((await sshExec(a, 'admin', `sudo -n zpool list -H -o name ${a.pool}`)).stdout.trim()).toBe(a.pool);
    const other = await sshExec(a, 'admin', 'sudo -n cat /etc/shadow');
    expect(other.code).not.toBe(0);
  });

  test('delegate snapshots under the pool without sudo (zfs allow)', async () => {
    const allow = await sshOk(a, 'root', `zfs allow ${a.pool}`);
    expect(allow).toMatch(/user delegate .*snapshot/);
    const ds = uniqueDataset(a, 'delegate');
    await sshOk(a, 'root', `zfs create '${ds}'`);
    await sshOk(a, 'delegate', `zfs snapshot '${ds}@by-delegate'`);
    const out = await sshOk(a, 'delegate', `zfs list -H -p -t snapshot -o name -r '${ds}'`);
    expect(out.trim()).toBe(`${ds}@by-delegate`);
    const sudo = await sshExec(a, 'delegate', 'sudo -n true');
    expect(sudo.code).not.toBe(0);
  });

  test('sudopw: sudo -n fails with "a password is required"', async () => {
    const r = await sshExec(a, 'sudopw', 'sudo -n zfs list');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/password is required/);
  });

  test('nas-a reaches nas-b and nas-b reaches nas-a over ssh (port 22)', async () => {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const out = await sshOk(from, 'root', `timeout 10 bash -c 'exec 3<>/dev/tcp/${to.name}/22; head -c 7 <&3'`);
      expect(out).toBe('SSH-2.0');
    }
  });

  test('each VM has its own host key, and the peer address really is the peer', async () => {
    const keyA = (await sshOk(a, 'root', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub')).trim();
    const keyB = (await sshOk(b, 'root', 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub')).trim();
    expect(keyA).toMatch(/^ssh-ed25519 /);
    expect(keyB).toMatch(/^ssh-ed25519 /);
    expect(keyA).not.toBe(keyB);
    const scanned = await sshOk(a, 'root', 'ssh-keyscan -T 20 -t ed25519 nas-b 2>/dev/null | cut -d" " -f2,3');
    expect(scanned.trim()).toBe(keyB);
  });
});
