import {
  columnFilteringFeature,
  createColumnHelper,
  createExpandedRowModel,
  createFilteredRowModel,
  createSortedRowModel,
  constructRow,
  FlexRender,
  functionalUpdate,
  globalFilteringFeature,
  rowExpandingFeature,
  rowSelectionFeature,
  rowSortingFeature,
  sortFn_basic,
  tableFeatures,
  useTable,
  type ColumnDef,
  type ExpandedState,
  type HeaderGroup,
  type Row,
  type RowData,
  type SortingState,
} from '@tanstack/react-table';
import { cell_getContext, row_getAllCells } from '@tanstack/react-table/static-functions';
import { useVirtualizer, type Range, type Virtualizer } from '@tanstack/react-virtual';
import { ArrowDown, ArrowUp, ChevronDown, ChevronRight } from 'lucide-react';
import { dataComparator, sortFn_natural } from './data-table-sort.ts';
import { propsEqualOn, recentCache, recycledSlots, steadyRange, type RowSlots } from './data-table-window.ts';
import { memo, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';

// The one table of the app: TanStack Table (sorting, filtering, tree rows, selection) drawn with TanStack Virtual
// (only the rows in view exist in the DOM, so 100,000 rows scroll as smoothly as 100). Rows have one fixed height,
// which keeps the virtualizer's arithmetic exact and cheap.
//
// Accessibility: an ARIA grid (treegrid when rows have children) with aria-rowcount/aria-rowindex so a screen
// reader knows the real size, sortable headers that announce their order, and one tab stop: the grid keeps its
// focus and moves the active row with aria-activedescendant — Up/Down/Home/End/PageUp/PageDown, Right/Left to
// expand and collapse a tree row, Enter to open a row (onRowAction), Space to select it.
//
// Columns are TanStack column definitions made with dataTableColumns<T>() (see its helper). Per-column layout
// goes in `meta`: { width: a CSS grid track such as '1fr' or '120px', align: 'end' for numbers, title: a tooltip,
// fits: content that never needs an ellipsis }. A cell renders best as plain text: every element in it is work on
// every scroll frame that brings its row into view. A column's `cell` is called as a function (see cellContent): no
// hooks in it.

export const dataTableFeatures = tableFeatures({
  columnFilteringFeature,
  globalFilteringFeature,
  rowSortingFeature,
  rowExpandingFeature,
  rowSelectionFeature,
  filteredRowModel: createFilteredRowModel(),
  sortedRowModel: createSortedRowModel(),
  expandedRowModel: createExpandedRowModel(),
  // Under TanStack's name, so 'auto' on a string column takes it too.
  sortFns: { alphanumeric: sortFn_natural, basic: sortFn_basic },
});

type Features = typeof dataTableFeatures;

declare module '@tanstack/table-core' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the parameters must match the library's declaration to merge with it
  interface ColumnMeta<TFeatures, TData, TValue> {
    /** A CSS grid track for the column: '1fr', 'minmax(200px, 2fr)', '110px'. Default '1fr'. */
    width?: string;
    /** 'end' right-aligns (numbers, sizes). */
    align?: 'start' | 'end';
    /** Header text for screen readers when the visible header is an icon or empty. */
    label?: string;
    /** A tooltip for the cell (the whole text of a long name): set on the cell itself, no wrapper element. */
    title?: (row: TData) => string | undefined;
    /**
     * The content always fits the column (a size or a count in a fixed-width track): the cell does not clip and
     * gets no ellipsis. A clipping cell is a clip node of its own that paint and layerize handle on every scroll
     * frame. Only where the widest content fits with room to spare (other fonts are wider).
     */
    fits?: boolean;
    /**
     * Where a long text is cut: 'start' keeps its end in view ("…/tank/data/part-01"), for paths whose last parts
     * tell the rows apart. Default: the end is cut.
     */
    clip?: 'start' | 'end';
  }
}

/** The column helper typed for DataTable: `const col = dataTableColumns<Dataset>(); col.accessor('name', {...})`. */
export function dataTableColumns<T extends RowData>() {
  return createColumnHelper<Features, T>();
}

