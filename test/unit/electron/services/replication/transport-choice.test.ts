import { describe, expect, it } from 'vitest';
import { incrementBytes, relaysSmallIncrement, smallIncrementBytes } from '../../../../../electron/services/replication/transport-choice.ts';

const snap = (name: string, createtxg: number, writtenBytes: number) => ({ name, guid: String(createtxg), createtxg, usedBytes: 0, userRefs: 0, writtenBytes });
const dataset = {
  snapshots: [snap('s1', 10, 500), snap('s2', 20, 1000), snap('s3', 30, 2000), snap('s4', 40, 4000)],
  bookmarks: [{ name: 's1', guid: '10', createtxg: 10 }],
};
const direct = { transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' } } as const;

describe('incrementBytes', () => {
  it("sums the `written` of every snapshot after the base up to the target (skipped ones too: -i carries their changes)", () => {
    expect(incrementBytes(dataset, 's1', 's2')).toBe(1000);
    expect(incrementBytes(dataset, 's1', 's4')).toBe(7000);
    expect(incrementBytes(dataset, '#s1', 's3')).toBe(3000);
  });
  it('is null when an end is not listed', () => {
    expect(incrementBytes(dataset, 'gone', 's2')).toBeNull();
    expect(incrementBytes(dataset, 's1', 'gone')).toBeNull();
    expect(incrementBytes(dataset, '#gone', 's2')).toBeNull();
  });
});

describe('relaysSmallIncrement', () => {
  const big = { snapshots: [snap('s1', 10, 0), snap('s2', 20, smallIncrementBytes + 1)], bookmarks: [] };
  const small = { snapshots: [snap('s1', 10, 0), snap('s2', 20, smallIncrementBytes)], bookmarks: [] };
  const step = { kind: 'incremental', from: 's1', to: 's2', intermediates: false } as const;
  it('relays a direct increment of 1 MiB or less, and nothing else', () => {
    expect(relaysSmallIncrement(direct, step, small)).toBe(true);
    expect(relaysSmallIncrement(direct, step, big)).toBe(false);
    expect(relaysSmallIncrement({ transport: { kind: 'relay' } }, step, small)).toBe(false);
    expect(relaysSmallIncrement(direct, { kind: 'full', snapshot: 's2', intermediates: false } as never, small)).toBe(false);
    expect(relaysSmallIncrement(direct, { ...step, from: 'unknown' }, small)).toBe(false);
  });
});
