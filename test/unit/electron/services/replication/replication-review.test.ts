import { describe, expect, it } from 'vitest';
import { sentNames } from '../../../../../electron/services/replication/replication-review.ts';

// What a plan's streams carry, as the review lists "what the next run sends".
const snap = (name: string, createtxg: number) => ({ name, guid: String(createtxg), createtxg });
const source = { snapshots: [snap('a', 10), snap('b', 20), snap('other', 25), snap('c', 30), snap('d', 40)], bookmarks: [{ name: 'a', guid: '10', createtxg: 10 }] };

describe('sentNames', () => {
  it('a full stream and the -I after it: every snapshot up to the target, intermediates not selected included', () => {
    expect(sentNames(source, { status: 'ready', base: null, destructive: null, newest: 'd', steps: [{ kind: 'full', snapshot: 'a' }, { kind: 'incremental', from: 'a', to: 'd', intermediates: true }] })).toEqual(['a', 'b', 'other', 'c', 'd']);
  });

  it('-i streams carry their targets only; a bookmark starts one', () => {
    const steps = [
      { kind: 'incremental' as const, from: '#a', to: 'b', intermediates: false },
      { kind: 'incremental' as const, from: 'b', to: 'd', intermediates: false },
    ];
    expect(sentNames(source, { status: 'ready', base: 'a', destructive: null, newest: 'd', steps })).toEqual(['b', 'd']);
    expect(sentNames(source, { status: 'ready', base: 'a', destructive: null, newest: 'd', steps: [{ kind: 'incremental', from: '#a', to: 'c', intermediates: true }] })).toEqual(['b', 'other', 'c']);
  });

  it('nothing for a plan that sends nothing, or resumes a stream whose content it does not know', () => {
    expect(sentNames(source, { status: 'up-to-date', base: 'd', steps: [] })).toEqual([]);
    expect(sentNames(source, { status: 'ready', base: 'b', destructive: null, newest: '', steps: [{ kind: 'resume', token: 't' }] })).toEqual([]);
  });
});
