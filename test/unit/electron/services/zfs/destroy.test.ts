import { describe, expect, it } from 'vitest';
import { buildDestroyArgv, parseDestroyOutput } from '../../../../../electron/services/zfs/destroy.ts';
import { fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;
const plain = 'tank/zrd-fixtures/plain';

describe('zfs destroy -v -p output', () => {
  it('lists snapshots and the space they free', () => {
    expect(parseDestroyOutput(fixture('destroy-dry-run-snapshots.txt'))).toEqual({
      destroys: [`${plain}@s3`, `${plain}@s4`],
      reclaimBytes: 57344,
    });
  });

  it('lists a dataset with spaces and its snapshots (no reclaim line for datasets)', () => {
    expect(parseDestroyOutput(fixture('destroy-dry-run-dataset.txt'))).toEqual({
      destroys: ['tank/zrd-fixtures/with space@snap with space', 'tank/zrd-fixtures/with space@ second', 'tank/zrd-fixtures/with space'],
      reclaimBytes: null,
    });
  });

  it('lists clones that -R takes along', () => {
    expect(parseDestroyOutput(fixture('destroy-dry-run-dependents.txt')).destroys).toContain('tank/zrd-fixtures/clone');
  });

  it('builds -n -v -p with -r/-R', () => {
    expect(buildDestroyArgv(tools, `${plain}@s3,s4`, { dryRun: true })).toEqual(['/usr/sbin/zfs', 'destroy', '-n', '-v', '-p', `${plain}@s3,s4`]);
    expect(buildDestroyArgv(tools, plain, { recursive: true, dependents: true })).toEqual(['/usr/sbin/zfs', 'destroy', '-v', '-p', '-r', '-R', plain]);
  });

  it('checks every name it is given, and never destroys a pool', () => {
    expect(() => buildDestroyArgv(tools, 'tank', { recursive: true })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => buildDestroyArgv(tools, '-r')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => buildDestroyArgv(tools, `${plain}@s1,$(reboot)`)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => buildDestroyArgv(tools, `${plain}@s1,`)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});