export { dataOrder } from './data-table-sort.ts';

export type DataTableColumn<T extends RowData> = ColumnDef<Features, T, never>;
export type DataTableRow<T extends RowData> = Row<Features, T>;

export interface DataTableProps<T extends RowData> {
  /** The accessible name of the grid ("Datasets of nas-a"). */
  label: string;
  data: readonly T[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- column value types differ per column
  columns: readonly ColumnDef<Features, T, any>[];
  getRowId: (row: T) => string;
  /** Tree rows: the children of a row. */
  getSubRows?: (row: T) => T[] | undefined;
  /** Text filter; a tree keeps the ancestors of matching rows. */
  filter?: string;
  /** Whether a row matches the filter text (default: its id contains it, ignoring case). */
  matches?: (row: T, filter: string) => boolean;
  initialSorting?: SortingState;
  /**
   * The order `data` comes in already (usually the initial sorting): while the sorting is this one the table does not
   * sort again — 100,000 rows sorted on every mount were a third of the first paint. The caller keeps its promise.
   */
  presorted?: SortingState;
  /** Expanded tree rows at start: true for all. */
  initialExpanded?: ExpandedState;
  /** Enter or double-click on a row. */
  onRowAction?: (row: T) => void;
  /** Multi-select with Space / checkbox; the ids of the selected rows. */
  selection?: { selected: ReadonlySet<string>; onChange(selected: Set<string>): void };
  /** Scroll the first selected row into view when a selection arrives from outside (a task loaded into a form). */
  revealSelected?: boolean;
  /** The active (focused) row changed: for a details pane. */
  onActiveRowChange?: (row: T | null) => void;
  rowHeight?: number;
  /** Height of the scrolling body; default fills its container (the container must have a height). */
  height?: number | string;
  /** Shown instead of rows when there are none (after filtering). */
  empty?: ReactNode;
  testId?: string;
}

const defaultMatches = (id: string, filter: string) => id.toLowerCase().includes(filter.toLowerCase());

const sameSorting = (a: SortingState, b: SortingState) => a.length === b.length && a.every((s, i) => s.id === b[i]!.id && s.desc === b[i]!.desc);

type TableOf<T extends RowData> = ReturnType<typeof useTable<Features, T>>;

/**
 * The rows the grid shows, in display order. A tree (small: datasets) comes from TanStack's row models; a flat list
 * (up to 100,000 snapshots) is filtered and sorted here on an index of `data`, and a TanStack row is built only for
 * a row that is drawn or compared: TanStack's core row model built 100,000 row objects (six allocations each) at
 * every mount, and collecting them was most of the first paint (three scavenges of 60–105 ms).
 */
interface RowView<T extends RowData> {
  count: number;
  original(index: number): T;
  id(index: number): string;
  row(index: number): Row<Features, T>;
  indexOf(id: string): number;
}

function treeView<T extends RowData>(rows: readonly Row<Features, T>[]): RowView<T> {
  return {
    count: rows.length,
    original: (index) => rows[index]!.original,
    id: (index) => rows[index]!.id,
    row: (index) => rows[index]!,
    indexOf: (id) => rows.findIndex((r) => r.id === id),
  };
}

function flatView<T extends RowData>(
  table: TableOf<T>,
  data: readonly T[],
  rowAt: (dataIndex: number) => Row<Features, T>,
  comparedRowAt: (dataIndex: number) => Row<Features, T>,
  rowId: (original: T) => string,
  filter: string,
  matches: ((row: T, filter: string) => boolean) | undefined,
  sorting: SortingState | null,
): RowView<T> {
  const text = filter.trim();
  // null: every row of `data`, in its order (nothing allocated for 100,000 rows).
  let order: number[] | null = null;
  if (text !== '') {
    order = [];
    for (let i = 0; i < data.length; i++) if (matches ? matches(data[i]!, text) : defaultMatches(rowId(data[i]!), text)) order.push(i);
  }
  if (sorting && sorting.length > 0) {
    order ??= Array.from(data, (_, i) => i);
    order.sort(dataComparator(table, sorting, data, comparedRowAt));
  }
  const dataIndex = order ? (index: number) => order[index]! : (index: number) => index;
  return {
    count: order ? order.length : data.length,
    original: (index) => data[dataIndex(index)]!,
    id: (index) => rowId(data[dataIndex(index)]!),
    row: (index) => rowAt(dataIndex(index)),
    indexOf: (id) => {
      const count = order ? order.length : data.length;
      for (let i = 0; i < count; i++) if (rowId(data[dataIndex(i)]!) === id) return i;
      return -1;
    },
  };
}

/**
 * A flat table hands TanStack this many rows, which it reads (and only these) to guess a column's first sort direction
 * (strings ascend first) and an 'auto' sortFn.
 */
const SAMPLE_ROWS = 10;

/**
 * The drawn rows a flat table keeps built (recentCache): several times what the tallest window draws at once (34 px
 * rows and 12 of overscan on each side: ~90 on a 2160 px screen), a few hundred KB.
 */
const ROWS_KEPT = 256;

export function DataTable<T extends RowData>(props: DataTableProps<T>) {
  const { data, columns, getRowId, getSubRows, filter = '', rowHeight = 34, selection } = props;
  const [sorting, setSorting] = useState<SortingState>(props.initialSorting ?? []);
  const [expanded, setExpanded] = useState<ExpandedState>(props.initialExpanded ?? {});
  const matchesRef = useRef(props.matches);
  matchesRef.current = props.matches;
  const getRowIdRef = useRef(getRowId);
  getRowIdRef.current = getRowId;
  const isTree = Boolean(getSubRows);
  const rowId = useCallback((row: T) => getRowIdRef.current(row), []);
  // A flat table gives TanStack a sample only: it keeps the columns, headers, sorting state and cells; the rows are
  // ours (see flatView).
  const sample = useMemo(() => (isTree ? (data as T[]) : data.slice(0, SAMPLE_ROWS)), [data, isTree]);

  // The filter predicate looks at the whole row, so one column (the first) stands for it.
  const first = columns[0] as { id?: string; accessorKey?: string } | undefined;
  const filterColumnId = first?.id ?? first?.accessorKey;
  const table = useTable<Features, T>({
    features: dataTableFeatures,
    columns: columns as ColumnDef<Features, T>[],
    data: sample,
    getRowId: rowId,
    ...(getSubRows ? { getSubRows: (row: T) => getSubRows(row) } : {}),
    state: { sorting, expanded, globalFilter: filter },
    onSortingChange: (updater) => setSorting((old) => functionalUpdate(updater, old)),
    onExpandedChange: (updater) => setExpanded((old) => functionalUpdate(updater, old)),
    manualSorting: !isTree || (props.presorted !== undefined && sameSorting(sorting, props.presorted)),
    manualFiltering: !isTree,
    // New data (a refresh) keeps what the admin opened or closed.
    autoResetExpanded: false,
    filterFromLeafRows: true,
    // One column decides for the whole row: the predicate looks at the row, not at a cell.
    getColumnCanGlobalFilter: (column) => column.id === filterColumnId,
    globalFilterFn: (row, _columnId, value) => {
      const text = String(value ?? '').trim();
      if (text === '') return true;
      const match = matchesRef.current;
      return match ? match(row.original, text) : defaultMatches(row.id, text);
    },
  });

  // useTable returns a new wrapper object at every render; rows point at the table itself (one for the component's
  // life), which every column references.
  const coreTable = (table.getAllLeafColumns()[0]?.table ?? table) as TableOf<T>;
  // Rows of a flat table, built when first drawn or compared, for the same `data` array. Drawn: the ROWS_KEPT drawn
  // last (a row that stays in view keeps its object, so its memoized component is not drawn again; rows scrolled past
  // go, see recentCache). Compared: a sort by a row-level sortFn compares every row, so it builds them all once and keeps
  // them while the data lasts (sorting again reuses them); drawing takes a row from there when there is one. Sorts by
  // value or by data (data-table-sort.ts) build none.
  const rowCache = useMemo(() => ({ drawn: recentCache<Row<Features, T>>(ROWS_KEPT), compared: null as (Row<Features, T> | undefined)[] | null }), [data]);
  const buildRow = useCallback(
    (dataIndex: number) => {
      const original = data[dataIndex]!;
      return constructRow<Features, T>(coreTable, rowId(original), original, dataIndex, 0);
    },
    [data, coreTable, rowId],
  );
  const rowAt = useCallback((dataIndex: number) => rowCache.compared?.[dataIndex] ?? rowCache.drawn.get(dataIndex, buildRow), [rowCache, buildRow]);
  const comparedRowAt = useCallback(
    (dataIndex: number) => {
      // Sized once (filled at random indexes, a growing [] of 100,000 could turn into a slow dictionary).
      const compared = (rowCache.compared ??= new Array<Row<Features, T> | undefined>(data.length));
      return (compared[dataIndex] ??= rowCache.drawn.peek(dataIndex) ?? buildRow(dataIndex));
    },
    [rowCache, buildRow, data],
  );
  const treeRows = isTree ? table.getRowModel().rows : null;
  const presorted = props.presorted !== undefined && sameSorting(sorting, props.presorted);
  const view = useMemo(
    () => (treeRows ? treeView(treeRows) : flatView(coreTable, data, rowAt, comparedRowAt, rowId, filter, matchesRef.current, presorted ? null : sorting)),
    [treeRows, coreTable, data, rowAt, comparedRowAt, rowId, filter, presorted, sorting],
  );
  const count = view.count;

  // The grid itself scrolls, under a sticky header: its one tab stop is then the scrolling region too (axe
  // scrollable-region-focusable; a body that scrolled alone was a region no key could reach in tables without
  // checkboxes). The rows start below the header: the virtualizer counts it as a margin, and scrolls rows clear of it.
  const scrollRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const [headHeight, setHeadHeight] = useState(0);
  // Measured when it changes size (a wrapping header, a font), not on every render: a scroll re-renders every frame.
  useLayoutEffect(() => {
    const head = headRef.current;
    if (!head) return;
    setHeadHeight(head.offsetHeight);
    const observer = new ResizeObserver(() => setHeadHeight(head.offsetHeight));
    observer.observe(head);
    return () => observer.disconnect();
  }, []);
  // The virtualizer lives in the body (DataTableBody), which alone draws again on a scroll frame; the table reaches
  // it here to scroll a row into view.
  const virtualizerRef = useRef<RowVirtualizer | null>(null);

  // While filtering, open every tree row so matches deep in the tree show.
  useEffect(() => {
    if (isTree && filter.trim() !== '') setExpanded(true);
  }, [filter, isTree]);

  // Once per selection (it empties to reset): a row ticked by hand is in view already, so 'auto' does not move.
  const revealedRef = useRef(false);
  const revealSelected = props.revealSelected ?? false;
  useEffect(() => {
    if (!revealSelected) return;
    if (!selection || selection.selected.size === 0) {
      revealedRef.current = false;
      return;
    }
    if (revealedRef.current) return;
    let index = -1;
    for (let i = 0; i < view.count && index < 0; i++) if (selection.selected.has(view.id(i))) index = i;
    if (index < 0) return;
    revealedRef.current = true;
    virtualizerRef.current?.scrollToIndex(index, { align: 'auto' });
  }, [revealSelected, selection, view]);

  const [activeId, setActiveId] = useState<string | null>(null);
  // Looked up when the active row or the rows change, not on every scroll frame (100,000 ids).
  const activeIndex = useMemo(() => (activeId === null ? -1 : view.indexOf(activeId)), [activeId, view]);
  const domId = useId();

  const activate = useCallback(
    (index: number) => {
      const clamped = Math.max(0, Math.min(view.count - 1, index));
      if (clamped < 0) return;
      setActiveId(view.id(clamped));
      virtualizerRef.current?.scrollToIndex(clamped, { align: 'auto' });
    },
    [view],
  );

  const onActiveRowChange = props.onActiveRowChange;
  useEffect(() => {
    onActiveRowChange?.(activeIndex >= 0 ? view.original(activeIndex) : null);
  }, [activeIndex, view, onActiveRowChange]);

  // Selection: a row alone, or with Shift the range from the row ticked last (the anchor) in display order.
  const anchorRef = useRef<string | null>(null);
  const selectionRef = useRef(selection);
  selectionRef.current = selection;
  const viewRef = useRef(view);
  viewRef.current = view;
  const select = useCallback((index: number, value: boolean, range: boolean) => {
    const current = selectionRef.current;
    const rows = viewRef.current;
    if (!current) return;
    const next = new Set(current.selected);
    const id = rows.id(index);
    const anchor = range && anchorRef.current !== null ? rows.indexOf(anchorRef.current) : -1;
    const [from, to] = anchor < 0 ? [index, index] : [Math.min(anchor, index), Math.max(anchor, index)];
    for (let i = from; i <= to; i++) {
      if (value) next.add(rows.id(i));
      else next.delete(rows.id(i));
    }
    anchorRef.current = id;
    current.onChange(next);
  }, []);

  // What a row does, one object for the table's life: a row's props stay equal while it stays in view.
  const onRowActionRef = useRef(props.onRowAction);
  onRowActionRef.current = props.onRowAction;
  const rowActions = useMemo<RowActions<T>>(
    () => ({
      activate: (id) => setActiveId(id),
      open: (row) => onRowActionRef.current?.(row.original),
      select,
      toggleExpanded: (row) => row.toggleExpanded(),
    }),
    [select],
  );
  // Changes when the parent renders the table again (new props), not when it scrolls: rows then draw again as they
  // always did (a cell may show "3 min ago" or read anything its parent passed), but a scroll frame draws only the
  // rows that entered the view.
  const parentRender = useMemo(() => ({}), [props]);

  // Read when a page key is pressed, not during a render: a scroll frame renders, and reading layout there forces it.
  const pageSize = () => Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? rowHeight * 10) - headHeight) / rowHeight) - 1);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (count === 0) return;
    const current = activeIndex < 0 ? -1 : activeIndex;
    const row = current >= 0 ? view.row(current) : undefined;
    const handled = () => {
      event.preventDefault();
      event.stopPropagation();
    };
    switch (event.key) {
      case 'ArrowDown':
        handled();
        activate(current + 1);
        break;
      case 'ArrowUp':
        handled();
        activate(current <= 0 ? 0 : current - 1);
        break;
      case 'Home':
        handled();
        activate(0);
        break;
      case 'End':
        handled();
        activate(count - 1);
        break;
      case 'PageDown':
        handled();
        activate(current + pageSize());
        break;
      case 'PageUp':
        handled();
        activate(current - pageSize());
        break;
      case 'ArrowRight':
        if (isTree && row?.getCanExpand() && !row.getIsExpanded()) {
          handled();
          row.toggleExpanded(true);
        } else if (isTree && row?.getCanExpand()) {
          handled();
          activate(current + 1);
        }
        break;
      case 'ArrowLeft':
        if (isTree && row?.getCanExpand() && row.getIsExpanded()) {
          handled();
          row.toggleExpanded(false);
        } else if (isTree && row?.parentId) {
          handled();
          activate(view.indexOf(row.parentId));
        }
        break;
      case 'Enter':
        if (row && props.onRowAction) {
          handled();
          props.onRowAction(row.original);
        }
        break;
      case ' ':
        if (row && selection) {
          handled();
          select(current, !selection.selected.has(row.id), false);
        }
        break;
      default:
    }
  };

  const leafColumns = table.getAllLeafColumns();
  const gridTemplate = [selection ? '36px' : null, ...leafColumns.map((c) => c.columnDef.meta?.width ?? '1fr')].filter(Boolean).join(' ');
  const headerGroups = table.getHeaderGroups();

  return (
    <div
      className="data-table"
      ref={scrollRef}
      role={isTree ? 'treegrid' : 'grid'}
      aria-label={props.label}
      aria-rowcount={count + 1}
      aria-colcount={leafColumns.length + (selection ? 1 : 0)}
      aria-multiselectable={selection ? true : undefined}
      tabIndex={0}
      aria-activedescendant={activeId !== null && activeIndex >= 0 ? rowDomId(domId, activeId) : undefined}
      onKeyDown={onKeyDown}
      onFocus={(event) => {
        if (event.target === event.currentTarget && activeIndex < 0 && count > 0) activate(0);
      }}
      style={{ ['--grid-columns' as string]: gridTemplate, ...(props.height === undefined ? {} : { height: props.height }) }}
      {...(props.testId ? { 'data-testid': props.testId } : {})}
    >
      <DataTableHead headRef={headRef} headerGroups={headerGroups} sorting={sorting} hasSelection={Boolean(selection)} />
      <DataTableBody
        virtualizerRef={virtualizerRef}
        scrollRef={scrollRef}
        view={view}
        rowHeight={rowHeight}
        headHeight={headHeight}
        domId={domId}
        activeId={activeId}
        selected={selection?.selected}
        isTree={isTree}
        columns={leafColumns}
        actions={rowActions}
        parentRender={parentRender}
        empty={props.empty}
      />
    </div>
  );
}

