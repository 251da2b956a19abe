import { describe, expect, it } from 'vitest';
import { propsEqualOn, recentCache, recycledSlots, steadyRange, type RowSlots } from '../../../renderer/components/data-table-window.ts';

const range = (startIndex: number, endIndex: number, count = 100_000, overscan = 12) => ({ startIndex, endIndex, overscan, count });

describe('steadyRange: the rows a scrolling table draws', () => {
  it('draws the rows in view with the overscan on each side, like the default', () => {
    const { indexes, size } = steadyRange(range(100, 114), 0);
    expect(indexes[0]).toBe(88);
    expect(indexes.at(-1)).toBe(126);
    expect(size).toBe(39);
  });

  it('keeps the number of rows when one fewer is in view (a viewport that is not a whole number of rows tall)', () => {
    let size = 0;
    const lengths: number[] = [];
    for (let start = 100; start < 200; start += 7) {
      // 15 rows in view, then 14, then 15…
      const next = steadyRange(range(start, start + (start % 2 === 0 ? 14 : 13)), size);
      size = next.size;
      lengths.push(next.indexes.length);
      // Contiguous, and the rows in view are among them.
      expect(next.indexes.every((index, i) => i === 0 || index === next.indexes[i - 1]! + 1)).toBe(true);
      expect(next.indexes).toContain(start);
      expect(next.indexes).toContain(start + 13);
    }
    expect(new Set(lengths)).toEqual(new Set([39]));
  });

  it('stays inside the rows at both ends, with the same number of rows', () => {
    const top = steadyRange(range(0, 14), 39);
    expect(top.indexes[0]).toBe(0);
    expect(top.indexes).toHaveLength(39);
    const bottom = steadyRange(range(99_986, 99_999), 39);
    expect(bottom.indexes.at(-1)).toBe(99_999);
    expect(bottom.indexes).toHaveLength(39);
  });

  it('draws every row of a table shorter than the window, and none of an empty one', () => {
    expect(steadyRange(range(0, 4, 5), 39).indexes).toEqual([0, 1, 2, 3, 4]);
    expect(steadyRange(range(0, -1, 0), 39).indexes).toEqual([]);
  });

  it('grows when more rows come into view (a taller window)', () => {
    expect(steadyRange(range(100, 130), 39).size).toBe(55);
  });
});

const items = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i }));

describe('recycledSlots: which React slot draws each row', () => {
  it('a row that stays in view keeps its slot; a row entering takes the slot of one that left', () => {
    const first = recycledSlots({ slotOf: new Map(), order: [] }, items(0, 9), true);
    expect([...first.slotOf.values()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const next = recycledSlots(first, items(3, 12), false);
    for (let i = 3; i <= 9; i++) expect(next.slotOf.get(i)).toBe(first.slotOf.get(i));
    // Rows 10–12 reuse the slots of rows 0–2: no slot is created.
    expect(new Set(next.slotOf.values())).toEqual(new Set(first.slotOf.values()));
    // While scrolling the slots keep their DOM places.
    expect(next.order).toEqual(first.order);
  });

  it('at rest the slots are in the order of their rows', () => {
    let slots: RowSlots = recycledSlots({ slotOf: new Map(), order: [] }, items(0, 9), true);
    slots = recycledSlots(slots, items(5, 14), false);
    const rest = recycledSlots(slots, items(5, 14), true);
    expect(rest.order).toEqual(items(5, 14).map(({ index }) => rest.slotOf.get(index)));
    expect(rest.slotOf).toEqual(slots.slotOf);
  });

  it('with a steady window, scrolling never adds or drops a slot', () => {
    let size = 0;
    let slots: RowSlots = { slotOf: new Map(), order: [] };
    const seen = new Set<number>();
    for (let start = 0; start < 2_000; start += 12) {
      const next = steadyRange(range(start, start + (start % 24 === 0 ? 14 : 13)), size);
      size = next.size;
      slots = recycledSlots(
        slots,
        next.indexes.map((index) => ({ index })),
        false,
      );
      for (const slot of slots.slotOf.values()) seen.add(slot);
      expect(slots.order).toHaveLength(size);
    }
    expect(seen.size).toBe(size);
  });
});

describe('recentCache: the rows a flat table keeps built', () => {
  it('makes a value once while it is asked for, and keeps at most `limit`, the least recent going first', () => {
    const made: number[] = [];
    const make = (key: number) => {
      made.push(key);
      return { key };
    };
    const cache = recentCache<{ key: number }>(3);
    const first = cache.get(1, make);
    cache.get(2, make);
    cache.get(3, make);
    expect(cache.get(1, make)).toBe(first);
    expect(made).toEqual([1, 2, 3]);
    // 2 is the least recent now (1 was asked for again): it goes for 4.
    cache.get(4, make);
    expect(cache.size).toBe(3);
    expect(cache.peek(2)).toBeUndefined();
    expect(cache.peek(1)).toBe(first);
    cache.get(2, make);
    expect(made).toEqual([1, 2, 3, 4, 2]);
    // peek does not refresh: 3 was the least recent and went for 2.
    expect(cache.peek(3)).toBeUndefined();
  });

  it('keeps a window of rows scrolled through and lets the rows scrolled past go', () => {
    const cache = recentCache<number>(50);
    // 40 rows drawn per frame, 12 new ones each frame.
    let last = 0;
    for (let start = 0; start < 1000; start += 12) {
      for (let i = start; i < start + 40; i++) cache.get(i, (k) => k);
      last = start;
    }
    expect(cache.size).toBe(50);
    for (let i = last; i < last + 40; i++) expect(cache.peek(i)).toBe(i);
    expect(cache.peek(0)).toBeUndefined();
  });
});

describe('propsEqualOn: a row memo comparison without listing keys', () => {
  it('compares the listed props with Object.is, and only those', () => {
    const same = propsEqualOn<{ a: number; b: object; c?: string }>(['a', 'b']);
    const b = {};
    expect(same({ a: 1, b }, { a: 1, b })).toBe(true);
    expect(same({ a: 1, b }, { a: 1, b: {} })).toBe(false);
    expect(same({ a: 1, b }, { a: 2, b })).toBe(false);
    expect(same({ a: NaN, b }, { a: NaN, b })).toBe(true);
    expect(same({ a: 1, b, c: 'x' }, { a: 1, b, c: 'y' })).toBe(true);
  });
});
