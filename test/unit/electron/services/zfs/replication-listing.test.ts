import { describe, expect, it } from 'vitest';
import {
  buildReplicationListingArgv,
  listForReplication,
  parseReplicationListing,
  promotedProperty,
} from '../../../../../electron/services/zfs/replication-listing.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;
const root = 'tank/zrd-fixtures';

describe('zfs list -t all (the replication listing)', () => {
  it('asks for every field a plan needs, oldest first, in one command', () => {
    expect(buildReplicationListingArgv(tools, 'tank/a b')).toEqual([
      '/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'all', '-o',
      `name,type,guid,createtxg,used,written,userrefs,encryption,keystatus,readonly,receive_resume_token,${promotedProperty}`,
      '-s', 'createtxg', '-r', 'tank/a b',
    ]);
    expect(() => buildReplicationListingArgv(tools, 'tank/a;rm -rf /')).toThrow();
  });

  // Captured from the test VM (test/fixtures/zfs/capture.ts).
  const listed = parseReplicationListing(fixture('replication-listing.txt'));

  it('orders datasets parent first and keeps names with spaces', () => {
    const names = [...listed.keys()];
    expect(names[0]).toBe(root);
    expect(names).toContain(`${root}/with space`);
    expect(names.every((n, i) => i === 0 || n.split('/').length >= names[i - 1]!.split('/').length)).toBe(true);
  });

  it('attaches snapshots and bookmarks (short names, oldest first) to their dataset', () => {
    const plain = listed.get(`${root}/plain`)!;
    expect(plain.snapshots.map((s) => [s.name, s.userRefs])).toEqual([['s1', 2], ['s2', 1], ['s3', 0], ['s4', 0]]);
    expect(plain.bookmarks.map((b) => b.name)).toEqual(['s1', 's3 bookmark']);
    // A bookmark carries its snapshot's GUID: the fallback common base.
    expect(plain.bookmarks[0]!.guid).toBe(plain.snapshots[0]!.guid);
    expect(plain.snapshots.map((s) => s.createtxg)).toEqual([...plain.snapshots.map((s) => s.createtxg)].sort((a, b) => a - b));
    expect(listed.get(`${root}/with space`)!.snapshots.map((s) => s.name)).toEqual(['snap with space', ' second']);
  });

  it('reads type, encryption, key status, readonly, resume token and the promoted mark', () => {
    expect(listed.get(`${root}/vol`)).toMatchObject({ type: 'volume', encrypted: false, readonly: false });
    expect(listed.get(`${root}/secret`)).toMatchObject({ encrypted: true, keyStatus: 'available' });
    expect(listed.get(`${root}/locked`)).toMatchObject({ encrypted: true, keyStatus: 'unavailable' });
    expect(listed.get(`${root}/plain`)).toMatchObject({ receiveResumeToken: null, promoted: null, readonly: false, keyStatus: null });
    expect(listed.get(`${root}/partial`)!.receiveResumeToken).toMatch(/^1-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
    const received = listed.get(`${root}/received`)!;
    expect(received.readonly).toBe(true);
    expect(received.promoted).toBe('33333333-3333-4333-8333-333333333333 promoted 2026-11-22T10:00:00.000Z by app');
    expect(listed.get(`${root}`)!.usedBytes).toBeGreaterThan(0);
  });

  it('returns null for a missing root and a typed error for anything else', async () => {
    const { host, runner } = fakeHost();
    runner.reply({ exitCode: 1, stderr: "cannot open 'backup/none': dataset does not exist\n" });
    expect(await listForReplication(host, 'backup/none')).toBeNull();
    runner.reply({ exitCode: 1, stderr: "cannot open 'backup/x': permission denied\n" });
    await expect(listForReplication(host, 'backup/x')).rejects.toMatchObject({ code: expect.any(String) });
  });
});