type RowVirtualizer = Virtualizer<HTMLDivElement, Element>;

interface BodyProps<T extends RowData> {
  virtualizerRef: RefObject<RowVirtualizer | null>;
  scrollRef: RefObject<HTMLDivElement | null>;
  view: RowView<T>;
  rowHeight: number;
  headHeight: number;
  domId: string;
  activeId: string | null;
  /** undefined: the table has no selection. */
  selected: ReadonlySet<string> | undefined;
  isTree: boolean;
  columns: readonly unknown[];
  actions: RowActions<T>;
  parentRender: object;
  empty: ReactNode;
}

/**
 * The rows, with the virtualizer: a scroll frame draws this component again, not the table (its TanStack table, header
 * and handlers), and of its rows only those that entered the view.
 */
const DataTableBody = memo(function DataTableBody<T extends RowData>(props: BodyProps<T>) {
  const { view, rowHeight, headHeight, domId, activeId, selected, isTree } = props;
  const count = view.count;
  const scrollRef = props.scrollRef;
  // Stable between renders: the virtualizer recomputes every row's position when estimateSize changes, and a scroll
  // re-renders every frame. Rows have one fixed height and are never measured; the virtualizer's keys are indexes
  // (its default), so it builds no row to key 100,000 positions.
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  // A steady number of rows (see steadyRange): scrolling recycles row slots and never mounts or unmounts one.
  const windowSizeRef = useRef(0);
  const rangeExtractor = useCallback((range: Range) => {
    const next = steadyRange(range, windowSizeRef.current);
    windowSizeRef.current = next.size;
    return next.indexes;
  }, []);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    rangeExtractor,
    overscan: 12,
    scrollMargin: headHeight,
    scrollPaddingStart: headHeight,
  });
  const virtualizerRef = props.virtualizerRef;
  useLayoutEffect(() => {
    virtualizerRef.current = virtualizer;
    return () => {
      virtualizerRef.current = null;
    };
  }, [virtualizer, virtualizerRef]);

  const total = virtualizer.getTotalSize();
  const items = virtualizer.getVirtualItems();
  const slotsRef = useRef<RowSlots>({ slotOf: new Map(), order: [] });
  const slots = (slotsRef.current = recycledSlots(slotsRef.current, items, !virtualizer.isScrolling));
  const itemInSlot = new Map(items.map((item) => [slots.slotOf.get(item.index)!, item]));

  return (
    <div className="data-table-body" role="rowgroup">
      {count === 0 ? (
        <div className="data-table-empty" role="row">
          <div role="gridcell">{props.empty ?? 'Nothing to show.'}</div>
        </div>
      ) : (
        <div className="data-table-rows" style={{ height: total }}>
          {slots.order.map((slot) => {
            const item = itemInSlot.get(slot)!;
            const row = view.row(item.index);
            return (
              <DataTableRowView
                key={slot}
                row={row}
                index={item.index}
                top={item.start - headHeight}
                height={rowHeight}
                domId={domId}
                active={row.id === activeId}
                // An empty set is not asked: in Chromium a Set lookup puts the key in V8's string table for good.
                selected={selected ? selected.size > 0 && selected.has(row.id) : undefined}
                expanded={isTree && row.getCanExpand() ? row.getIsExpanded() : undefined}
                isTree={isTree}
                columns={props.columns}
                actions={props.actions}
                parentRender={props.parentRender}
              />
            );
          })}
        </div>
      )}
    </div>
  );
}) as <T extends RowData>(props: BodyProps<T>) => ReactNode;

