import { describe, expect, it } from 'vitest';
import {
  longIncrementalSnapshots,
  planReplication,
  type DestinationState,
  type PlannerSnapshot,
  type SourceState,
} from '../../../../../electron/services/replication/replication-planner.ts';

const snap = (name: string, txg: number, guid = `g${txg}`): PlannerSnapshot => ({ name, guid, createtxg: txg });
const source = (snapshots: PlannerSnapshot[], bookmarks: PlannerSnapshot[] = []): SourceState => ({ dataset: 'tank/data', snapshots, bookmarks });
const destination = (over: Partial<DestinationState> = {}): DestinationState => ({
  dataset: 'backup/data',
  exists: true,
  snapshots: [],
  writtenSinceNewestSnapshot: 0,
  usedBytes: 98304,
  receiveResumeToken: null,
  ...over,
});
const all = { select: () => true };
const autoOnly = { select: (name: string) => name.startsWith('auto-') };

describe('planReplication', () => {
  it('new destination: full send of the oldest, then one -I to the newest', () => {
    const plan = planReplication(source([snap('a1', 10), snap('a2', 20), snap('a3', 30)]), destination({ exists: false }), all);
    expect(plan).toEqual({
      status: 'ready',
      base: null,
      destructive: null,
      newest: 'a3',
      steps: [
        { kind: 'full', snapshot: 'a1' },
        { kind: 'incremental', from: 'a1', to: 'a3', intermediates: true },
      ],
    });
  });

  it(`an -I stream of ${longIncrementalSnapshots} or more snapshots ends in its own one-snapshot -i (only that one carries -p)`, () => {
    const many = Array.from({ length: 101 }, (_, i) => snap(`s${String(i).padStart(3, '0')}`, 10 + i));
    const onBase = destination({ snapshots: [snap('s000', 3, 'g10')] });
    const split = { ...all, splitLongIncremental: true };
    expect(planReplication(source(many), onBase, split)).toMatchObject({
      status: 'ready',
      steps: [
        { kind: 'incremental', from: 's000', to: 's099', intermediates: true },
        { kind: 'incremental', from: 's099', to: 's100', intermediates: false },
      ],
    });
    // A new destination: full, then the same split.
    expect(planReplication(source(many), destination({ exists: false }), split).steps).toEqual([
      { kind: 'full', snapshot: 's000' },
      { kind: 'incremental', from: 's000', to: 's099', intermediates: true },
      { kind: 'incremental', from: 's099', to: 's100', intermediates: false },
    ]);
    // Just under the threshold: one -I.
    const few = many.slice(0, longIncrementalSnapshots);
    expect(planReplication(source(few), onBase, split).steps).toEqual([{ kind: 'incremental', from: 's000', to: few.at(-1)!.name, intermediates: true }]);
    // Exactly at it: the -I keeps its intermediates up to the one before the newest.
    const atThreshold = many.slice(0, longIncrementalSnapshots + 1);
    expect(planReplication(source(atThreshold), onBase, split).steps).toEqual([
      { kind: 'incremental', from: 's000', to: atThreshold.at(-2)!.name, intermediates: true },
      { kind: 'incremental', from: atThreshold.at(-2)!.name, to: atThreshold.at(-1)!.name, intermediates: false },
    ]);
    // Without properties to replicate there is nothing to save: one -I.
    expect(planReplication(source(many), onBase, all).steps).toEqual([{ kind: 'incremental', from: 's000', to: 's100', intermediates: true }]);
  });

  it('a filter that skips snapshots chains -i so unselected ones are not sent', () => {
    const plan = planReplication(source([snap('auto-1', 10), snap('manual', 15), snap('auto-2', 20), snap('auto-3', 30)]), destination({ exists: false }), autoOnly);
    expect(plan.steps).toEqual([
      { kind: 'full', snapshot: 'auto-1' },
      { kind: 'incremental', from: 'auto-1', to: 'auto-2', intermediates: false },
      { kind: 'incremental', from: 'auto-2', to: 'auto-3', intermediates: false },
    ]);
  });

  it('incremental from the newest common snapshot found by GUID, whatever its name on the destination', () => {
    const plan = planReplication(
      source([snap('a1', 10), snap('a2', 20), snap('a3', 30)]),
      destination({ snapshots: [snap('renamed-a1', 5, 'g10'), snap('a2', 6, 'g20')] }),
      all,
    );
    expect(plan).toMatchObject({ status: 'ready', base: 'a2', destructive: null, steps: [{ kind: 'incremental', from: 'a2', to: 'a3', intermediates: false }] });
  });

  it('same name but another GUID is not a common snapshot', () => {
    const plan = planReplication(source([snap('a1', 10)]), destination({ snapshots: [snap('a1', 3, 'other')] }), all);
    expect(plan.status).toBe('refused');
  });

  it('up to date when the newest selected snapshot is already there', () => {
    expect(planReplication(source([snap('a1', 10)]), destination({ snapshots: [snap('a1', 4, 'g10')] }), all)).toEqual({ status: 'up-to-date', base: 'a1', steps: [] });
  });

  it('falls back to a source bookmark when the common snapshot was pruned on the source', () => {
    const plan = planReplication(source([snap('a3', 30), snap('a4', 40)], [snap('a2', 20)]), destination({ snapshots: [snap('a2', 7, 'g20')] }), all);
    expect(plan.steps).toEqual([
      { kind: 'incremental', from: '#a2', to: 'a3', intermediates: false },
      { kind: 'incremental', from: 'a3', to: 'a4', intermediates: false },
    ]);
  });

  it('a common bookmark newer than the newest common snapshot is the base (no rollback over it)', () => {
    const plan = planReplication(
      source([snap('a1', 10), snap('a2', 20), snap('a4', 40)], [snap('a3', 30)]),
      destination({ snapshots: [snap('a1', 5, 'g10'), snap('a2', 6, 'g20'), snap('a3', 7, 'g30')] }),
      all,
    );
    expect(plan).toEqual({ status: 'ready', base: 'a3', destructive: null, newest: 'a4', steps: [{ kind: 'incremental', from: '#a3', to: 'a4', intermediates: false }] });
  });

  it('a resume token is finished before anything else', () => {
    const plan = planReplication(source([snap('a1', 10)]), destination({ receiveResumeToken: '1-abc' }), all);
    expect(plan.steps).toEqual([{ kind: 'resume', token: '1-abc' }]);
  });

  it('nothing matches the selection: says so, sends nothing', () => {
    const plan = planReplication(source([snap('manual', 10)]), destination({ exists: false }), autoOnly);
    expect(plan).toMatchObject({ status: 'nothing-to-send', steps: [] });
  });

  describe('diverged destinations are refused with the reason and the resolution, and proceed only when confirmed', () => {
    // What a resolution destroys, exactly (descendants, GUIDs), is the task's destruction plan: see destruction.test.ts.
    it('newer snapshots on the destination', () => {
      const src = source([snap('a1', 10), snap('a2', 20)]);
      const dst = destination({ snapshots: [snap('a1', 4, 'g10'), snap('local-1', 5, 'x1'), snap('local-2', 6, 'x2')] });
      const plan = planReplication(src, dst, all);
      expect(plan).toEqual({
        status: 'refused',
        steps: [],
        refusal: { divergence: [{ reason: 'newer-snapshots', base: 'a1', snapshots: ['local-1', 'local-2'] }], resolution: { kind: 'rollback', to: 'backup/data@a1' } },
      });
      const confirmed = planReplication(src, dst, { ...all, destructionConfirmed: true });
      expect(confirmed).toMatchObject({ status: 'ready', destructive: { kind: 'rollback', to: 'backup/data@a1' }, steps: [{ kind: 'incremental', from: 'a1', to: 'a2' }] });
    });

    it('written since the base', () => {
      const plan = planReplication(source([snap('a1', 10), snap('a2', 20)]), destination({ snapshots: [snap('a1', 4, 'g10')], writtenSinceNewestSnapshot: 5 * 1024 * 1024 }), all);
      expect(plan.status === 'refused' && plan.refusal).toEqual({
        divergence: [{ reason: 'written-since-base', base: 'a1', bytes: 5 * 1024 * 1024 }],
        resolution: { kind: 'rollback', to: 'backup/data@a1' },
      });
    });

    it('destination rolled back below the newest source snapshot is not a divergence', () => {
      const plan = planReplication(source([snap('a1', 10), snap('a2', 20), snap('a3', 30)]), destination({ snapshots: [snap('a1', 4, 'g10')] }), all);
      expect(plan).toMatchObject({ status: 'ready', steps: [{ kind: 'incremental', from: 'a1', to: 'a3', intermediates: true }] });
    });

    it('snapshots but none in common: destroy and full resend, only when confirmed', () => {
      const src = source([snap('a1', 10)]);
      const dst = destination({ snapshots: [snap('old', 3, 'zz')] });
      const plan = planReplication(src, dst, all);
      expect(plan.status === 'refused' && plan.refusal).toEqual({
        divergence: [{ reason: 'no-common-snapshot', snapshots: ['backup/data@old'] }],
        resolution: { kind: 'destroy-dataset', dataset: 'backup/data' },
      });
      const confirmed = planReplication(src, dst, { ...all, destructionConfirmed: true });
      expect(confirmed).toMatchObject({ status: 'ready', destructive: { kind: 'destroy-dataset', dataset: 'backup/data' }, steps: [{ kind: 'full', snapshot: 'a1' }] });
    });

    it('data but no snapshots is never overwritten silently', () => {
      const plan = planReplication(source([snap('a1', 10)]), destination({ usedBytes: 3 * 1024 ** 3 }), all);
      expect(plan.status === 'refused' && plan.refusal).toEqual({
        divergence: [{ reason: 'data-without-snapshots', usedBytes: 3 * 1024 ** 3 }],
        resolution: { kind: 'destroy-dataset', dataset: 'backup/data' },
      });
    });
  });
});
