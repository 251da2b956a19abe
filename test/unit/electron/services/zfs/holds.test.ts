import { describe, expect, it } from 'vitest';
import { buildListHoldsArgv, listHolds } from '../../../../../electron/services/zfs/holds.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

describe('zfs holds', () => {
  it('has fixed columns: the argv takes -H -p and the snapshots', () => {
    expect(buildListHoldsArgv(testCapabilities.tools, ['tank/a@s 1', 'tank/a@s2'], { recursive: true })).toEqual([
      '/usr/sbin/zfs', 'holds', '-H', '-p', '-r', 'tank/a@s 1', 'tank/a@s2',
    ]);
    expect(() => buildListHoldsArgv(testCapabilities.tools, ['tank/a'])).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });

  it('reads tags with spaces and Unix-second timestamps', async () => {
    const { host, runner } = fakeHost();
    runner.reply(fixture('holds.txt'));
    expect(await listHolds(host, ['tank/zrd-fixtures/plain@s1', 'tank/zrd-fixtures/plain@s2'])).toEqual([
      { snapshot: 'tank/zrd-fixtures/plain@s1', tag: 'zrd:task-1', heldSince: 1795313119 },
      { snapshot: 'tank/zrd-fixtures/plain@s1', tag: 'keep me', heldSince: 1795313120 },
      { snapshot: 'tank/zrd-fixtures/plain@s2', tag: 'zrd:task-1', heldSince: 1795313121 },
    ]);
  });
});