/** The header row: memoized, so a scroll frame does not draw it again (it changes with the columns and the sorting). */
const DataTableHead = memo(function DataTableHead<T extends RowData>({
  headRef,
  headerGroups,
  hasSelection,
}: {
  headRef: RefObject<HTMLDivElement | null>;
  headerGroups: HeaderGroup<Features, T>[];
  /** Only to draw again when it changes: the headers read it from the table. */
  sorting: SortingState;
  hasSelection: boolean;
}) {
  return (
    <div className="data-table-head" ref={headRef} role="rowgroup">
      {headerGroups.map((group) => (
        <div key={group.id} role="row" aria-rowindex={1} className="data-table-row data-table-header-row">
          {hasSelection ? (
            <div role="columnheader" className="data-table-cell data-table-select">
              <span className="visually-hidden">Selected</span>
            </div>
          ) : null}
          {group.headers.map((header) => {
            const sorted = header.column.getIsSorted();
            const canSort = header.column.getCanSort();
            const align = header.column.columnDef.meta?.align ?? 'start';
            return (
              <div
                key={header.id}
                role="columnheader"
                className={`data-table-cell align-${align}`}
                aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : canSort ? 'none' : undefined}
              >
                {header.isPlaceholder ? null : canSort ? (
                  <button type="button" tabIndex={-1} className="data-table-sort" onClick={header.column.getToggleSortingHandler()}>
                    <FlexRender header={header} />
                    {sorted === 'asc' ? <ArrowUp size={13} aria-hidden="true" /> : sorted === 'desc' ? <ArrowDown size={13} aria-hidden="true" /> : null}
                  </button>
                ) : (
                  <FlexRender header={header} />
                )}
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );
}) as <T extends RowData>(props: { headRef: RefObject<HTMLDivElement | null>; headerGroups: HeaderGroup<Features, T>[]; sorting: SortingState; hasSelection: boolean }) => ReactNode;

/**
 * A cell's content: its column's `cell` called as a function. FlexRender draws a component that draws the column's
 * `cell` as a component of its own: two components per cell, 16 per row, on every row a scroll frame brings into view.
 * A column's `cell` is then a plain function, not a component: it calls no hooks (none does; a cell that needs state
 * returns a component of its own, as the fate badge is).
 *
 * The context is TanStack's static cell_getContext (the same object), not the cell's memoized getContext: a row is
 * drawn once while it stays in view, and the memo (a memo function, its closures and options per cell, made on the
 * first call) was the largest share of what a scroll frame allocated, kept alive with the row and promoted with it.
 */
function cellContent<T extends RowData>(cell: ReturnType<Row<Features, T>['getAllCells']>[number]): ReactNode {
  const content = cell.column.columnDef.cell;
  return typeof content === 'function' ? (content(cell_getContext(cell) as ReturnType<typeof cell.getContext>) as ReactNode) : (content ?? null);
}

const rowDomId = (domId: string, id: string) => `${domId}-row-${encodeURIComponent(id)}`;

interface RowActions<T extends RowData> {
  activate(id: string): void;
  open(row: Row<Features, T>): void;
  select(index: number, value: boolean, range: boolean): void;
  toggleExpanded(row: Row<Features, T>): void;
}

interface RowViewProps<T extends RowData> {
  row: Row<Features, T>;
  index: number;
  /** Offset from the top of the body, in px (rows are placed with a transform: no layout of the others). */
  top: number;
  height: number;
  domId: string;
  active: boolean;
  /** undefined: the table has no selection. */
  selected: boolean | undefined;
  /** undefined: not a tree row that can expand. */
  expanded: boolean | undefined;
  isTree: boolean;
  columns: readonly unknown[];
  actions: RowActions<T>;
  parentRender: object;
}

/**
 * Whether a row draws the same: its props compared one by one, the list of them checked by the compiler against
 * RowViewProps. React's default (shallowEqual) lists the keys of both props objects, for each of the ~50 rows on every
 * scroll frame: a megabyte of garbage per 150 frames.
 */
const sameRowProps = propsEqualOn(
  Object.keys({
    row: true,
    index: true,
    top: true,
    height: true,
    domId: true,
    active: true,
    selected: true,
    expanded: true,
    isTree: true,
    columns: true,
    actions: true,
    parentRender: true,
  } satisfies Record<keyof RowViewProps<RowData>, true>) as (keyof RowViewProps<RowData>)[],
);

/**
 * One row, memoized: while it stays in view across scroll frames every prop is equal (same row object, same offset),
 * so a frame draws only the rows that entered — 40 rows drawn on every frame were most of a 30 ms frame.
 */
const DataTableRowView = memo(function DataTableRowView<T extends RowData>({ row, index, top, height, domId, active, selected, expanded, isTree, actions }: RowViewProps<T>) {
  return (
    <div
      id={rowDomId(domId, row.id)}
      role="row"
      aria-rowindex={index + 2}
      aria-level={isTree ? row.depth + 1 : undefined}
      aria-expanded={expanded}
      aria-selected={selected}
      data-row-id={row.id}
      className={`data-table-row${active ? ' is-active' : ''}${selected ? ' is-selected' : ''}`}
      style={{ height, transform: `translateY(${top}px)` }}
      onClick={() => actions.activate(row.id)}
      onDoubleClick={() => actions.open(row)}
    >
      {selected !== undefined ? (
        <div role="gridcell" className="data-table-cell data-table-select fits">
          <input
            type="checkbox"
            tabIndex={-1}
            aria-label={`Select ${row.id}`}
            checked={selected}
            // React's change event of a checkbox is its click: Shift on it selects the range from the last one ticked.
            onChange={(event) => actions.select(index, event.target.checked, (event.nativeEvent as MouseEvent).shiftKey === true)}
            onClick={(event) => event.stopPropagation()}
          />
        </div>
      ) : null}
      {/* The static function, not the row's memoized getAllCells (see cellContent): the cells themselves are kept. */}
      {row_getAllCells(row).map((cell, cellIndex) => {
        const meta = cell.column.columnDef.meta;
        return (
          <div key={cell.column.id} role="gridcell" className={`data-table-cell align-${meta?.align ?? 'start'}${meta?.fits ? ' fits' : ''}${meta?.clip === 'start' ? ' clip-start' : ''}`} title={meta?.title?.(row.original)}>
            {cellIndex === 0 && isTree ? (
              <span className="tree-cell" style={{ paddingInlineStart: row.depth * 18 }}>
                {expanded !== undefined ? (
                  // For the mouse; keyboards use Left/Right and screen readers aria-expanded on the row.
                  <span
                    className="tree-toggle"
                    aria-hidden="true"
                    onClick={(event) => {
                      event.stopPropagation();
                      actions.toggleExpanded(row);
                    }}
                  >
                    {expanded ? <ChevronDown size={14} /> : <ChevronRight size={14} />}
                  </span>
                ) : (
                  <span className="tree-spacer" aria-hidden="true" />
                )}
                {cellContent(cell)}
              </span>
            ) : (
              cellContent(cell)
            )}
          </div>
        );
      })}
    </div>
  );
}, sameRowProps) as <T extends RowData>(props: RowViewProps<T>) => ReactNode;
