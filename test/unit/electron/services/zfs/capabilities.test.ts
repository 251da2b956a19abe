import { describe, expect, it } from 'vitest';
import {
  buildProbeArgv,
  parseOpenZfsVersion,
  parseProbeOutput,
  probeCapabilities,
} from '../../../../../electron/services/zfs/capabilities.ts';
import { FakeRunner, fixture } from './fake-runner.ts';

describe('capability probe', () => {
  it('is one fixed sh -c script, run unprivileged (sudo may only allow zfs and zpool)', async () => {
    const runner = new FakeRunner().reply(fixture('probe-nas-a-admin.txt'));
    await probeCapabilities(runner);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]!.argv).toEqual(buildProbeArgv());
    expect(runner.calls[0]!.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(runner.calls[0]!.options?.privileged).toBe(false);
  });

  it('reads the test VM as root', () => {
    const capabilities = parseProbeOutput(fixture('probe-nas-a-root.txt'), 'root@nas-a');
    expect(capabilities).toMatchObject({
      os: 'Linux',
      loginIsRoot: true,
      tools: { zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' },
      userland: { major: 2, minor: 3, patch: 2, text: 'zfs-2.3.2-2~bpo12+2' },
      kernel: { major: 2, minor: 3, patch: 2, text: 'zfs-kmod-2.3.2-2~bpo12+2' },
      jsonOutput: true,
    });
    expect(capabilities.osRelease).toMatch(/cloud-amd64$/);
    expect(Object.keys(capabilities.pools)).toEqual(['tank']);
    expect(capabilities.pools.tank).toMatchObject({ bookmarks: true, encryption: true, resumableReceive: true, largeBlocks: true });
    expect(capabilities.pools.tank!.features).toMatchObject({ lz4_compress: 'active', extensible_dataset: 'active' });
    expect(capabilities.pools.tank!.features.bookmarks).toMatch(/^(enabled|active)$/);
  });

  it("reports the NAS's time zone when the probe could read its name, else null", () => {
    const root = fixture('probe-nas-a-root.txt');
    expect(parseProbeOutput(`${root}timezone\tEurope/Paris\n`, 'nas').timeZone).toBe('Europe/Paris');
    expect(parseProbeOutput(`${root}timezone\tlocaltime\n`, 'nas').timeZone).toBeNull();
    expect(parseProbeOutput(`${root}timezone\t\n`, 'nas').timeZone).toBeNull();
    expect(parseProbeOutput(`${root}timezone\tUTC\n`, 'nas').timeZone).toBe('UTC');
    expect(buildProbeArgv()[2]).toContain('[ -e /etc/localtime ] || tz=UTC');
  });

  it('finds the absolute paths for admin and delegate too, whose PATH lacks /usr/sbin', () => {
    for (const file of ['probe-nas-a-admin.txt', 'probe-nas-a-delegate.txt']) {
      const capabilities = parseProbeOutput(fixture(file), 'nas-a');
      expect(capabilities.loginIsRoot).toBe(false);
      expect(capabilities.tools).toEqual({ zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' });
    }
  });

  // Below, the captured output edited the way another NAS would differ.
  const captured = fixture('probe-nas-a-root.txt');

  it('refuses OpenZFS older than 2.0 with UNSUPPORTED_VERSION', () => {
    const old = captured.replaceAll('2.3.2-2~bpo12+2', '0.8.3-1ubuntu12');
    expect(() => parseProbeOutput(old, 'root@old-nas')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: 'root@old-nas runs zfs-0.8.3-1ubuntu12; the app needs OpenZFS 2.0 or newer.' }),
    );
  });

  it('refuses a ZFS whose `zfs version` prints nothing (Oracle ZFS, OpenZFS before 0.8)', () => {
    const none = captured.split('\n').filter((line) => !line.startsWith('version\t')).join('\n');
    expect(() => parseProbeOutput(none, 'nas')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });

  it('says which tool is missing with COMMAND_NOT_FOUND', () => {
    const noZpool = captured.split('\n').filter((line) => !line.startsWith('zpool\t')).join('\n');
    expect(() => parseProbeOutput(noZpool, 'nas')).toThrow(expect.objectContaining({ code: 'COMMAND_NOT_FOUND', message: expect.stringContaining('zpool not found') }));
  });

  it('reads FreeBSD-style and kernel version lines', () => {
    expect(parseOpenZfsVersion('zfs-2.1.9-FreeBSD_g92e0d9d18')).toEqual({ kernel: false, version: { major: 2, minor: 1, patch: 9, text: 'zfs-2.1.9-FreeBSD_g92e0d9d18' } });
    expect(parseOpenZfsVersion('zfs-kmod-2.2.99-1')?.kernel).toBe(true);
    expect(parseOpenZfsVersion('unrecognized command')).toBeNull();
  });
});
