import { describe, expect, it } from 'vitest';
import { buildListPoolsArgv, listPools, parsePoolList } from '../../../../../electron/services/zfs/pools.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

describe('zpool list', () => {
  it('asks for its fields by absolute path', () => {
    expect(buildListPoolsArgv(testCapabilities.tools)).toEqual([
      '/usr/sbin/zpool', 'list', '-H', '-p', '-o', 'name,guid,health,size,allocated,free,capacity,fragmentation,readonly',
    ]);
  });

  it('parses the test VM output', async () => {
    const { host, runner } = fakeHost();
    runner.reply(fixture('zpool-list.txt'));
    expect(await listPools(host)).toEqual([
      {
        name: 'tank',
        guid: '12459126114746913950',
        health: 'ONLINE',
        sizeBytes: 4026531840,
        allocatedBytes: 5951488,
        freeBytes: 4020580352,
        capacityPercent: 0,
        fragmentationPercent: 0,
        readonly: false,
      },
    ]);
  });

  it('reads "-" fragmentation as unknown', () => {
    const [pool] = parsePoolList(fixture('zpool-list.txt').replace(/\t0\t0\toff/, '\t0\t-\toff'));
    expect(pool!.fragmentationPercent).toBeNull();
  });
});
