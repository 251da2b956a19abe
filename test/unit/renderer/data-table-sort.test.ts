import { sortFn_basic } from '@tanstack/react-table';
import { describe, expect, it } from 'vitest';
import { dataComparator, dataOrder, naturalCompare, sortFn_natural, sortText } from '../../../renderer/components/data-table-sort.ts';

const sorted = (names: string[]) => [...names].sort(naturalCompare);

describe('natural order of the tables', () => {
  it('puts numbers in their numeric order, not character by character', () => {
    expect(sorted(['snap-10', 'snap-9', 'snap-100', 'snap-1'])).toEqual(['snap-1', 'snap-9', 'snap-10', 'snap-100']);
  });

  it('orders dated snapshot names by their date', () => {
    const names = ['auto-2026-12-01_22-00', 'auto-2025-01-31_09-15', 'auto-2026-02-01_00-00', 'auto-2026-12-01_08-00'];
    expect(sorted(names)).toEqual(['auto-2025-01-31_09-15', 'auto-2026-02-01_00-00', 'auto-2026-12-01_08-00', 'auto-2026-12-01_22-00']);
  });

  it('ignores case and accents, and keeps equal names in their order (a stable sort)', () => {
    expect(naturalCompare('Daily', 'daily')).toBe(0);
    expect(naturalCompare('café', 'cafe')).toBe(0);
    expect(sorted(['b', 'Daily', 'a', 'daily'])).toEqual(['a', 'b', 'Daily', 'daily']);
  });

  it('puts the dataset before its children', () => {
    expect(sorted(['tank/data/sub', 'tank/data', 'tank'])).toEqual(['tank', 'tank/data', 'tank/data/sub']);
  });

  it('sorts a missing value as empty text, first', () => {
    expect(sortText(undefined)).toBe('');
    expect(sortText(null)).toBe('');
    expect(sortText(42)).toBe('42');
    expect(sorted(['b', sortText(undefined), 'a'])).toEqual(['', 'a', 'b']);
  });
});

interface Snap {
  name: string;
  created: number;
  txg: number;
  used?: number;
}

// The rows as DataTable gives them to the comparator, with each one counted when built: a sort by value or by data
// must build none.
function tableOf(data: Snap[], columns: Record<string, { sortFn: unknown; accessor?: (s: Snap) => unknown; sortUndefined?: 'first' | 'last' | 1 | -1; invert?: boolean }>) {
  let built = 0;
  const rowAt = (i: number) => {
    built++;
    const original = data[i]!;
    return { original, getValue: (id: string) => columns[id]!.accessor?.(original) };
  };
  const table = {
    getColumn: (id: string) => {
      const c = columns[id];
      if (!c) return undefined;
      return {
        getCanSort: () => true,
        getSortFn: () => c.sortFn as (a: ReturnType<typeof rowAt>, b: ReturnType<typeof rowAt>, id: string) => number,
        accessorFn: c.accessor ? (s: Snap) => c.accessor!(s) : undefined,
        columnDef: { sortUndefined: c.sortUndefined, invertSorting: c.invert },
      };
    },
  };
  const order = (sorting: { id: string; desc: boolean }[]) => data.map((_, i) => i).sort(dataComparator(table, sorting, data, rowAt)).map((i) => data[i]!.name);
  return { order, built: () => built };
}

const snaps: Snap[] = [
  { name: 'snap-10', created: 300, txg: 12, used: 5 },
  { name: 'snap-9', created: 200, txg: 11 },
  { name: 'Snap-1', created: 200, txg: 10, used: 7 },
  { name: 'snap-100', created: 100, txg: 9, used: 5 },
];

describe('DataTable sorting by data index', () => {
  it('sorts text naturally, both ways, reading values without building a row', () => {
    const t = tableOf(snaps, { name: { sortFn: sortFn_natural, accessor: (s) => s.name } });
    expect(t.order([{ id: 'name', desc: false }])).toEqual(['Snap-1', 'snap-9', 'snap-10', 'snap-100']);
    expect(t.order([{ id: 'name', desc: true }])).toEqual(['snap-100', 'snap-10', 'snap-9', 'Snap-1']);
    expect(t.built()).toBe(0);
  });

  it('sorts by a comparison of the data (dataOrder): creation, then txg', () => {
    const byCreation = dataOrder<Snap>((a, b) => a.created - b.created || a.txg - b.txg);
    const t = tableOf(snaps, { created: { sortFn: byCreation, accessor: (s) => s.created } });
    expect(t.order([{ id: 'created', desc: false }])).toEqual(['snap-100', 'Snap-1', 'snap-9', 'snap-10']);
    expect(t.order([{ id: 'created', desc: true }])).toEqual(['snap-10', 'snap-9', 'Snap-1', 'snap-100']);
    expect(t.built()).toBe(0);
    // The same sortFn still works as TanStack calls it, on rows.
    expect(byCreation({ original: snaps[1]! }, { original: snaps[2]! })).toBeGreaterThan(0);
  });

  it('keeps the data order for equal values, and a second sort breaks the tie', () => {
    const t = tableOf(snaps, { used: { sortFn: sortFn_basic, accessor: (s) => s.used ?? 0 }, name: { sortFn: sortFn_natural, accessor: (s) => s.name } });
    expect(t.order([{ id: 'used', desc: false }])).toEqual(['snap-9', 'snap-10', 'snap-100', 'Snap-1']);
    expect(t.order([{ id: 'used', desc: false }, { id: 'name', desc: true }])).toEqual(['snap-9', 'snap-100', 'snap-10', 'Snap-1']);
  });

  it('puts missing values last when the column says so, whatever the direction; inverts when asked', () => {
    const t = tableOf(snaps, { used: { sortFn: sortFn_basic, accessor: (s) => s.used, sortUndefined: 'last' }, inv: { sortFn: sortFn_basic, accessor: (s) => s.created, invert: true } });
    expect(t.order([{ id: 'used', desc: true }])).toEqual(['Snap-1', 'snap-10', 'snap-100', 'snap-9']);
    expect(t.order([{ id: 'used', desc: false }])).toEqual(['snap-10', 'snap-100', 'Snap-1', 'snap-9']);
    expect(t.order([{ id: 'inv', desc: false }])).toEqual(['snap-10', 'snap-9', 'Snap-1', 'snap-100']);
  });

  it('compares rows with any other sortFn, and ignores a column it does not know', () => {
    const byTxg = (a: { original: Snap }, b: { original: Snap }) => a.original.txg - b.original.txg;
    const t = tableOf(snaps, { txg: { sortFn: byTxg, accessor: (s) => s.txg } });
    expect(t.order([{ id: 'gone', desc: false }, { id: 'txg', desc: false }])).toEqual(['snap-100', 'Snap-1', 'snap-9', 'snap-10']);
    expect(t.built()).toBeGreaterThan(0);
  });
});
