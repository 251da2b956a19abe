import { describe, expect, it } from 'vitest';
import {
  buildDestroyArgv,
  destroyDataset,
  destroySnapshots,
  parseDestroyOutput,
  protectionsHit,
  type SnapshotProtection,
} from '../../../../../electron/services/zfs/destroy.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;
const plain = 'tank/zrd-fixtures/plain';

async function failureOf(promise: Promise<unknown>): Promise<AppFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof AppFailure)) throw new Error(`expected an AppFailure, got ${String(error)}`);
  return error;
}

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

describe('destroying snapshots', () => {
  const held: SnapshotProtection = { snapshot: `${plain}@s1`, kind: 'hold', reason: 'held by zrd:task-1, keep me', holdTags: ['zrd:task-1', 'keep me'] };
  const lastCommon: SnapshotProtection = { snapshot: `${plain}@s3`, kind: 'last-common', reason: 'last snapshot in common with nas-b:backup/plain' };

  it('destroys several snapshots of one dataset in one command', async () => {
    const { host, runner } = fakeHost();
    runner.reply(fixture('destroy-dry-run-snapshots.txt'));
    const result = await destroySnapshots(host, { snapshots: [`${plain}@s3`, `${plain}@s4`], dryRun: true });
    expect(runner.calls.map((c) => c.argv)).toEqual([['/usr/sbin/zfs', 'destroy', '-n', '-v', '-p', `${plain}@s3,s4`]]);
    expect(result).toEqual({ destroys: [`${plain}@s3`, `${plain}@s4`], reclaimBytes: 57344, dryRun: true, protections: [], forceReason: null });
  });

  it('refuses snapshots of two datasets at once, and bad names, before running anything', async () => {
    const { host, runner } = fakeHost();
    expect((await failureOf(destroySnapshots(host, { snapshots: [`${plain}@s3`, 'tank/other@s3'] }))).code).toBe('INVALID_REQUEST');
    expect((await failureOf(destroySnapshots(host, { snapshots: [`${plain}@s;reboot`] }))).code).toBe('INVALID_NAME');
    expect((await failureOf(destroySnapshots(host, { snapshots: [] }))).code).toBe('INVALID_REQUEST');
    expect(runner.calls).toEqual([]);
  });

  it('refuses a protected snapshot with CONFIRMATION_REQUIRED, naming why, without running anything', async () => {
    const { host, runner } = fakeHost();
    const failure = await failureOf(destroySnapshots(host, { snapshots: [`${plain}@s3`, `${plain}@s4`], protections: [held, lastCommon] }));
    expect(failure.appError).toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
      message: `Refusing to destroy protected snapshots: ${plain}@s3 (last snapshot in common with nas-b:backup/plain).`,
      details: { protections: [lastCommon] },
    });
    expect(runner.calls).toEqual([]);
  });

  it('reports protections in a dry run instead of refusing', async () => {
    const { host, runner } = fakeHost();
    runner.reply(fixture('destroy-dry-run-snapshots.txt'));
    const result = await destroySnapshots(host, { snapshots: [`${plain}@s3`, `${plain}@s4`], protections: [lastCommon], dryRun: true });
    expect(result.protections).toEqual([lastCommon]);
  });

  it('forced with a reason: releases the holds first, then destroys', async () => {
    const { host, runner } = fakeHost();
    runner.reply('').reply('').reply(`destroy\t${plain}@s1\nreclaim\t57344\n`);
    const result = await destroySnapshots(host, { snapshots: [`${plain}@s1`], protections: [held], force: { reason: ' re-seeding the task ' } });
    expect(runner.calls.map((c) => c.argv)).toEqual([
      ['/usr/sbin/zfs', 'release', 'zrd:task-1', `${plain}@s1`],
      ['/usr/sbin/zfs', 'release', 'keep me', `${plain}@s1`],
      ['/usr/sbin/zfs', 'destroy', '-v', '-p', `${plain}@s1`],
    ]);
    expect(result).toMatchObject({ destroys: [`${plain}@s1`], protections: [held], forceReason: 're-seeding the task' });
  });

  it('needs a reason to force', async () => {
    const { host } = fakeHost();
    expect((await failureOf(destroySnapshots(host, { snapshots: [`${plain}@s1`], protections: [held], force: { reason: '  ' } }))).code).toBe('INVALID_REQUEST');
  });

  it('with -r, protects same-named snapshots of descendants too', () => {
    const child: SnapshotProtection = { snapshot: `${plain}/child@s3`, kind: 'other', reason: 'x' };
    const sibling: SnapshotProtection = { snapshot: `${plain}x/child@s3`, kind: 'other', reason: 'x' };
    expect(protectionsHit([`${plain}@s3`], [child, sibling], true)).toEqual([child]);
    expect(protectionsHit([`${plain}@s3`], [child, sibling], false)).toEqual([]);
  });
});

describe('destroying a dataset', () => {
  const dataset = 'tank/zrd-fixtures/with space';
  const listing = fixture('destroy-dry-run-dataset.txt');

  it('without a confirmation: lists what goes and asks for it', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing);
    const failure = await failureOf(destroyDataset(host, { dataset, recursive: true }));
    expect(failure.code).toBe('CONFIRMATION_REQUIRED');
    expect(failure.appError.details).toMatchObject({ destroys: parseDestroyOutput(listing).destroys, reclaimBytes: parseDestroyOutput(listing).reclaimBytes });
    expect(runner.calls.map((c) => c.argv)).toEqual([['/usr/sbin/zfs', 'destroy', '-n', '-v', '-p', '-r', dataset]]);
  });

  it('with the confirmation of the same list: destroys', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing).reply(listing);
    const confirmation = { destroys: [...parseDestroyOutput(listing).destroys].reverse() };
    await destroyDataset(host, { dataset, recursive: true, confirmation });
    expect(runner.calls.map((c) => c.argv)[1]).toEqual(['/usr/sbin/zfs', 'destroy', '-v', '-p', '-r', dataset]);
  });

  it('with a stale confirmation: asks again', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing);
    const failure = await failureOf(destroyDataset(host, { dataset, recursive: true, confirmation: { destroys: [dataset] } }));
    expect(failure.code).toBe('CONFIRMATION_REQUIRED');
    expect(failure.message).toContain('has changed since it was confirmed');
    expect(runner.calls).toHaveLength(1);
  });

  it('never destroys a pool', async () => {
    const { host, runner } = fakeHost();
    expect((await failureOf(destroyDataset(host, { dataset: 'tank', recursive: true }))).code).toBe('INVALID_REQUEST');
    expect(runner.calls).toEqual([]);
  });
});
