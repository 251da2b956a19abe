import {
  columnFilteringFeature,
  createColumnHelper,
  createExpandedRowModel,
  createFilteredRowModel,
  createSortedRowModel,
  functionalUpdate,
  globalFilteringFeature,
  rowExpandingFeature,
  rowSelectionFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  tableFeatures,
  useTable,
  type ColumnDef,
  type ExpandedState,
  type Row,
  type RowData,
  type RowSelectionState,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { ArrowDown, ArrowUp, ChevronDown, ChevronRight } from 'lucide-react';
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

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
// goes in `meta`: { width: a CSS grid track such as '1fr' or '120px', align: 'end' for numbers }.

export const dataTableFeatures = tableFeatures({
  columnFilteringFeature,
  globalFilteringFeature,
  rowSortingFeature,
  rowExpandingFeature,
  rowSelectionFeature,
  filteredRowModel: createFilteredRowModel(),
  sortedRowModel: createSortedRowModel(),
  expandedRowModel: createExpandedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic },
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
  }
}

/** The column helper typed for DataTable: `const col = dataTableColumns<Dataset>(); col.accessor('name', {...})`. */
export function dataTableColumns<T extends RowData>() {
  return createColumnHelper<Features, T>();
}

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

export function DataTable<T extends RowData>(props: DataTableProps<T>) {
  const { data, columns, getRowId, getSubRows, filter = '', rowHeight = 34, selection } = props;
  const [sorting, setSorting] = useState<SortingState>(props.initialSorting ?? []);
  const [expanded, setExpanded] = useState<ExpandedState>(props.initialExpanded ?? {});
  const rowSelection = useMemo<RowSelectionState>(() => Object.fromEntries([...(selection?.selected ?? [])].map((id) => [id, true])), [selection?.selected]);
  const matchesRef = useRef(props.matches);
  matchesRef.current = props.matches;
  const getRowIdRef = useRef(getRowId);
  getRowIdRef.current = getRowId;

  // The filter predicate looks at the whole row, so one column (the first) stands for it.
  const first = columns[0] as { id?: string; accessorKey?: string } | undefined;
  const filterColumnId = first?.id ?? first?.accessorKey;
  const table = useTable<Features, T>({
    features: dataTableFeatures,
    columns: columns as ColumnDef<Features, T>[],
    data: data as T[],
    getRowId: (row) => getRowIdRef.current(row),
    ...(getSubRows ? { getSubRows: (row: T) => getSubRows(row) } : {}),
    state: { sorting, expanded, globalFilter: filter, rowSelection },
    onSortingChange: (updater) => setSorting((old) => functionalUpdate(updater, old)),
    onExpandedChange: (updater) => setExpanded((old) => functionalUpdate(updater, old)),
    onRowSelectionChange: (updater) => {
      if (!selection) return;
      const next = functionalUpdate(updater, rowSelection);
      selection.onChange(new Set(Object.keys(next).filter((id) => next[id])));
    },
    manualSorting: props.presorted !== undefined && sameSorting(sorting, props.presorted),
    // New data (a refresh) keeps what the admin opened or closed.
    autoResetExpanded: false,
    enableRowSelection: Boolean(selection),
    enableSubRowSelection: false,
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

  const rows = table.getRowModel().rows;
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
  // Stable between renders: the virtualizer recomputes every row's position when getItemKey changes, and a scroll
  // re-renders every frame (a new function per render cost 100,000 measurements per frame: 35 ms frames).
  const getItemKey = useCallback((index: number) => rows[index]?.id ?? index, [rows]);
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    overscan: 12,
    scrollMargin: headHeight,
    scrollPaddingStart: headHeight,
  });

  // While filtering, open every tree row so matches deep in the tree show.
  const isTree = Boolean(getSubRows);
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
    const index = rows.findIndex((row) => selection.selected.has(row.id));
    if (index < 0) return;
    revealedRef.current = true;
    virtualizer.scrollToIndex(index, { align: 'auto' });
  }, [revealSelected, selection, rows, virtualizer]);

  const [activeId, setActiveId] = useState<string | null>(null);
  const activeIndex = activeId === null ? -1 : rows.findIndex((r) => r.id === activeId);
  const domId = useId();
  const rowDomId = (id: string) => `${domId}-row-${encodeURIComponent(id)}`;

  const activate = useCallback(
    (index: number) => {
      const clamped = Math.max(0, Math.min(rows.length - 1, index));
      const row = rows[clamped];
      if (!row) return;
      setActiveId(row.id);
      virtualizer.scrollToIndex(clamped, { align: 'auto' });
    },
    [rows, virtualizer],
  );

  const onActiveRowChange = props.onActiveRowChange;
  useEffect(() => {
    onActiveRowChange?.(activeIndex >= 0 ? (rows[activeIndex]?.original ?? null) : null);
  }, [activeIndex, rows, onActiveRowChange]);

  const pageSize = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? rowHeight * 10) - headHeight) / rowHeight) - 1);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return;
    const current = activeIndex < 0 ? -1 : activeIndex;
    const row = current >= 0 ? rows[current] : undefined;
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
        activate(rows.length - 1);
        break;
      case 'PageDown':
        handled();
        activate(current + pageSize);
        break;
      case 'PageUp':
        handled();
        activate(current - pageSize);
        break;
      case 'ArrowRight':
        if (row?.getCanExpand() && !row.getIsExpanded()) {
          handled();
          row.toggleExpanded(true);
        } else if (row?.getCanExpand()) {
          handled();
          activate(current + 1);
        }
        break;
      case 'ArrowLeft':
        if (row?.getCanExpand() && row.getIsExpanded()) {
          handled();
          row.toggleExpanded(false);
        } else if (row?.parentId) {
          handled();
          activate(rows.findIndex((r) => r.id === row.parentId));
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
          row.toggleSelected();
        }
        break;
      default:
    }
  };

  const leafColumns = table.getAllLeafColumns();
  const gridTemplate = [selection ? '36px' : null, ...leafColumns.map((c) => c.columnDef.meta?.width ?? '1fr')].filter(Boolean).join(' ');
  const headerGroups = table.getHeaderGroups();
  const total = virtualizer.getTotalSize();

  return (
    <div
      className="data-table"
      ref={scrollRef}
      role={isTree ? 'treegrid' : 'grid'}
      aria-label={props.label}
      aria-rowcount={rows.length + 1}
      aria-colcount={leafColumns.length + (selection ? 1 : 0)}
      aria-multiselectable={selection ? true : undefined}
      tabIndex={0}
      aria-activedescendant={activeId !== null && activeIndex >= 0 ? rowDomId(activeId) : undefined}
      onKeyDown={onKeyDown}
      onFocus={(event) => {
        if (event.target === event.currentTarget && activeIndex < 0 && rows.length > 0) activate(0);
      }}
      style={{ ['--grid-columns' as string]: gridTemplate, ...(props.height === undefined ? {} : { height: props.height }) }}
      {...(props.testId ? { 'data-testid': props.testId } : {})}
    >
      <div className="data-table-head" ref={headRef} role="rowgroup">
        {headerGroups.map((group) => (
          <div key={group.id} role="row" aria-rowindex={1} className="data-table-row data-table-header-row">
            {selection ? (
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
                      <table.FlexRender header={header} />
                      {sorted === 'asc' ? <ArrowUp size={13} aria-hidden="true" /> : sorted === 'desc' ? <ArrowDown size={13} aria-hidden="true" /> : null}
                    </button>
                  ) : (
                    <table.FlexRender header={header} />
                  )}
                </div>
              );
            })}
          </div>
        ))}
      </div>
      <div className="data-table-body" role="rowgroup">
        {rows.length === 0 ? (
          <div className="data-table-empty" role="row">
            <div role="gridcell">{props.empty ?? 'Nothing to show.'}</div>
          </div>
        ) : (
          <div style={{ height: total, position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              if (!row) return null;
              const isActive = row.id === activeId;
              const selected = row.getIsSelected();
              return (
                <div
                  key={row.id}
                  id={rowDomId(row.id)}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-level={isTree ? row.depth + 1 : undefined}
                  aria-expanded={isTree && row.getCanExpand() ? row.getIsExpanded() : undefined}
                  aria-selected={selection ? selected : undefined}
                  data-row-id={row.id}
                  className={`data-table-row${isActive ? ' is-active' : ''}${selected ? ' is-selected' : ''}`}
                  style={{ height: rowHeight, transform: `translateY(${item.start - headHeight}px)` }}
                  onClick={() => setActiveId(row.id)}
                  onDoubleClick={() => props.onRowAction?.(row.original)}
                >
                  {selection ? (
                    <div role="gridcell" className="data-table-cell data-table-select">
                      <input
                        type="checkbox"
                        tabIndex={-1}
                        aria-label={`Select ${row.id}`}
                        checked={selected}
                        onChange={row.getToggleSelectedHandler()}
                        onClick={(event) => event.stopPropagation()}
                      />
                    </div>
                  ) : null}
                  {row.getAllCells().map((cell, index) => {
                    const align = cell.column.columnDef.meta?.align ?? 'start';
                    return (
                      <div key={cell.id} role="gridcell" className={`data-table-cell align-${align}`}>
                        {index === 0 && isTree ? (
                          <span className="tree-cell" style={{ paddingInlineStart: row.depth * 18 }}>
                            {row.getCanExpand() ? (
                              // For the mouse; keyboards use Left/Right and screen readers aria-expanded on the row.
                              <span
                                className="tree-toggle"
                                aria-hidden="true"
                                onClick={(event) => {
                                  event.stopPropagation();
                                  row.toggleExpanded();
                                }}
                              >
                                {row.getIsExpanded() ? <ChevronDown size={14} /> : <ChevronRight size={14} />}
                              </span>
                            ) : (
                              <span className="tree-spacer" aria-hidden="true" />
                            )}
                            <table.FlexRender cell={cell} />
                          </span>
                        ) : (
                          <table.FlexRender cell={cell} />
                        )}
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
