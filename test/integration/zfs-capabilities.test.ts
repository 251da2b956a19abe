import { afterAll, describe, expect, it } from 'vitest';
import { listPools } from '../../electron/services/zfs/pools.ts';
import { isTimeZone } from '../../shared/time-zone.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm, openZfsHosts } from './support/zfs-hosts.ts';

// The capability probe on a real NAS, as each kind of login sees it.

// The VMs run under TCG on two shared cores: a few commands can take minutes.
const slow = 600_000;

const hosts = openZfsHosts();
afterAll(() => hosts.close());

describe('capability probe on nas-a', () => {
  it('finds OpenZFS 2.3 with JSON output, its absolute paths and the pool features, as root', async () => {
    const vm = nasVm('nas-a');
    const started = performance.now();
    const { capabilities } = await hosts.host(vm, 'root');
    console.log(`probe (connect + one command) as root: ${Math.round(performance.now() - started)} ms`);
    expect(capabilities).toMatchObject({
      os: 'Linux',
      loginIsRoot: true,
      tools: { zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' },
      userland: { major: 2, minor: 3 },
      kernel: { major: 2, minor: 3 },
      jsonOutput: true,
    });
    expect(capabilities.pools[vm.pool]).toMatchObject({ bookmarks: true, encryption: true, resumableReceive: true, largeBlocks: true });
    // The NAS's zone, which new schedules and snapshot names default to. The test image has no tzdata, so no
    // /etc/localtime: its C library runs on UTC.
    const localtime = (await sshOk(vm, 'root', 'if [ -L /etc/localtime ]; then readlink /etc/localtime; elif [ -e /etc/localtime ]; then echo file; else echo none; fi')).trim();
    if (localtime === 'none') expect(capabilities.timeZone).toBe('UTC');
    else if (localtime === 'file') expect(capabilities.timeZone === null || isTimeZone(capabilities.timeZone)).toBe(true);
    else expect(capabilities.timeZone).toBe(localtime.replace(/^.*zoneinfo\//, ''));
    expect(capabilities.pools[vm.pool]!.features.bookmarks).toMatch(/^(enabled|active)$/);
  }, slow);

  it('finds /usr/sbin/zfs for admin too, whose ssh PATH lacks /usr/sbin, and sudo runs it by that path', async () => {
    const vm = nasVm('nas-a');
    const host = await hosts.host(vm, 'admin');
    expect(host.capabilities.loginIsRoot).toBe(false);
    expect(host.capabilities.tools).toEqual({ zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' });
    const pools = await listPools(host);
    expect(pools.map((pool) => pool.name)).toContain(vm.pool);
    expect(pools.find((pool) => pool.name === vm.pool)).toMatchObject({ health: 'ONLINE', readonly: false });
  }, slow);

  it('works for a delegated user without sudo', async () => {
    const host = await hosts.host(nasVm('nas-a'), 'delegate');
    expect(host.capabilities.tools.zfs).toBe('/usr/sbin/zfs');
    expect((await listPools(host)).length).toBeGreaterThan(0);
  }, slow);
});
