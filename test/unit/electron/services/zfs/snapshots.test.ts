import { describe, expect, it } from 'vitest';
import { buildListSnapshotsArgv, listSnapshots, parseSnapshotList } from '../../../../../electron/services/zfs/snapshots.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;

describe('zfs list -t snapshot,bookmark', () => {
  it('lists one dataset (-d 1) or a tree (-r), oldest first', () => {
    expect(buildListSnapshotsArgv(tools, 'tank/a b')).toEqual([
      '/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'snapshot,bookmark', '-o', 'name,type,guid,createtxg,creation,used,referenced,userrefs',
      '-s', 'createtxg', '-d', '1', 'tank/a b',
    ]);
    expect(buildListSnapshotsArgv(tools, 'tank', { recursive: true, types: ['snapshot'] })).toEqual([
      '/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'snapshot', '-o', 'name,type,guid,createtxg,creation,used,referenced,userrefs',
      '-s', 'createtxg', '-r', 'tank',
    ]);
  });

  it('reads snapshots and bookmarks of one dataset', async () => {
    const { host, runner } = fakeHost();
    runner.reply(fixture('list-snapshots-plain.txt'));
    const listed = await listSnapshots(host, 'tank/zrd-fixtures/plain');
    expect(listed.map((s) => [s.type, s.shortName, s.userRefs])).toEqual([
      ['snapshot', 's1', 2],
      ['bookmark', 's1', null],
      ['snapshot', 's2', 1],
      ['snapshot', 's3', 0],
      ['bookmark', 's3 bookmark', null],
      ['snapshot', 's4', 0],
    ]);
    expect(listed[0]).toEqual({
      name: 'tank/zrd-fixtures/plain@s1',
      type: 'snapshot',
      guid: '6826312282820002284',
      createtxg: 128,
      creation: 1795313115,
      usedBytes: 57344,
      referencedBytes: 630784,
      userRefs: 2,
      dataset: 'tank/zrd-fixtures/plain',
      shortName: 's1',
    });
    // A bookmark has the guid of its snapshot; OpenZFS 2.3 reports its referenced size, not its used.
    expect(listed[1]).toMatchObject({ name: 'tank/zrd-fixtures/plain#s1', guid: listed[0]!.guid, usedBytes: null, referencedBytes: 630784 });
  });

  it('reads a tree with spaces in dataset and snapshot names, and a received copy with the same guid', () => {
    const listed = parseSnapshotList(fixture('list-snapshots.txt'));
    const space = listed.filter((s) => s.dataset === 'tank/zrd-fixtures/with space');
    expect(space.map((s) => s.shortName)).toEqual(['snap with space', ' second']);
    const received = listed.find((s) => s.name === 'tank/zrd-fixtures/received@s1')!;
    expect(received.guid).toBe(listed.find((s) => s.name === 'tank/zrd-fixtures/plain@s1')!.guid);
    expect(received.createtxg).toBeGreaterThan(128);
  });

  it('reads the 2,000-snapshot listing', () => {
    const listed = parseSnapshotList(fixture('list-snapshots-2000.txt'));
    expect(listed).toHaveLength(2000);
    expect(new Set(listed.map((s) => s.dataset))).toEqual(new Set(['tank/zrd-fixtures/many']));
    expect(listed.map((s) => s.shortName)).toEqual(Array.from({ length: 2000 }, (_, i) => `auto-2024-01-01_00-00-${String(i).padStart(4, '0')}`));
    expect(new Set(listed.map((s) => s.guid)).size).toBe(2000);
    expect(listed.every((s, i) => i === 0 || s.createtxg >= listed[i - 1]!.createtxg)).toBe(true);
  });
});
