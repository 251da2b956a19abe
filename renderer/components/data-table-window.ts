// The rows a virtualized DataTable draws while it scrolls, and which recycled React slot draws each: pure functions,
// unit-tested (test/unit/renderer/data-table-window.test.ts).

/** What TanStack Virtual's rangeExtractor receives: the rows in view and the overscan on each side. */
export interface VisibleRange {
  startIndex: number;
  endIndex: number;
  overscan: number;
  count: number;
}

/**
 * The rows to draw: the rows in view with `overscan` more on each side, as TanStack's default extractor does, but
 * always `size` rows (the most it has drawn yet) while the table has that many. The number of rows in view of a
 * viewport that is not a whole number of rows tall goes up and down by one as it scrolls; with the default, a row
 * slot was mounted and another unmounted on every other scroll frame (a whole row of new elements to create, style
 * and lay out). Returns the indexes and the size to pass next time.
 */
export function steadyRange(range: VisibleRange, size: number): { indexes: number[]; size: number } {
  if (range.count === 0 || range.endIndex < range.startIndex) return { indexes: [], size };
  const wanted = range.endIndex - range.startIndex + 1 + 2 * range.overscan;
  const steady = Math.max(size, wanted);
  const length = Math.min(steady, range.count);
  // Centred like the default (overscan before), then moved back inside 0…count-1.
  const start = Math.max(0, Math.min(range.startIndex - range.overscan, range.count - length));
  const indexes = new Array<number>(length);
  for (let i = 0; i < length; i++) indexes[i] = start + i;
  return { indexes, size: steady };
}

/** Which slot (React key) draws each row index, and the slots in DOM order. */
export interface RowSlots {
  slotOf: Map<number, number>;
  order: number[];
}

/**
 * Rows are keyed by a slot, not by id: a row that stays in view keeps its slot (and its props: nothing is drawn), and
 * a row entering takes the slot of one that left, so React rewrites a few texts and attributes of elements that exist
 * instead of creating ~25 elements per row and removing as many on every scroll frame (a 30 ms frame: style and
 * layout of every new element).
 *
 * DOM order: while the grid scrolls, the slots keep their places (a recycled row moved to the other end of the list
 * would be detached and attached again, which costs what creating it did); the rows are absolutely placed, so the
 * screen is right. At rest (`inIndexOrder`, the virtualizer's scrolling flag dropped 150 ms after the last scroll) the
 * rows are put back in index order, so screen readers and anything reading the DOM find them in the order shown.
 * The same inputs give the same result (a second render changes nothing).
 */
export function recycledSlots(previous: RowSlots, items: readonly { index: number }[], inIndexOrder: boolean): RowSlots {
  const slotOf = new Map<number, number>();
  const used = new Set<number>();
  for (const { index } of items) {
    const slot = previous.slotOf.get(index);
    if (slot !== undefined) {
      slotOf.set(index, slot);
      used.add(slot);
    }
  }
  const free = [...previous.slotOf.values()].filter((slot) => !used.has(slot));
  let fresh = 0;
  for (const { index } of items) {
    if (slotOf.has(index)) continue;
    let slot = free.pop();
    if (slot === undefined) {
      while (used.has(fresh)) fresh++;
      slot = fresh;
    }
    slotOf.set(index, slot);
    used.add(slot);
  }
  if (inIndexOrder) return { slotOf, order: items.map(({ index }) => slotOf.get(index)!) };
  const order = previous.order.filter((slot) => used.has(slot));
  const placed = new Set(order);
  for (const { index } of items) if (!placed.has(slotOf.get(index)!)) order.push(slotOf.get(index)!);
  return { slotOf, order };
}

/** The values last asked for by key, at most `limit` of them (see recentCache). */
export interface RecentCache<V> {
  /** The value of `key`, made by `make` if it is not kept; it becomes the most recent either way. */
  get(key: number, make: (key: number) => V): V;
  /** The value of `key` if it is kept, without making it the most recent. */
  peek(key: number): V | undefined;
  readonly size: number;
}

/**
 * A cache of the `limit` values used most recently: the rows a flat table drew last. A row that stays in view is
 * asked for on every frame and stays; rows scrolled past go first. Kept without a bound, every row scrolled past stayed
 * alive as long as the table's data (a row with its cells and their contexts is a few KB: 100 scroll frames added 7 MB,
 * which the next major GC marked inside a scroll frame). `limit` must exceed the rows drawn at once.
 */
export function recentCache<V>(limit: number): RecentCache<V> {
  const entries = new Map<number, V>();
  return {
    get(key, make) {
      let value = entries.get(key);
      if (value !== undefined) {
        // A Map iterates in insertion order: set again, the key is the newest.
        entries.delete(key);
      } else {
        value = make(key);
        if (entries.size >= limit) entries.delete(entries.keys().next().value!);
      }
      entries.set(key, value);
      return value;
    },
    peek: (key) => entries.get(key),
    get size() {
      return entries.size;
    },
  };
}

/**
 * A React.memo comparison on a fixed list of props (Object.is, as React's own): React's default lists the keys of
 * both objects on every call, which for the rows of a scrolling table is garbage made on every frame.
 */
export function propsEqualOn<P>(keys: readonly (keyof P)[]): (a: P, b: P) => boolean {
  // An index, not for…of: unoptimized, for…of makes an iterator object on every call.
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) if (!Object.is(a[keys[i]!], b[keys[i]!])) return false;
    return true;
  };
}
