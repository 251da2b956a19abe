import { describe, expect, it } from 'vitest';
import {
  buildRollbackArgv,
  rollbackFlagsOf,
  buildRollbackListingArgv,
  destroysOf,
  parseRollbackListing,
  rollback,
  type RollbackPlan,
} from '../../../../../electron/services/zfs/rollback.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { fakeHost, fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;
const plain = 'tank/zrd-fixtures/plain';
const listing = fixture('rollback-listing-plain-s1.txt');

const expectedPlan: RollbackPlan = {
  snapshot: `${plain}@s1`,
  destroysSnapshots: [`${plain}@s2`, `${plain}@s3`, `${plain}@s4`],
  destroysBookmarks: [`${plain}#s3 bookmark`],
  destroysClones: ['tank/zrd-fixtures/clone'],
  discardsWrittenBytes: 1531904,
};

async function failureOf(promise: Promise<unknown>): Promise<AppFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof AppFailure)) throw new Error(`expected an AppFailure, got ${String(error)}`);
  return error;
}

describe('rollback plan', () => {
  it('lists the dataset with written@<target>', () => {
    expect(buildRollbackListingArgv(tools, `${plain}@s1`)).toEqual([
      '/usr/sbin/zfs', 'list', '-H', '-p', '-t', 'filesystem,volume,snapshot,bookmark', '-d', '1',
      '-o', 'name,type,createtxg,clones,written@s1', plain,
    ]);
  });

  it('finds newer snapshots, newer bookmarks (not the one of the target itself), clones and the data written since', () => {
    expect(parseRollbackListing(listing, `${plain}@s1`)).toEqual(expectedPlan);
  });

  it('plans nothing but the discarded data when rolling back to the newest snapshot', () => {
    const plan = parseRollbackListing(listing, `${plain}@s4`);
    expect(plan).toMatchObject({ destroysSnapshots: [], destroysBookmarks: [], destroysClones: [] });
    expect(buildRollbackArgv(tools, plan.snapshot, rollbackFlagsOf(plan))).toEqual(['/usr/sbin/zfs', 'rollback', `${plain}@s4`]);
  });

  it('says DATASET_NOT_FOUND for a snapshot that is not there', () => {
    expect(() => parseRollbackListing(listing, `${plain}@gone`)).toThrow(expect.objectContaining({ code: 'DATASET_NOT_FOUND' }));
  });
});

describe('rollback', () => {
  it('without a confirmation: CONFIRMATION_REQUIRED with the plan, nothing rolled back', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing);
    const failure = await failureOf(rollback(host, { snapshot: `${plain}@s1` }));
    expect(failure.appError).toMatchObject({ code: 'CONFIRMATION_REQUIRED', details: { destroys: destroysOf(expectedPlan), reclaimBytes: expectedPlan.discardsWrittenBytes } });
    expect(failure.message).toBe(`Rolling back to ${plain}@s1 discards 1531904 bytes written since ${plain}@s1, destroys 3 newer snapshot(s), 1 newer bookmark(s), 1 clone(s).`);
    expect(runner.calls).toHaveLength(1);
  });

  it('with the confirmation of the current plan: rolls back with -r -R', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing).reply('');
    expect(await rollback(host, { snapshot: `${plain}@s1`, confirmation: expectedPlan })).toEqual(expectedPlan);
    expect(runner.calls[1]!.argv).toEqual(['/usr/sbin/zfs', 'rollback', '-r', '-R', `${plain}@s1`]);
  });

  it('refuses a confirmation that no longer matches: other snapshots, or much more data written since', async () => {
    for (const stale of [
      { ...expectedPlan, destroysSnapshots: [`${plain}@s2`, `${plain}@s3`] },
      { ...expectedPlan, destroysClones: [] },
      { ...expectedPlan, discardsWrittenBytes: 0 },
      { ...expectedPlan, snapshot: `${plain}@s2` },
    ]) {
      const { host, runner } = fakeHost();
      runner.reply(listing);
      const failure = await failureOf(rollback(host, { snapshot: `${plain}@s1`, confirmation: stale }));
      expect(failure.code).toBe('CONFIRMATION_REQUIRED');
      expect(failure.message).toContain('out of date');
      expect(runner.calls).toHaveLength(1);
    }
  });

  it('tolerates metadata noise in written bytes', async () => {
    const { host, runner } = fakeHost();
    runner.reply(listing).reply('');
    await rollback(host, { snapshot: `${plain}@s1`, confirmation: { ...expectedPlan, discardsWrittenBytes: expectedPlan.discardsWrittenBytes - 4096 } });
    expect(runner.calls).toHaveLength(2);
  });
});
