import { describe, expect, it } from 'vitest';
import { buildRollbackArgv } from '../../../../../electron/services/zfs/rollback.ts';
import { testCapabilities } from './fake-runner.ts';

// What a rollback destroys is its destruction plan (destruction.test.ts, snapshot-destruction.test.ts); this is the
// one builder of the command itself.

const tools = testCapabilities.tools;
const plain = 'tank/zrd-fixtures/plain';

describe('zfs rollback', () => {
  it('-r only when newer snapshots and bookmarks go; never -R', () => {
    expect(buildRollbackArgv(tools, `${plain}@s1`, { destroyNewer: true })).toEqual(['/usr/sbin/zfs', 'rollback', '-r', `${plain}@s1`]);
    expect(buildRollbackArgv(tools, `${plain}@s4`)).toEqual(['/usr/sbin/zfs', 'rollback', `${plain}@s4`]);
  });

  it('checks the name: a snapshot, nothing that could become an option or a second command', () => {
    expect(() => buildRollbackArgv(tools, plain)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => buildRollbackArgv(tools, '-R')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => buildRollbackArgv(tools, `${plain}@s1;reboot`)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});
