import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../../shared/result.ts';
import {
  buildCreateBookmarkArgv,
  buildCreateDatasetArgv,
  buildCreateSnapshotsArgv,
  buildHoldArgv,
  buildInheritArgv,
  buildLoadKeyArgv,
  buildRenameArgv,
  buildSetPropertiesArgv,
  createDataset,
  createSnapshots,
  holdSnapshots,
  loadKey,
  setProperties,
  settleHolds,
} from '../../../../../electron/services/zfs/operations.ts';
import { fakeHost, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;

function failureOf(action: () => unknown): AppFailure {
  try {
    action();
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected an AppFailure');
}

describe('snapshot', () => {
  it('takes several snapshots of one pool in one atomic command, by absolute path', () => {
    expect(
      buildCreateSnapshotsArgv(tools, {
        snapshots: ['tank/a b@s 1', 'tank/c@s 1'],
        recursive: true,
        properties: { 'org.zrd:task': 'nightly' },
      }),
    ).toEqual(['/usr/sbin/zfs', 'snapshot', '-r', '-o', 'org.zrd:task=nightly', 'tank/a b@s 1', 'tank/c@s 1']);
  });

  it('refuses snapshots of two pools, duplicates and bad names before running anything', async () => {
    expect(failureOf(() => buildCreateSnapshotsArgv(tools, { snapshots: ['tank/a@s', 'backup/a@s'] })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildCreateSnapshotsArgv(tools, { snapshots: ['tank/a@s', 'tank/a@s'] })).code).toBe('INVALID_REQUEST');
    // ZFS: "cannot create snapshots : multiple snapshots of same fs not allowed".
    expect(failureOf(() => buildCreateSnapshotsArgv(tools, { snapshots: ['tank/a@s', 'tank/a@t'] })).message).toBe(
      'Two snapshots of "tank/a" cannot be taken in one command.',
    );
    expect(failureOf(() => buildCreateSnapshotsArgv(tools, { snapshots: ['tank/a@s', 'tank/a/b@s'], recursive: true })).message).toContain('inside');
    expect(buildCreateSnapshotsArgv(tools, { snapshots: ['tank/a@s', 'tank/a/b@s'] })).toHaveLength(4);
    const { host, runner } = fakeHost();
    await expect(createSnapshots(host, { snapshots: ['tank/a@$(reboot)'] })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(createSnapshots(host, { snapshots: ['tank/a;reboot@s'] })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(runner.calls).toEqual([]);
  });

  it('refuses a bad user property name', () => {
    expect(failureOf(() => buildCreateSnapshotsArgv(tools, { snapshots: ['tank@s'], properties: { 'bad name': 'x' } })).code).toBe('INVALID_NAME');
  });
});

describe('hold and release', () => {
  it('puts the tag before the snapshots', () => {
    expect(buildHoldArgv(tools, 'hold', { tag: 'zrd:task-1', snapshots: ['tank/a@s'], recursive: true })).toEqual([
      '/usr/sbin/zfs', 'hold', '-r', 'zrd:task-1', 'tank/a@s',
    ]);
    expect(buildHoldArgv(tools, 'release', { tag: 'keep', snapshots: ['tank/a@s', 'tank/a@t'] })).toEqual([
      '/usr/sbin/zfs', 'release', 'keep', 'tank/a@s', 'tank/a@t',
    ]);
  });

  it('never lets a tag become an option', async () => {
    const { host, runner } = fakeHost();
    await expect(holdSnapshots(host, { tag: '-r', snapshots: ['tank/a@s'] })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(holdSnapshots(host, { tag: 'x', snapshots: ['tank/a'] })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(runner.calls).toEqual([]);
  });

  it('settles many snapshots in one command', async () => {
    const { host, runner } = fakeHost();
    await settleHolds(host, 'hold', { tag: 'zfs-replication:t', snapshots: ['tank/a@s', 'tank/a/b@s'] });
    expect(runner.calls.map((c) => c.argv)).toEqual([['/usr/sbin/zfs', 'hold', 'zfs-replication:t', 'tank/a@s', 'tank/a/b@s']]);
    await settleHolds(host, 'release', { tag: 'zfs-replication:t', snapshots: [] });
    expect(runner.calls).toHaveLength(1);
  });

  it('a batch refused because one hold is already settled (a re-run after a crash) is retried one by one', async () => {
    const { host, runner } = fakeHost();
    runner
      .reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/a@s': tag already exists on this dataset\n" })
      .reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/a@s': tag already exists on this dataset\n" })
      .reply({});
    await settleHolds(host, 'hold', { tag: 't', snapshots: ['tank/a@s', 'tank/b@s'] });
    expect(runner.calls.map((c) => c.argv.slice(1))).toEqual([['hold', 't', 'tank/a@s', 'tank/b@s'], ['hold', 't', 'tank/a@s'], ['hold', 't', 'tank/b@s']]);
  });

  it('any other refusal is an error', async () => {
    const { host, runner } = fakeHost();
    runner.reply({ exitCode: 1, stderr: "cannot hold snapshot 'tank/a@s': permission denied\n" });
    await expect(settleHolds(host, 'hold', { tag: 't', snapshots: ['tank/a@s', 'tank/b@s'] })).rejects.toBeInstanceOf(AppFailure);
    expect(runner.calls).toHaveLength(1);
  });
});

describe('bookmark', () => {
  it('bookmarks a snapshot or a bookmark of the same dataset', () => {
    expect(buildCreateBookmarkArgv(tools, { source: 'tank/a@s', bookmark: 'tank/a#s' })).toEqual(['/usr/sbin/zfs', 'bookmark', 'tank/a@s', 'tank/a#s']);
    expect(buildCreateBookmarkArgv(tools, { source: 'tank/a#s', bookmark: 'tank/a#t' })).toEqual(['/usr/sbin/zfs', 'bookmark', 'tank/a#s', 'tank/a#t']);
    expect(failureOf(() => buildCreateBookmarkArgv(tools, { source: 'tank/a@s', bookmark: 'tank/b#s' })).code).toBe('INVALID_REQUEST');
  });
});

describe('create dataset', () => {
  it('creates a filesystem with properties, or a sparse volume', () => {
    expect(buildCreateDatasetArgv(tools, { dataset: 'tank/a b/c', createParents: true, properties: { compression: 'lz4', 'com.example:note': 'x y' } })).toEqual([
      '/usr/sbin/zfs', 'create', '-p', '-o', 'compression=lz4', '-o', 'com.example:note=x y', 'tank/a b/c',
    ]);
    expect(buildCreateDatasetArgv(tools, { dataset: 'tank/vol', volumeSizeBytes: 8 * 1024 * 1024, sparse: true })).toEqual([
      '/usr/sbin/zfs', 'create', '-s', '-V', '8388608', 'tank/vol',
    ]);
  });

  it('creates an encryption root whose key goes on stdin, never on the command line', async () => {
    const key = { format: 'hex' as const, key: 'ab'.repeat(32) };
    expect(buildCreateDatasetArgv(tools, { dataset: 'tank/secret', encryptionKey: key })).toEqual([
      '/usr/sbin/zfs', 'create', '-o', 'encryption=on', '-o', 'keyformat=hex', '-o', 'keylocation=prompt', 'tank/secret',
    ]);
    const { host, runner } = fakeHost();
    await createDataset(host, { dataset: 'tank/secret', encryptionKey: key });
    expect(runner.calls[0]!.options?.stdin).toBe(`${key.key}\n`);
    expect(runner.calls[0]!.argv.join(' ')).not.toContain(key.key);
  });

  it('refuses a pool, a fractional size, a sparse filesystem', () => {
    expect(failureOf(() => buildCreateDatasetArgv(tools, { dataset: 'tank' })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildCreateDatasetArgv(tools, { dataset: 'tank/v', volumeSizeBytes: 1.5 })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildCreateDatasetArgv(tools, { dataset: 'tank/v', sparse: true })).code).toBe('INVALID_REQUEST');
  });
});

describe('rename', () => {
  it('renames datasets within a pool and snapshots within a dataset', () => {
    expect(buildRenameArgv(tools, { from: 'tank/a', to: 'tank/b/c', createParents: true })).toEqual(['/usr/sbin/zfs', 'rename', '-p', 'tank/a', 'tank/b/c']);
    expect(buildRenameArgv(tools, { from: 'tank/a@x', to: 'tank/a@y', recursive: true })).toEqual(['/usr/sbin/zfs', 'rename', '-r', 'tank/a@x', 'tank/a@y']);
  });

  it('refuses moves across pools or datasets', () => {
    expect(failureOf(() => buildRenameArgv(tools, { from: 'tank/a', to: 'backup/a' })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildRenameArgv(tools, { from: 'tank/a@x', to: 'tank/b@x' })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildRenameArgv(tools, { from: 'tank', to: 'pool2' })).code).toBe('INVALID_REQUEST');
  });
});

describe('properties', () => {
  it('sets several in one command and inherits one', async () => {
    const { host, runner } = fakeHost();
    await setProperties(host, 'tank/a', { compression: 'zstd', 'com.example:owner': "O'Brien" });
    expect(runner.calls[0]!.argv).toEqual(['/usr/sbin/zfs', 'set', 'compression=zstd', "com.example:owner=O'Brien", 'tank/a']);
    expect(buildInheritArgv(tools, { name: 'tank/a', property: 'compression', recursive: true, revertToReceived: true })).toEqual([
      '/usr/sbin/zfs', 'inherit', '-r', '-S', 'compression', 'tank/a',
    ]);
  });

  it('refuses empty assignments, NUL bytes and option-like property names', () => {
    expect(failureOf(() => buildSetPropertiesArgv(tools, 'tank/a', {})).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildSetPropertiesArgv(tools, 'tank/a', { 'com.x:y': 'a\0b' })).code).toBe('INVALID_REQUEST');
    expect(failureOf(() => buildInheritArgv(tools, { name: 'tank/a', property: '-r' })).code).toBe('INVALID_NAME');
  });
});

describe('load-key', () => {
  it('sends the passphrase on stdin, never in argv', async () => {
    const { host, runner } = fakeHost();
    await loadKey(host, { dataset: 'tank/secret', passphrase: 'correct horse battery' });
    expect(runner.calls[0]!.argv).toEqual(['/usr/sbin/zfs', 'load-key', '-L', 'prompt', 'tank/secret']);
    expect(runner.calls[0]!.argv.join(' ')).not.toContain('horse');
    expect(runner.calls[0]!.options?.stdin).toBe('correct horse battery\n');
  });

  it('uses the keylocation when no passphrase is given, and checks passphrase length', async () => {
    expect(buildLoadKeyArgv(tools, { dataset: 'tank/secret', dryRun: true })).toEqual(['/usr/sbin/zfs', 'load-key', '-n', 'tank/secret']);
    const { host, runner } = fakeHost();
    await expect(loadKey(host, { dataset: 'tank/s', passphrase: 'short' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(loadKey(host, { dataset: 'tank/s', passphrase: 'two\nlines here' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(runner.calls).toEqual([]);
  });
});
